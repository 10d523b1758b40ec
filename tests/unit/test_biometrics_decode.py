"""Decoding uploaded frames: in memory, upright, RGB, and refusing bombs and broken data."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import numpy as np
import pytest
from PIL import Image, ImageFile

from keyuan.domain import errors
from keyuan.services.faces.decode import decode_image

LIMITS = {"max_pixels": 16_000_000, "max_bytes": 8_000_000}


def gradient(h: int = 60, w: int = 80) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 3 % 256, y * 4 % 256, (x + y) % 256], axis=2).astype(np.uint8)


def encoded(array: np.ndarray, fmt: str, **save: object) -> bytes:
    out = BytesIO()
    Image.fromarray(array).save(out, fmt, **save)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR declaring width x height, then one tiny IDAT: a bomb's
    header costs nothing to send."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture
def pixels_must_not_be_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixel data was decoded before the size check")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_lossless_png_and_webp_decode_to_the_exact_rgb_pixels(fmt: str) -> None:
    image = gradient()
    save = {"lossless": True} if fmt == "WEBP" else {}
    decoded = decode_image(encoded(image, fmt, **save), **LIMITS)
    assert decoded.dtype == np.uint8
    assert decoded.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(decoded, image)


def test_jpeg_decodes_to_rgb_of_the_same_size() -> None:
    decoded = decode_image(encoded(gradient(), "JPEG", quality=95), **LIMITS)
    assert decoded.shape == (60, 80, 3)
    assert np.abs(decoded.astype(int) - gradient()).mean() < 8


def test_grey_and_rgba_images_come_out_as_rgb() -> None:
    grey = encoded(gradient()[:, :, 0], "PNG")
    rgba = BytesIO()
    Image.fromarray(gradient()).convert("RGBA").save(rgba, "PNG")
    assert decode_image(grey, **LIMITS).shape == (60, 80, 3)
    np.testing.assert_array_equal(decode_image(rgba.getvalue(), **LIMITS), gradient())


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display": a phone held upright
    data = encoded(gradient(60, 80), "JPEG", exif=exif.tobytes())
    assert decode_image(data, **LIMITS).shape == (80, 60, 3)


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"])
def test_empty_or_garbage_bytes_are_not_an_image(data: bytes) -> None:
    with pytest.raises(errors.NotAnImage):
        decode_image(data, **LIMITS)


def test_formats_other_than_jpeg_png_webp_are_not_images() -> None:
    with pytest.raises(errors.NotAnImage):
        decode_image(encoded(gradient(), "BMP"), **LIMITS)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_a_cut_off_upload_is_truncated_not_padded(fmt: str, keep: float) -> None:
    noisy = np.random.default_rng(1).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    data = encoded(noisy, fmt)
    with pytest.raises(errors.ImageTruncated):
        decode_image(data[: int(len(data) * keep)], **LIMITS)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_more_bytes_than_allowed_are_refused_before_opening(
    pixels_must_not_be_decoded: None,
) -> None:
    with pytest.raises(errors.ImageTooLarge):
        decode_image(b"\0" * 2_001, max_pixels=10_000, max_bytes=2_000)


def test_a_header_declaring_more_pixels_than_allowed_is_refused_before_decoding(
    pixels_must_not_be_decoded: None,
) -> None:
    # 5000 x 5000 is under Pillow's own bomb limit: only our cap stops it.
    with pytest.raises(errors.ImageTooLarge, match="5000x5000"):
        decode_image(png_header_only(5000, 5000), **LIMITS)


def test_a_header_claiming_30000_squared_pixels_is_refused(
    pixels_must_not_be_decoded: None,
) -> None:
    with pytest.raises(errors.ImageTooLarge):
        decode_image(png_header_only(30_000, 30_000), max_pixels=100_000_000, max_bytes=10_000)


def test_a_highly_compressible_huge_png_is_refused_before_decoding(
    pixels_must_not_be_decoded: None,
) -> None:
    out = BytesIO()
    Image.new("RGB", (5000, 4000)).save(out, "PNG")
    data = out.getvalue()
    assert len(data) < 200_000  # 60 MB of pixels in a small upload
    with pytest.raises(errors.ImageTooLarge):
        decode_image(data, **LIMITS)


def test_an_image_exactly_at_the_pixel_cap_is_accepted() -> None:
    data = encoded(gradient(100, 100), "PNG")
    assert decode_image(data, max_pixels=10_000, max_bytes=10**6).shape == (100, 100, 3)
    with pytest.raises(errors.ImageTooLarge):
        decode_image(data, max_pixels=9_999, max_bytes=10**6)
