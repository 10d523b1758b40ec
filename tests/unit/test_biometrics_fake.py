"""The fake engine that service tests rely on, and enrollment logic driven through it."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from keyuan.adapters.biometrics.fake import FakeEngine, solid_face, two_faces
from keyuan.config.face import FaceSettings
from keyuan.domain import errors
from keyuan.services.faces.engine import FaceEngine, Purpose
from keyuan.services.faces.enrollment import enroll_from_frames, enroll_from_images
from keyuan.services.faces.matching import distance, verify

ALICE = (200, 150, 120)
BOB = (90, 160, 200)
SETTINGS = FaceSettings()


def png(image: np.ndarray) -> bytes:
    out = BytesIO()
    Image.fromarray(image).save(out, "PNG")
    return out.getvalue()


def noisy(rgb: tuple[int, int, int], seed: int) -> np.ndarray:
    """The same person in another frame: a little sensor noise."""
    noise = np.random.default_rng(seed).integers(-3, 4, (480, 640, 3))
    return np.clip(solid_face(rgb).astype(int) + noise, 0, 255).astype(np.uint8)


def test_fake_engine_satisfies_the_port() -> None:
    engine: FaceEngine = FakeEngine()
    assert engine.detect(solid_face(ALICE))


def test_the_same_colour_is_the_same_person_and_another_colour_is_not() -> None:
    engine = FakeEngine()
    a1 = engine.sample(noisy(ALICE, 1), purpose=Purpose.PROBE).template
    a2 = engine.sample(noisy(ALICE, 2), purpose=Purpose.PROBE).template
    b = engine.sample(solid_face(BOB), purpose=Purpose.PROBE).template
    assert verify(a1, a2, SETTINGS.verify_threshold).matched
    assert distance(a1, b) > 1.0


def test_an_all_black_image_has_no_face() -> None:
    with pytest.raises(errors.NoFace):
        FakeEngine().sample(np.zeros((480, 640, 3), np.uint8), purpose=Purpose.PROBE)


def test_two_faces_are_refused_at_enrollment_but_a_probe_takes_the_best() -> None:
    engine = FakeEngine()
    with pytest.raises(errors.MultipleFaces):
        engine.sample(two_faces(ALICE, BOB), purpose=Purpose.ENROLL)
    probe = engine.sample(two_faces(ALICE, BOB), purpose=Purpose.PROBE).template
    alice = engine.sample(solid_face(ALICE), purpose=Purpose.PROBE).template
    assert distance(probe, alice) == 0.0


def test_fake_applies_the_real_size_and_light_gates() -> None:
    engine = FakeEngine()
    with pytest.raises(errors.FaceTooSmall):
        engine.sample(solid_face(ALICE, size=(60, 60)), purpose=Purpose.PROBE)
    with pytest.raises(errors.FaceTooDark):
        engine.sample(solid_face((20, 20, 20)), purpose=Purpose.PROBE)
    with pytest.raises(errors.FaceTooBright):
        engine.sample(solid_face((250, 250, 250)), purpose=Purpose.PROBE)


def test_fail_with_makes_every_sample_raise_that_error() -> None:
    engine = FakeEngine(fail_with=errors.FaceTooBlurry())
    with pytest.raises(errors.FaceTooBlurry):
        engine.sample(solid_face(ALICE), purpose=Purpose.PROBE)


# --- enrollment -----------------------------------------------------------------------------
def test_enrollment_averages_the_good_frames_and_reports_the_rejected_ones() -> None:
    frames = [noisy(ALICE, 1), np.zeros((480, 640, 3), np.uint8), noisy(ALICE, 2),
              two_faces(ALICE, BOB), noisy(ALICE, 3)]
    result = enroll_from_images(frames, engine=FakeEngine(), settings=SETTINGS)
    assert result.frames_used == 3
    assert [(r.index, r.reason) for r in result.rejected] == [(1, "no_face"), (3, "multiple_faces")]
    alice = FakeEngine().sample(solid_face(ALICE), purpose=Purpose.PROBE).template
    assert result.template.dtype == np.float32
    assert distance(result.template, alice) < 1e-6


def test_too_few_good_frames_is_not_enough_and_says_why() -> None:
    frames = [noisy(ALICE, 1), noisy(ALICE, 2), solid_face((10, 10, 10))]
    with pytest.raises(errors.NotEnoughFrames) as caught:
        enroll_from_images(frames, engine=FakeEngine(), settings=SETTINGS)
    assert "face_too_dark" in caught.value.message
    assert caught.value.details["rejected"] == ["face_too_dark"]


def test_frames_of_two_different_people_are_refused() -> None:
    frames = [noisy(ALICE, 1), noisy(ALICE, 2), noisy(BOB, 3)]
    with pytest.raises(errors.NotEnoughFrames) as caught:
        enroll_from_images(frames, engine=FakeEngine(), settings=SETTINGS)
    assert caught.value.details["reason"] == "frames_disagree"


def test_enroll_min_frames_is_honoured() -> None:
    settings = FaceSettings(enroll_min_frames=4)
    three = [noisy(ALICE, i) for i in range(3)]
    with pytest.raises(errors.NotEnoughFrames):
        enroll_from_images(three, engine=FakeEngine(), settings=settings)
    result = enroll_from_images(
        [noisy(ALICE, i) for i in range(4)], engine=FakeEngine(), settings=settings
    )
    assert result.frames_used == 4


def test_enrollment_from_bytes_decodes_each_frame() -> None:
    frames = [png(noisy(ALICE, i)) for i in range(3)] + [png(solid_face((10, 10, 10)))]
    result = enroll_from_frames(frames, engine=FakeEngine(), settings=SETTINGS)
    assert result.frames_used == 3
    assert [r.reason for r in result.rejected] == ["face_too_dark"]


@pytest.mark.parametrize(
    ("bad", "error"), [(b"not an image", errors.NotAnImage), (None, errors.ImageTruncated)]
)
def test_enrollment_with_bad_image_data_fails_before_any_face_is_processed(
    bad: bytes | None, error: type[errors.KeyuanError]
) -> None:
    good = [png(noisy(ALICE, i)) for i in range(3)]
    engine = FakeEngine()
    with pytest.raises(error):
        enroll_from_frames([*good, bad or good[0][:200]], engine=engine, settings=SETTINGS)
    assert engine.calls == []
