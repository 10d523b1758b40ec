"""Bytes -> RGB pixels, in memory only. Refuses oversized and malformed data before decoding it."""

from __future__ import annotations

from io import BytesIO

import numpy as np
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from keyuan.domain import errors
from keyuan.services.faces.engine import Image

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")


def decode_image(data: bytes, *, max_pixels: int, max_bytes: int) -> Image:
    """Decode a JPEG/PNG/WebP frame to an RGB uint8 array, upright per its EXIF orientation.

    Raises `ImageTooLarge` (bytes or header-declared pixels over the cap, checked before any pixel
    is decoded), `NotAnImage` (no recognisable header) or `ImageTruncated` (header fine, pixel
    data incomplete or corrupt).
    """
    if len(data) > max_bytes:
        raise errors.ImageTooLarge(
            f"The image is {len(data)} bytes; at most {max_bytes} are accepted."
        )
    if not data:
        raise errors.NotAnImage("The image data is empty.")
    picture = _open_header(data)
    try:
        width, height = picture.size
        if width * height > max_pixels:
            raise errors.ImageTooLarge(
                f"The image declares {width}x{height} pixels; at most {max_pixels} are accepted."
            )
        _load_pixels(picture)
        upright = ImageOps.exif_transpose(picture)
        rgb = upright.convert("RGB")
    finally:
        picture.close()
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


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
