"""The real dlib engine on scikit-image's astronaut (always available, no face set needed)."""

from __future__ import annotations

import builtins
import os
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

import numpy as np
import pytest
from PIL import Image, ImageFilter

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.config.face import FaceSettings
from keyuan.domain import errors
from keyuan.services.faces.engine import Purpose
from keyuan.services.faces.enrollment import enroll_from_frames
from keyuan.services.faces.matching import verify

SETTINGS = FaceSettings()


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="module")
def engine() -> DlibEngine:
    return DlibEngine(SETTINGS)


def shifted(image: np.ndarray, dx: int, dy: int, gain: float = 1.0) -> np.ndarray:
    """Another kiosk frame: the person moved a little, the light changed a little. Shifts are
    padded with black, not wrapped, so no piece of the picture reappears elsewhere."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return np.clip(out.astype(np.float32) * gain, 0, 255).astype(np.uint8)


def scaled(image: np.ndarray, factor: float) -> np.ndarray:
    h, w = image.shape[:2]
    return np.asarray(Image.fromarray(image).resize((round(w * factor), round(h * factor))))


def jpeg(image: np.ndarray) -> bytes:
    out = BytesIO()
    Image.fromarray(image).save(out, "JPEG", quality=92)
    return out.getvalue()


def test_the_astronaut_has_exactly_one_confident_face(engine: DlibEngine, astronaut) -> None:
    boxes = engine.detect(astronaut)
    assert len(boxes) == 1
    face = boxes[0]
    assert face.score > 1.0
    assert (face.detector, face.left, face.top) == ("hog", 179, 83)
    assert SETTINGS.min_face_px <= face.width <= 120


def test_a_sample_is_a_finite_float32_template_of_128(engine: DlibEngine, astronaut) -> None:
    sample = engine.sample(astronaut, purpose=Purpose.ENROLL)
    assert sample.template.dtype == np.float32
    assert sample.template.shape == (128,)
    assert np.all(np.isfinite(sample.template))
    assert 1.0 < float(np.linalg.norm(sample.template)) < 2.0  # dlib's usual scale


def test_the_same_frame_embeds_to_the_same_template(engine: DlibEngine, astronaut) -> None:
    box = engine.detect(astronaut)[0]
    np.testing.assert_array_equal(engine.embed(astronaut, box), engine.embed(astronaut, box))


def test_a_face_cut_by_the_frame_edge_gets_a_box_clipped_to_the_image(
    engine: DlibEngine, astronaut
) -> None:
    boxes = engine.detect(astronaut[90:])
    assert boxes and boxes[0].top == 0
    assert all(0 <= b.left < b.right <= 512 and 0 <= b.top < b.bottom <= 422 for b in boxes)


def test_an_augmented_copy_verifies_as_the_same_person(engine: DlibEngine, astronaut) -> None:
    reference = engine.sample(astronaut, purpose=Purpose.PROBE).template
    probe = engine.sample(shifted(astronaut, 8, -8, 1.1), purpose=Purpose.PROBE).template
    result = verify(probe, reference, SETTINGS.verify_threshold)
    assert result.matched
    assert result.distance < 0.2


def test_enrollment_from_three_jpeg_frames_gives_a_template_that_verifies(
    engine: DlibEngine, astronaut
) -> None:
    frames = [jpeg(shifted(astronaut, dx, dy, g)) for dx, dy, g in [(8, 0, 0.9), (0, -8, 1.1),
                                                                    (-8, 8, 1.0)]]
    result = enroll_from_frames(frames, engine=engine, settings=SETTINGS)
    assert (result.frames_used, result.rejected) == (3, ())
    probe = engine.sample(astronaut, purpose=Purpose.PROBE).template
    assert verify(probe, result.template, SETTINGS.verify_threshold).matched


def test_enrollment_with_a_blurred_frame_among_three_is_not_enough(
    engine: DlibEngine, astronaut
) -> None:
    blurred = np.asarray(Image.fromarray(astronaut).filter(ImageFilter.GaussianBlur(2)))
    frames = [jpeg(astronaut), jpeg(shifted(astronaut, 8, 0)), jpeg(blurred)]
    with pytest.raises(errors.NotEnoughFrames, match="face_too_blurry"):
        enroll_from_frames(frames, engine=engine, settings=SETTINGS)


def test_a_heavily_blurred_copy_is_too_blurry(engine: DlibEngine, astronaut) -> None:
    blurred = np.asarray(Image.fromarray(astronaut).filter(ImageFilter.GaussianBlur(2)))
    assert engine.detect(blurred), "the blurred face must still be found for the gate to judge it"
    with pytest.raises(errors.FaceTooBlurry):
        engine.sample(blurred, purpose=Purpose.PROBE)


def test_a_downscaled_copy_is_too_small(engine: DlibEngine, astronaut) -> None:
    with pytest.raises(errors.FaceTooSmall):
        engine.sample(scaled(astronaut, 0.8), purpose=Purpose.PROBE)


def test_a_tiny_face_found_by_an_upsampled_probe_is_still_too_small(astronaut) -> None:
    upsampling = DlibEngine(FaceSettings(hog_upsample=1))
    tiny = scaled(astronaut, 0.5)
    assert upsampling.detect(tiny)
    with pytest.raises(errors.FaceTooSmall):
        upsampling.sample(tiny, purpose=Purpose.PROBE)


def test_a_tiny_face_is_not_found_without_upsampling(engine: DlibEngine, astronaut) -> None:
    with pytest.raises(errors.NoFace):
        engine.sample(scaled(astronaut, 0.5), purpose=Purpose.PROBE)


def test_a_darkened_copy_is_too_dark(engine: DlibEngine, astronaut) -> None:
    with pytest.raises(errors.FaceTooDark):
        engine.sample(shifted(astronaut, 0, 0, 0.2), purpose=Purpose.PROBE)


def test_an_overexposed_copy_is_too_bright(engine: DlibEngine, astronaut) -> None:
    with pytest.raises(errors.FaceTooBright):
        engine.sample(shifted(astronaut, 0, 0, 1.6), purpose=Purpose.PROBE)


def test_two_astronauts_side_by_side_are_refused_at_enrollment(
    engine: DlibEngine, astronaut
) -> None:
    pair = np.ascontiguousarray(np.concatenate([astronaut, astronaut], axis=1))
    assert len(engine.detect(pair, purpose=Purpose.ENROLL)) == 2
    with pytest.raises(errors.MultipleFaces):
        engine.sample(pair, purpose=Purpose.ENROLL)


def test_a_probe_with_two_faces_takes_the_best_scoring_not_the_largest(
    engine: DlibEngine, astronaut
) -> None:
    big = scaled(astronaut, 1.5)[:512, :768]  # a larger face that HOG scores lower
    canvas = np.zeros((768, 1280, 3), np.uint8)
    canvas[:512, :512] = astronaut
    canvas[:512, 512:] = big
    boxes = engine.detect(canvas)
    assert len(boxes) == 2
    assert boxes[0].score > boxes[1].score
    assert boxes[0].width < boxes[1].width, "the scene must put the larger face second"
    sample = engine.sample(canvas, purpose=Purpose.PROBE)
    assert sample.box == boxes[0]


def test_an_image_with_no_face_has_no_face(engine: DlibEngine) -> None:
    texture = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    with pytest.raises(errors.NoFace):
        engine.sample(texture, purpose=Purpose.PROBE)


def test_a_non_rgb_array_is_a_programming_error(engine: DlibEngine) -> None:
    with pytest.raises(ValueError):
        engine.detect(np.zeros((10, 10), np.uint8))


def test_nothing_is_saved_while_sampling_or_enrolling(
    engine: DlibEngine, astronaut, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = [jpeg(shifted(astronaut, dx, 0)) for dx in (0, 8, -8)]

    def no_saving(*args: object, **kwargs: object) -> None:
        raise AssertionError("an image was encoded or saved")

    real_open, real_os_open = builtins.open, os.open
    writes: list[str] = []

    def watched_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if any(flag in mode for flag in "wax+"):
            writes.append(str(file))
        return real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    def watched_os_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            writes.append(str(path))
        return real_os_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Image.Image, "save", no_saving)
    monkeypatch.setattr(builtins, "open", watched_open)
    monkeypatch.setattr(os, "open", watched_os_open)
    probe = engine.sample(astronaut, purpose=Purpose.PROBE)
    enrolled = enroll_from_frames(frames, engine=engine, settings=SETTINGS)
    monkeypatch.undo()

    assert writes == []  # no file opened for writing, by any path
    assert enrolled.frames_used == 3  # the engine did run on every frame...
    assert verify(enrolled.template, probe.template, SETTINGS.verify_threshold).matched


@pytest.mark.slow
def test_enrollment_falls_back_to_the_cnn_when_hog_finds_no_face(
    engine: DlibEngine, astronaut
) -> None:
    tilted = np.asarray(Image.fromarray(astronaut).rotate(50, Image.BILINEAR, center=(222, 126)))
    with pytest.raises(errors.NoFace):
        engine.sample(tilted, purpose=Purpose.PROBE)
    sample = engine.sample(tilted, purpose=Purpose.ENROLL)
    assert sample.box.detector == "cnn"
    reference = engine.sample(astronaut, purpose=Purpose.PROBE).template
    assert verify(sample.template, reference, SETTINGS.verify_threshold).matched


@pytest.mark.slow
def test_no_cnn_fallback_when_it_is_switched_off(astronaut) -> None:
    engine = DlibEngine(FaceSettings(cnn_fallback_for_enrollment=False))
    tilted = np.asarray(Image.fromarray(astronaut).rotate(50, Image.BILINEAR, center=(222, 126)))
    assert engine.detect(tilted, purpose=Purpose.ENROLL) == []


def test_models_are_loaded_lazily_not_at_construction() -> None:
    engine = DlibEngine(SETTINGS)
    assert engine._models == {}
    _ = engine.hog
    assert set(engine._models) == {"hog"}




def test_one_engine_shared_by_threads_gives_the_same_templates(astronaut) -> None:
    engine = DlibEngine(SETTINGS)  # fresh, so the threads also race to load the models
    frames = [shifted(astronaut, dx, 0) for dx in (0, 8, -8, 16)]
    expected = [DlibEngine(SETTINGS).sample(f, purpose=Purpose.PROBE).template for f in frames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda f: engine.sample(f, purpose=Purpose.PROBE).template, frames))
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_the_cnn_searches_a_large_frame_shrunk_and_maps_the_box_back(
    engine: DlibEngine, astronaut
) -> None:
    tilted = np.asarray(Image.fromarray(astronaut).rotate(50, Image.BILINEAR, center=(222, 126)))
    small = engine.detect(tilted, purpose=Purpose.ENROLL)[0]
    large = engine.detect(scaled(tilted, 2.0), purpose=Purpose.ENROLL)[0]
    assert large.detector == "cnn"
    # mmod's box size is quantised by its pyramid, so compare centres and sizes loosely; an
    # unmapped box would sit at about half these coordinates.
    assert abs((large.left + large.right) / 2 - (small.left + small.right)) < 0.2 * large.width
    assert abs((large.top + large.bottom) / 2 - (small.top + small.bottom)) < 0.2 * large.width
    assert 0.8 < large.width / (2 * small.width) < 1.25
