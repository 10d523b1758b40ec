"""Template <-> bytes for the vault: a version byte, then 128 little-endian float32 (513 bytes)."""

from __future__ import annotations

import numpy as np

from keyuan.services.faces.engine import TEMPLATE_DIM, Template

FORMAT_VERSION = 1
_WIRE = np.dtype("<f4")
ENCODED_LENGTH = 1 + TEMPLATE_DIM * _WIRE.itemsize


class TemplateFormatError(ValueError):
    """Stored bytes are not a template this code wrote. A bug or tampering, never user input."""


def encode_template(template: Template) -> bytes:
    vector = np.asarray(template)
    if vector.shape != (TEMPLATE_DIM,):
        raise TemplateFormatError(f"a template has shape ({TEMPLATE_DIM},), not {vector.shape}")
    if not np.all(np.isfinite(vector)):
        raise TemplateFormatError("a template must not contain NaN or infinity")
    return bytes([FORMAT_VERSION]) + vector.astype(_WIRE).tobytes()


def decode_template(data: bytes) -> Template:
    if len(data) != ENCODED_LENGTH:
        raise TemplateFormatError(f"a template is {ENCODED_LENGTH} bytes, not {len(data)}")
    if data[0] != FORMAT_VERSION:
        raise TemplateFormatError(f"unknown template format version {data[0]}")
    vector = np.frombuffer(data, dtype=_WIRE, offset=1).astype(np.float32)
    if not np.all(np.isfinite(vector)):
        raise TemplateFormatError("the stored template contains NaN or infinity")
    return vector
