"""录入: one template from several frames of one person, all in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keyuan.config.face import FaceSettings
from keyuan.domain import errors
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceEngine, Image, Purpose, Template, combine_templates
from keyuan.services.faces.matching import distance


@dataclass(frozen=True)
class RejectedFrame:
    index: int
    reason: str
    """The error code, e.g. "face_too_blurry"."""


@dataclass(frozen=True)
class EnrollmentResult:
    template: Template
    frames_used: int
    rejected: tuple[RejectedFrame, ...]


def enroll_from_frames(
    frames: Sequence[bytes], *, engine: FaceEngine, settings: FaceSettings
) -> EnrollmentResult:
    """Decode every frame in memory, then `enroll_from_images`. Bad image data (`NotAnImage`,
    `ImageTruncated`, `ImageTooLarge`) fails at once: it is bad input, not a retake, and is
    refused before any face is processed."""
    images = [
        decode_image(data, max_pixels=settings.max_image_pixels, max_bytes=settings.max_image_bytes)
        for data in frames
    ]
    return enroll_from_images(images, engine=engine, settings=settings)


def enroll_from_images(
    images: Sequence[Image], *, engine: FaceEngine, settings: FaceSettings
) -> EnrollmentResult:
    """Average the templates of the frames that pass every gate.

    When no frame passes and all failed for one reason, that reason's error is raised as it is
    (e.g. `MultipleFaces`: "one person at a time"). Raises `NotEnoughFrames` when fewer than
    `enroll_min_frames` pass (the message lists why the
    others failed) or when two good frames are farther apart than `verify_threshold`, i.e. they
    may not show the same person (details: reason="frames_disagree").
    """
    templates: list[Template] = []
    rejected: list[RejectedFrame] = []
    first_error: errors.FaceQualityError | None = None
    for index, image in enumerate(images):
        try:
            templates.append(engine.sample(image, purpose=Purpose.ENROLL).template)
        except errors.FaceQualityError as exc:
            rejected.append(RejectedFrame(index, exc.code))
            first_error = first_error or exc
    if first_error is not None and all(r.reason == first_error.code for r in rejected) \
            and not templates:
        raise first_error  # every frame failed the same way: give the kiosk that one advice
    if len(templates) < settings.enroll_min_frames:
        raise errors.NotEnoughFrames(
            _shortfall_message(len(templates), settings.enroll_min_frames, rejected),
            good=len(templates),
            needed=settings.enroll_min_frames,
            rejected=[r.reason for r in rejected],
        )
    _check_same_person(templates, settings.verify_threshold)
    mean = combine_templates(templates, unit=engine.unit_templates)
    return EnrollmentResult(template=mean, frames_used=len(templates), rejected=tuple(rejected))


def _check_same_person(templates: Sequence[Template], threshold: float) -> None:
    # Pairwise rather than distance-to-mean: with three frames a stranger pulls the mean towards
    # himself and can hide inside the threshold.
    worst = max(
        distance(a, b) for i, a in enumerate(templates) for b in templates[i + 1 :]
    )
    if worst > threshold:
        raise errors.NotEnoughFrames(
            "The frames do not all show the same person. Please retake them with one person "
            "in view.",
            reason="frames_disagree",
            worst_distance=round(worst, 3),
        )


def _shortfall_message(good: int, needed: int, rejected: Sequence[RejectedFrame]) -> str:
    counts: dict[str, int] = {}
    for frame in rejected:
        counts[frame.reason] = counts.get(frame.reason, 0) + 1
    reasons = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items())) or "none"
    return f"Only {good} of {needed} needed frames were usable (rejected: {reasons})."
