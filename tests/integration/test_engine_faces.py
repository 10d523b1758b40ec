"""The real engine against the public face set: verification accuracy, detection recall, and the
refusals a kiosk relies on. Skips with a reason when the set is absent."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.config.face import FaceSettings
from keyuan.domain import errors
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceBox, Purpose, Template
from keyuan.services.faces.matching import distance

pytestmark = pytest.mark.faces

SETTINGS = FaceSettings(engine="dlib")  # this file measures the dlib engine on its own scale
# dlib's shipped 1:1 threshold (0.38) is the one that holds FAR <= 0.1% for East Asian faces too;
# on this set it rejects about half of the genuine pairs (measured accuracy 0.85): the floor says
# what dlib is worth as evidence, not what a face check should be (SFace: 1.0 on this set).
MIN_VERIFY_ACCURACY = 0.80
# Measured on this set (dlib 20.0, HOG upsample 1, score >= 0.2): 43 of 43 labelled faces found,
# no unlabelled box. The floor leaves room for another dlib build, not for a regression.
MIN_RECALL_UPSAMPLED = 0.93
# With the default upsample 0 only faces >= ~80 px are findable; 11 of these 43 are (measured).
MIN_RECALL_DEFAULT = 9 / 43
MATCH_IOU = 0.4


def load(root: Path, relative: str) -> np.ndarray:
    return decode_image(
        (root / relative).read_bytes(),
        max_pixels=SETTINGS.max_image_pixels,
        max_bytes=SETTINGS.max_image_bytes,
    )


@pytest.fixture(scope="module")
def engine() -> DlibEngine:
    return DlibEngine(SETTINGS)


@pytest.fixture(scope="module")
def pairs(face_root: Path) -> list[tuple[str, str, bool]]:
    with (face_root / "pairs.csv").open(newline="") as f:
        return [(r["path_a"], r["path_b"], r["same"] == "1") for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def templates(
    face_root: Path, engine: DlibEngine, pairs: list[tuple[str, str, bool]]
) -> dict[str, Template]:
    """Each distinct photo embedded once, through every gate, as a probe."""
    paths = sorted({p for a, b, _ in pairs for p in (a, b)})
    return {p: engine.sample(load(face_root, p), purpose=Purpose.PROBE).template for p in paths}


@pytest.mark.slow
def test_verification_accuracy_on_the_labelled_pairs_meets_the_floor(
    pairs: list[tuple[str, str, bool]], templates: dict[str, Template]
) -> None:
    correct = [
        (distance(templates[a], templates[b]) <= SETTINGS.verify_threshold) == same
        for a, b, same in pairs
    ]
    accuracy = sum(correct) / len(correct)
    print(f"verification accuracy at {SETTINGS.verify_threshold}: {accuracy:.4f} "
          f"over {len(pairs)} pairs")
    assert accuracy >= MIN_VERIFY_ACCURACY


@pytest.mark.slow
def test_no_different_people_pair_is_accepted_at_the_verify_threshold(
    pairs: list[tuple[str, str, bool]], templates: dict[str, Template]
) -> None:
    # Measured: the closest pair of different people is 0.552 apart (threshold 0.38).
    false_accepts = [
        (a, b) for a, b, same in pairs
        if not same and distance(templates[a], templates[b]) <= SETTINGS.verify_threshold
    ]
    assert false_accepts == []


def test_dogs_have_no_face(face_root: Path, engine: DlibEngine) -> None:
    with pytest.raises(errors.NoFace):
        engine.sample(load(face_root, "detection/dogs.jpg"), purpose=Purpose.PROBE)


@pytest.mark.slow
def test_dogs_have_no_face_even_with_the_cnn_fallback(face_root: Path, engine: DlibEngine) -> None:
    with pytest.raises(errors.NoFace):
        engine.sample(load(face_root, "detection/dogs.jpg"), purpose=Purpose.ENROLL)


def test_two_people_in_the_scene_are_refused_at_enrollment(
    face_root: Path, engine: DlibEngine
) -> None:
    with pytest.raises(errors.MultipleFaces):
        engine.sample(load(face_root, "scenes/fr_two_people.jpg"), purpose=Purpose.ENROLL)


def test_a_probe_of_two_people_takes_the_best_scoring_face(
    face_root: Path, engine: DlibEngine
) -> None:
    scene = load(face_root, "scenes/fr_two_people.jpg")
    boxes = engine.detect(scene)
    assert len(boxes) == 2
    assert engine.sample(scene, purpose=Purpose.PROBE).box == max(boxes, key=lambda b: b.score)


def labelled_faces(root: Path) -> list[tuple[str, list[tuple[int, int, int, int]]]]:
    images = []
    for name in ("training.xml", "testing.xml"):
        for image in ET.parse(root / "detection" / name).getroot().iter("image"):
            boxes = [
                (int(b.get("left", 0)), int(b.get("top", 0)),
                 int(b.get("left", 0)) + int(b.get("width", 0)),
                 int(b.get("top", 0)) + int(b.get("height", 0)))
                for b in image.iter("box")
            ]
            images.append((f"detection/{image.get('file')}", boxes))
    return images


def iou(a: tuple[int, int, int, int], b: FaceBox) -> float:
    w = min(a[2], b.right) - max(a[0], b.left)
    h = min(a[3], b.bottom) - max(a[1], b.top)
    inter = max(0, w) * max(0, h)
    union = (a[2] - a[0]) * (a[3] - a[1]) + b.width * b.height - inter
    return inter / union


def detection_counts(root: Path, engine: DlibEngine) -> tuple[int, int, int]:
    """(labelled faces, found, boxes matching no labelled face), one box per face at most."""
    total = found = false = 0
    for relative, truth in labelled_faces(root):
        boxes = engine.detect(load(root, relative))
        unmatched = list(boxes)
        for face in truth:
            best = max(unmatched, key=lambda b: iou(face, b), default=None)
            if best is not None and iou(face, best) >= MATCH_IOU:
                unmatched.remove(best)
                found += 1
        total += len(truth)
        false += len(unmatched)
    return total, found, false


@pytest.mark.slow
def test_detection_recall_on_labelled_faces_with_one_upsampling(face_root: Path) -> None:
    upsampling = DlibEngine(SETTINGS.model_copy(update={"hog_upsample": 1}))
    total, found, false = detection_counts(face_root, upsampling)
    print(f"HOG upsample 1, score >= {SETTINGS.hog_score_threshold}: {found}/{total} faces, "
          f"{false} false boxes")
    assert total == 43
    assert found / total >= MIN_RECALL_UPSAMPLED
    assert false == 0


@pytest.mark.slow
def test_detection_recall_at_the_configured_settings(face_root: Path, engine: DlibEngine) -> None:
    total, found, false = detection_counts(face_root, engine)
    print(f"HOG upsample {SETTINGS.hog_upsample}, score >= {SETTINGS.hog_score_threshold}: "
          f"{found}/{total} faces, {false} false boxes")
    assert found / total >= MIN_RECALL_DEFAULT
    assert false == 0
