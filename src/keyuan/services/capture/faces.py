"""One frame's faces: decode → detect → quality gate → embed → 1:N. The same function runs in
the service's own threads (workers = 0) and inside each capture worker process; its result holds
counts and the pseudonyms of matches only — an unmatched face's template is a local variable
that dies with the loop iteration (C11)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from keyuan.config.face import FaceSettings
from keyuan.domain.errors import FaceQualityError
from keyuan.services.checkin.face import identify_thresholds
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceEngine, Image, Purpose, Template
from keyuan.services.faces.gallery import IdentifyResult
from keyuan.services.faces.quality import check_face

FrameData = Image | bytes
"""A decoded RGB frame (pull) or the encoded image a camera pushed (decoded where it is used)."""


class Searchable(Protocol):
    def __len__(self) -> int: ...

    def identify(self, template: Template, match_threshold: float,
                 review_threshold: float) -> IdentifyResult: ...


@dataclass
class FrameFaces:
    """What crosses back from a worker: counts, and (pseudonym, distance) of matches only.
    A review-band candidate is only counted (it never makes a visit, so its name stays in the
    worker too). `gallery` is the size the thresholds were set for (audited with a match)."""

    faces: int = 0
    low_quality: int = 0
    unmatched: int = 0
    matches: list[tuple[str, float]] = field(default_factory=list)
    needs_review: int = 0
    gallery: int = 0


def as_image(frame: FrameData, face: FaceSettings) -> Image:
    if isinstance(frame, bytes):
        return decode_image(frame, max_pixels=face.max_image_pixels,
                            max_bytes=face.max_image_bytes)
    return frame


def find_faces(engine: FaceEngine, frame: FrameData, face: FaceSettings,
               gallery: Searchable) -> FrameFaces:
    image = as_image(frame, face)
    size = len(gallery)
    match_at, review_at = identify_thresholds(face, size)
    found = FrameFaces(gallery=size)
    for box in engine.detect(image, purpose=Purpose.PROBE):
        found.faces += 1
        try:
            check_face(image, box, face)
        except FaceQualityError:
            found.low_quality += 1
            continue
        result = gallery.identify(engine.embed(image, box), match_at, review_at)
        if result.key is None:
            found.unmatched += 1  # dropped here: no file, row, log line, template or id
        elif result.outcome == "match":
            found.matches.append((result.key, round(result.distance or 0.0, 4)))
        else:
            found.needs_review += 1  # never a visit, never a name: counted anonymously
    return found
