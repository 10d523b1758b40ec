"""How an evaluation photo becomes a template: tight crops are padded, then taken whole; and the
SHA-256 template cache keeps whole entries only. A stub engine stands in for dlib."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from keyuan.config.face import FaceSettings
from keyuan.evaluation.cache import TemplateCache, file_digest, settings_fingerprint
from keyuan.evaluation.faces import FaceRecord, pad_crop, record_from_bytes, record_from_image
from keyuan.services.faces.engine import TEMPLATE_DIM, FaceBox, Image, Purpose, Template

SETTINGS = FaceSettings()


class MarginEngine:
    """Finds a face only in images at least `needs` px on each side (HOG wants margin)."""

    def __init__(self, needs: int = 300) -> None:
        self.needs = needs

    def detect(self, image: Image, *, purpose: Purpose = Purpose.PROBE) -> list[FaceBox]:
        h, w = image.shape[:2]
        if min(h, w) < self.needs:
            return []
        return [FaceBox(w // 4, h // 4, 3 * w // 4, 3 * h // 4, score=1.0)]

    def embed(self, image: Image, box: FaceBox) -> Template:
        return np.full(TEMPLATE_DIM, box.width / 1000, dtype=np.float32)

    def sample(self, image: Image, *, purpose: Purpose) -> object:
        raise NotImplementedError


def noise(h: int, w: int) -> Image:
    return np.random.default_rng(h * w).integers(0, 255, (h, w, 3), dtype=np.uint8)


def test_a_face_found_at_once_is_reported_as_detected() -> None:
    record = record_from_image(noise(400, 400), engine=MarginEngine(), settings=SETTINGS)
    assert (record.status, record.box_source) == ("ok", "detected")
    assert record.template is not None


def test_a_tight_crop_is_padded_before_the_second_search() -> None:
    record = record_from_image(noise(150, 150), engine=MarginEngine(), settings=SETTINGS)
    assert record.box_source == "padded"


def test_a_crop_no_detector_finds_is_embedded_whole() -> None:
    record = record_from_image(noise(150, 120), engine=MarginEngine(10_000), settings=SETTINGS)
    assert record.box_source == "whole_crop"
    assert record.template is not None and record.template[0] == pytest.approx(0.12)


def test_a_large_photo_without_a_face_has_no_template() -> None:
    record = record_from_image(noise(600, 800), engine=MarginEngine(10_000), settings=SETTINGS)
    assert (record.status, record.box_source, record.template) == ("no_face", "none", None)


def test_the_whole_crop_fallback_can_be_switched_off() -> None:
    record = record_from_image(noise(150, 150), engine=MarginEngine(10_000), settings=SETTINGS,
                               whole_crop_fallback=False)
    assert record.status == "no_face"


def test_bytes_that_are_not_an_image_are_counted_as_unreadable() -> None:
    record = record_from_bytes(b"not a jpeg", engine=MarginEngine(), settings=SETTINGS)
    assert (record.status, record.quality) == ("unreadable", "not_an_image")


def test_padding_enlarges_small_crops_and_keeps_the_crop_in_the_middle() -> None:
    crop = noise(100, 80)
    padded = pad_crop(crop)
    assert min(padded.shape[:2]) >= 200 + 2 * 125
    assert padded[0, 0].tolist() == [128, 128, 128]


def png(image: Image) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_cache_returns_exactly_what_was_stored(tmp_path: Path) -> None:
    cache = TemplateCache(tmp_path, "fp")
    template = np.random.default_rng(3).normal(0, 0.1, TEMPLATE_DIM).astype(np.float32)
    cache.put("ab" * 32, FaceRecord("ok", "padded", "face_too_blurry", template))
    cache.put("cd" * 32, FaceRecord("no_face", "none", "no_face", None))
    stored = cache.get("ab" * 32)
    assert stored is not None and stored.template is not None
    assert np.array_equal(stored.template, template)
    assert (stored.box_source, stored.quality) == ("padded", "face_too_blurry")
    assert cache.get("cd" * 32) == FaceRecord("no_face", "none", "no_face", None)
    assert cache.get("ef" * 32) is None
    assert not list(tmp_path.rglob(".tmp-*"))


def test_a_damaged_cache_entry_is_recomputed_not_trusted(tmp_path: Path) -> None:
    cache = TemplateCache(tmp_path, "fp")
    cache.put("ab" * 32, FaceRecord("no_face", "none", "no_face", None))
    entry = next(tmp_path.rglob("*.json"))
    entry.write_text(json.dumps({"status": "ok", "template": "AAAA"}))
    assert cache.get("ab" * 32) is None


def test_cache_entries_hold_no_file_name_or_pixels(tmp_path: Path) -> None:
    data = png(noise(20, 20))
    cache = TemplateCache(tmp_path, "fp")
    cache.put(file_digest(data), FaceRecord("ok", "whole_crop", "face_too_small",
                                            np.zeros(TEMPLATE_DIM, np.float32)))
    entry = next(tmp_path.rglob("*.json"))
    assert entry.name == f"{file_digest(data)}.json"
    assert set(json.loads(entry.read_text())) == {"status", "box_source", "quality", "template",
                                                  "measures"}


def test_templates_from_other_settings_or_models_are_never_mixed() -> None:
    def key(settings: FaceSettings, fallback: bool = True, tag: str = "dlib:aa") -> str:
        return settings_fingerprint(settings, fallback, model_tag=tag)

    assert key(SETTINGS) != key(FaceSettings(hog_upsample=1))
    assert key(SETTINGS) != key(SETTINGS, False)
    assert key(SETTINGS) != key(SETTINGS, tag="sface:bb")
    assert key(SETTINGS) != key(SETTINGS, tag="dlib:cc")  # other weights of the same kind
    assert key(SETTINGS) == key(FaceSettings())
    # thresholds decide, they do not make templates: the cache survives a recalibration
    looser = SETTINGS.dlib.model_copy(update={"verify": 0.6, "verify_review": 0.6})
    assert key(SETTINGS) == key(SETTINGS.model_copy(update={"dlib": looser}))
