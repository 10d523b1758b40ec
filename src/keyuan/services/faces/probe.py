"""A probe for 1:1 verification: the mean template of a returning visitor's usable frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keyuan.config.face import FaceSettings
from keyuan.domain import errors
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceEngine, Purpose, Template, combine_templates


@dataclass(frozen=True)
class Probe:
    template: Template
    frames_used: int


def probe_from_frames(
    frames: Sequence[bytes], *, engine: FaceEngine, settings: FaceSettings
) -> Probe:
    """Decode and sample every frame; average the usable ones (several frames lower the miss
    rate at the same threshold). Bad image data fails at once: it is bad input, not a retake.
    With no usable frame, the first frame's quality error is raised as it is."""
    templates: list[Template] = []
    first_error: errors.FaceQualityError | None = None
    for data in frames:
        image = decode_image(
            data, max_pixels=settings.max_image_pixels, max_bytes=settings.max_image_bytes
        )
        try:
            templates.append(engine.sample(image, purpose=Purpose.PROBE).template)
        except errors.FaceQualityError as exc:
            first_error = first_error or exc
    if not templates:
        raise first_error or errors.NoFace()
    mean = combine_templates(templates, unit=engine.unit_templates)
    return Probe(template=mean, frames_used=len(templates))
