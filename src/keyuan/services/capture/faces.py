"""One frame's faces: decode → detect → quality gate → embed → 1:N. The same function runs in
the service's own threads (workers = 0) and inside each capture worker process; its result holds
counts and the pseudonyms of matches only — an unmatched face's template is a local variable
that dies with the loop iteration (C11). For each match it also carries the face's liveness cue
(`services.faces.liveness.FaceCue`: a 32x32 grey thumbnail, the face aligned on its five
landmarks at 80x80, the landmarks), which the track holds in memory until the track is decided
or ends; an unmatched or review-band face gets no cue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

import numpy as np

from keyuan.config.face import FaceSettings
from keyuan.config.liveness import LivenessSettings
from keyuan.domain.capture.tracks import Difference, Judge, LaneRules
from keyuan.domain.checkin.liveness import landmark_motion, usable_landmarks
from keyuan.domain.errors import FaceQualityError
from keyuan.services.checkin.face import identify_thresholds
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceBox, FaceEngine, Image, Purpose, Template
from keyuan.services.faces.gallery import IdentifyResult
from keyuan.services.faces.landmarks import Landmarker
from keyuan.services.faces.liveness import FaceCue, cue_difference, face_cue, face_region
from keyuan.services.faces.quality import check_face

FrameData = Image | bytes
"""A decoded RGB frame (pull) or the encoded image a camera pushed (decoded where it is used)."""


class Searchable(Protocol):
    def __len__(self) -> int: ...

    def identify(self, template: Template, match_threshold: float,
                 review_threshold: float) -> IdentifyResult: ...


@dataclass
class FrameFaces:
    """What crosses back from a worker: counts, and (pseudonym, distance) of matches only, with
    each match's liveness cue (`cues[i]` for `matches[i]`; None when no five landmarks were
    found). A review-band candidate is only counted (it never makes a visit, so its name stays
    in the worker too). `gallery` is the size the thresholds were set for (audited with a
    match)."""

    faces: int = 0
    low_quality: int = 0
    unmatched: int = 0
    matches: list[tuple[str, float]] = field(default_factory=list)
    cues: list[FaceCue | None] = field(default_factory=list)
    needs_review: int = 0
    gallery: int = 0


def as_image(frame: FrameData, face: FaceSettings) -> Image:
    if isinstance(frame, bytes):
        return decode_image(frame, max_pixels=face.max_image_pixels,
                            max_bytes=face.max_image_bytes)
    return frame


def find_faces(engine: FaceEngine, frame: FrameData, face: FaceSettings,
               gallery: Searchable, landmarker: Landmarker | None = None) -> FrameFaces:
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
            found.cues.append(match_cue(image, box, landmarker))
        else:
            found.needs_review += 1  # never a visit, never a name: counted anonymously
    return found


def match_cue(image: Image, box: FaceBox, landmarker: Landmarker | None) -> FaceCue | None:
    """The liveness cue of a matched face: its five landmarks from the detector when it gives
    them (YuNet), else from the landmarker run on the face's surroundings only (a small crop:
    cheap at camera rates); None when neither finds them."""
    points = box.landmarks
    if not usable_landmarks(points):
        if landmarker is None:
            return None
        left, top, right, bottom = face_region(image, box)
        crop = np.ascontiguousarray(image[top:bottom, left:right])
        centre = ((box.left + box.right) / 2 - left, (box.top + box.bottom) / 2 - top)
        found = [f for f in landmarker.faces(crop) if usable_landmarks(f.landmarks)]
        if not found:
            return None
        nearest = min(found, key=lambda f: abs((f.left + f.right) / 2 - centre[0])
                      + abs((f.top + f.bottom) / 2 - centre[1]))
        points = tuple((x + left, y + top) for x, y in nearest.landmarks)
    return face_cue(image, box, points)


def lane_judge(liveness: LivenessSettings) -> Judge:
    """The tracks' `Judge`: how a sighting's cue differs from the track's first, measured as
    `require_live` measures a pair of frames. A sighting identical to the first (thumbnails
    AND landmarks) is not registered: its residual is that of one picture, 0, and the costly
    part of the check is spared on a still photo pushed again and again."""

    def judge(first: object, other: object) -> Difference:
        if not isinstance(first, FaceCue) or not isinstance(other, FaceCue):
            raise TypeError("a track's cues are FaceCue")
        pixels = float(np.mean(np.abs(first.thumbnail - other.thumbnail)))
        moved = landmark_motion([first.points, other.points])
        if pixels < liveness.identical_pixels and moved < liveness.identical_landmarks:
            return Difference(pixels=pixels, landmarks=moved, residual=0.0)
        m = cue_difference(first, other)
        return Difference(pixels=m.pixel_difference, landmarks=m.landmark_motion,
                          residual=m.aligned_residual, shape=m.shape_spread)

    return judge


def lane_rules(liveness: LivenessSettings) -> LaneRules:
    """The product's passive thresholds (`LivenessSettings`), as the lane's tracks apply them."""
    return LaneRules(identical_pixels=liveness.identical_pixels,
                     identical_landmarks=liveness.identical_landmarks,
                     single_image_residual=liveness.single_image_residual,
                     single_image_shape=liveness.single_image_shape,
                     min_gap=timedelta(milliseconds=liveness.min_gap_ms))
