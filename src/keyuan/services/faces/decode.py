"""Bytes -> RGB pixels, in memory only. Refuses oversized and malformed data before decoding it."""

from __future__ import annotations

from io import BytesIO

import numpy as np
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from keyuan.domain import errors
from keyuan.services.faces.engine import Image

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MIN_SIDE_PX = 32
"""No usable face (the engines want about 80 px) fits in a smaller image; a 1×1 or 3×5 frame
would otherwise reach the detectors. An ID card chip photo is about 102×126."""
MAX_ASPECT = 4.0
"""Wider than a 32:9 panorama or taller than 1:4 is no camera frame: a 1×16M strip would
otherwise reach the detectors."""


def decode_image(data: bytes, *, max_pixels: int, max_bytes: int) -> Image:
    """Decode a JPEG/PNG/WebP frame to an RGB uint8 array, upright per its EXIF orientation.

    Raises `ImageTooLarge` (bytes or header-declared pixels over the cap) or `ImageShapeRefused`
    (a side under 32 px, or more than 4:1), both from the header before any pixel is decoded
    and so before any detector runs; `NotAnImage` (no recognisable header) or `ImageTruncated`
    (header fine, pixel data incomplete or corrupt).
    """
    if len(data) > max_bytes:
        raise errors.ImageTooLarge(
            f"The image is {len(data)} bytes; at most {max_bytes} are accepted."
        )
    if not data:
        raise errors.NotAnImage("The image data is empty.")
    picture = _open_header(data)
    try:
        _check_shape(*picture.size, max_pixels=max_pixels)
        _load_pixels(picture)
        upright = ImageOps.exif_transpose(picture)
        rgb = upright.convert("RGB")
    finally:
        picture.close()
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _check_shape(width: int, height: int, *, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise errors.ImageTooLarge(
            f"The image declares {width}x{height} pixels; at most {max_pixels} are accepted."
        )
    if min(width, height) < MIN_SIDE_PX or max(width, height) > MAX_ASPECT * min(width, height):
        raise errors.ImageShapeRefused(
            f"The image is {width}x{height} pixels: each side must be at least {MIN_SIDE_PX} px "
            f"and the longer at most {MAX_ASPECT:g} times the shorter."
        )


def _open_header(data: bytes) -> PILImage.Image:
    # Image.open reads only the header, so the pixel count is known before a single pixel
    # is decompressed. Pillow's own bomb guard fires here for absurd sizes; a warning promoted
    # to an error by a -W filter is a refusal too.
    try:
        return PILImage.open(BytesIO(data), formats=ACCEPTED_FORMATS)
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise errors.ImageTooLarge("The image declares too many pixels.") from exc
    except (UnidentifiedImageError, SyntaxError, ValueError, OSError) as exc:
        raise errors.NotAnImage() from exc


def _load_pixels(picture: PILImage.Image) -> None:
    # LOAD_TRUNCATED_IMAGES is deliberately left at Pillow's default (False): a cut-off upload
    # must be refused, not silently padded with grey.
    try:
        picture.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise errors.ImageTruncated() from exc
