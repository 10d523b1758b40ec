"""Quality gates: what each measure means and which reason a failing face gets."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from keyuan.config.face import FaceSettings
from keyuan.domain import errors
from keyuan.services.faces.engine import FaceBox
from keyuan.services.faces.quality import (
    GATE_SIZE,
    brightness,
    check_face,
    face_crop,
    resize_area,
    sharpness,
)

SETTINGS = FaceSettings()


def texture(size: int, *, seed: int = 0, mean: float = 128.0, contrast: float = 60.0) -> np.ndarray:
    """A face-like test card: smooth blobs plus edges, RGB uint8, drawn at `size` pixels."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(0, 1, (32, 32)).astype(np.float32)
    card = np.asarray(Image.fromarray(coarse, mode="F").resize((size, size), Image.BICUBIC))
    card = (card - card.mean()) / card.std()
    grey = np.clip(mean + contrast * card, 0, 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def whole(image: np.ndarray) -> FaceBox:
    return FaceBox(0, 0, image.shape[1], image.shape[0], 1.0)


def blurred(image: np.ndarray, radius: float) -> np.ndarray:
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius)))


def test_sharpness_does_not_depend_on_the_face_resolution() -> None:
    big = texture(512)
    small = np.asarray(Image.fromarray(big).resize((128, 128), Image.BOX))
    tiny = np.asarray(Image.fromarray(big).resize((96, 96), Image.BOX))
    assert sharpness(small) == pytest.approx(sharpness(big), rel=0.25)
    assert sharpness(tiny) == pytest.approx(sharpness(big), rel=0.35)


def test_blur_lowers_sharpness_below_the_default_gate() -> None:
    face = texture(256)
    assert sharpness(face) > SETTINGS.min_sharpness
    assert sharpness(blurred(face, 8)) < SETTINGS.min_sharpness
    assert sharpness(blurred(face, 2)) < sharpness(face)


def test_a_flat_crop_has_no_sharpness() -> None:
    assert sharpness(np.full((200, 200, 3), 128, np.uint8)) == 0.0
    assert sharpness(np.zeros((2, 2, 3), np.uint8)) == 0.0


def test_brightness_is_mean_bt601_luma() -> None:
    assert brightness(np.full((10, 10, 3), (255, 0, 0), np.uint8)) == pytest.approx(0.299 * 255)
    assert brightness(np.full((10, 10, 3), 200, np.uint8)) == pytest.approx(200, abs=0.01)


def test_resize_area_keeps_a_constant_constant_and_returns_the_gate_size() -> None:
    out = resize_area(np.full((333, 77), 42.0, np.float32), GATE_SIZE)
    assert out.shape == (GATE_SIZE, GATE_SIZE)
    np.testing.assert_allclose(out, 42.0, atol=1e-4)


def test_face_crop_is_clipped_to_the_image() -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    assert face_crop(image, FaceBox(-10, 90, 20, 130, 1.0)).shape == (10, 20, 3)


def test_a_good_face_passes_every_gate() -> None:
    face = texture(200)
    check_face(face, whole(face), SETTINGS)


def test_a_face_smaller_than_min_face_px_is_too_small() -> None:
    face = texture(SETTINGS.min_face_px - 1)
    with pytest.raises(errors.FaceTooSmall) as caught:
        check_face(face, whole(face), SETTINGS)
    assert caught.value.details["face_px"] == SETTINGS.min_face_px - 1


def test_a_blurred_face_is_too_blurry() -> None:
    face = blurred(texture(200), 10)
    with pytest.raises(errors.FaceTooBlurry):
        check_face(face, whole(face), SETTINGS)


def test_a_dark_face_is_too_dark_even_though_it_is_also_flat() -> None:
    face = texture(200, mean=20, contrast=5)
    with pytest.raises(errors.FaceTooDark):
        check_face(face, whole(face), SETTINGS)


def test_an_overexposed_face_is_too_bright() -> None:
    face = texture(200, mean=240, contrast=10)
    with pytest.raises(errors.FaceTooBright):
        check_face(face, whole(face), SETTINGS)


def test_gates_read_only_the_box_not_the_whole_frame() -> None:
    frame = np.zeros((400, 400, 3), np.uint8)  # a black frame would be "too dark"
    frame[100:300, 100:300] = texture(200)
    check_face(frame, FaceBox(100, 100, 300, 300, 1.0), SETTINGS)
