"""活体检测: `require_live` decides whether a sequence of frames shows a live person before any
face decision uses them (enrollment, return visit, signing desk, in-person rights, camera lane).

Passive checks run on every sequence: enough frames; capture times spread as a camera produces
them; a face in every frame; frames not identical (32x32 grayscale thumbnails AND landmarks);
frames not one image moved about (faces aligned on their landmarks leave almost no texture
difference). Where a challenge runs (`steps`), the head poses read from the landmarks must
follow it (`domain.checkin.liveness.check_challenge`) and the face must stay one person: each
frame's template within the engine's review threshold of the first frame's.

Frames are decoded in memory only; nothing of them (pixels, landmarks, templates, poses) is
stored or logged. The answer is `NotLive(reason)`, or the `LiveFrames` the caller's identity
check then reads (decoded once, here): the decoded frames and which of them face the camera."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt
from PIL import Image as PILImage
from PIL import ImageFilter

from keyuan.config.face import FaceSettings
from keyuan.config.liveness import LivenessSettings
from keyuan.domain import errors
from keyuan.domain.checkin.liveness import (
    LivenessReason,
    NotLive,
    Point,
    PoseSample,
    Step,
    check_challenge,
    check_times,
    estimate_pose,
    landmark_motion,
    shape_signature,
    shape_spread,
    usable_landmarks,
)
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceBox, FaceEngine, Image
from keyuan.services.faces.landmarks import Landmarker
from keyuan.services.faces.matching import distance

Floats = npt.NDArray[np.float32]
T = TypeVar("T")

THUMB_SIDE = 32
ALIGNED_SIDE = 64
ALIGN_MARGIN = 8
REGISTER_STEPS = 30
INNER_BORDER = 10
BLUR = 3.0
"""Softening (Gaussian sigma, px) of the aligned faces before registration: noise and JPEG
blocks fall below it, the features of a face do not."""
REFERENCE_POINTS = (np.asarray(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
     [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64) - (56.0, 72.0)) * (
    32.0 / 35.2) + ALIGNED_SIDE / 2
"""The five points' places in the aligned face: the ArcFace/SFace template, scaled to eyes 32 px
apart and centred, so the crop holds the inner face (two eye distances square) and stays inside
the frame of a tight portrait."""


class Deps(Protocol):
    """What liveness needs of `services.ports.Deps` (which it is, in every caller; named here so
    that `services.faces` does not import `services.ports`, which imports it)."""

    @property
    def face(self) -> FaceSettings: ...
    @property
    def engine(self) -> FaceEngine | None: ...
    @property
    def landmarker(self) -> Landmarker | None: ...
    @property
    def liveness(self) -> LivenessSettings: ...


@dataclass(frozen=True)
class TimedFrame:
    """One frame as the client captured it: the encoded image, its capture time in ms (monotonic
    within a sequence; None when the client sent none) and the index of the challenge step it was
    captured under (None: passive-only, or the lead-in before the first step)."""

    image: bytes
    t_ms: int | None
    step: int | None = None


@dataclass(frozen=True)
class _Seen:
    image: Image
    face: FaceBox
    points: tuple[Point, ...]


@dataclass(frozen=True)
class LiveFrames:
    """A sequence `require_live` accepted, for the identity check that follows (memory only):
    each frame decoded, with its face box, and whether it faces the camera."""

    images: tuple[Image, ...]
    faces: tuple[FaceBox, ...]
    frontal: tuple[bool, ...]
    """|yaw| at most `start_yaw` and pitch within half a `pitch_change` of the first frame's:
    the frames a challenge's turns and tilts did not take away from the camera (every frame of
    a passive sequence counts as frontal)."""

    def probe_images(self) -> list[Image]:
        """The frames the identity probe averages: the frontal ones (all, if none is)."""
        return self.facing(self.images)

    def facing(self, frames: Sequence[T]) -> list[T]:
        """Of `frames` (one per frame of the sequence, in its order: e.g. the encoded frames),
        those facing the camera; all of them if none does (a challenge that passed always has
        its lead-in frame facing it)."""
        chosen = [f for f, front in zip(frames, self.frontal, strict=True) if front]
        return chosen or list(frames)


@dataclass(frozen=True)
class Measures:
    """What the passive checks measured on a sequence (for `keyuan eval liveness`; never kept)."""

    pixel_difference: float
    landmark_motion: float
    aligned_residual: float
    shape_spread: float


def require_live(frames: Sequence[TimedFrame], deps: Deps, *,
                 steps: Sequence[Step] | None = None) -> LiveFrames:
    """Raise `NotLive(reason)` unless `frames` show a live person (passive checks; the challenge
    `steps` too when given), else the frames decoded for the identity check. Bad image data
    raises the decoder's errors (`NotAnImage`, ...)."""
    settings = deps.liveness
    seen = _look(frames, deps)
    _check_passive(seen, settings)
    frontal = tuple(True for _ in seen)
    if steps:
        poses = [estimate_pose(s.points) for s in seen]
        samples = [PoseSample(t_ms=int(f.t_ms or 0), step=f.step, pose=pose)
                   for f, pose in zip(frames, poses, strict=True)]
        check_challenge(samples, steps, settings.challenge)
        _check_same_face(seen, deps)
        frontal = tuple(abs(p.yaw) <= settings.start_yaw and abs(p.pitch - poses[0].pitch)
                        < settings.pitch_change / 2 for p in poses)
    return LiveFrames(images=tuple(s.image for s in seen), faces=tuple(s.face for s in seen),
                      frontal=frontal)


def measure(frames: Sequence[TimedFrame], deps: Deps) -> Measures:
    """The passive measures of a sequence without deciding (evaluation only)."""
    return _measures(_look(frames, deps), deps.liveness)


def _look(frames: Sequence[TimedFrame], deps: Deps) -> list[_Seen]:
    settings = deps.liveness
    if len(frames) < settings.min_frames:
        raise NotLive(LivenessReason.TOO_FEW_FRAMES,
                      f"At least {settings.min_frames} frames are needed; {len(frames)} came.")
    check_times([f.t_ms for f in frames], settings.timing)
    if deps.landmarker is None:
        raise errors.FaceModuleDisabled("No face landmarker is available on this server.")
    seen: list[_Seen] = []
    for frame in frames:
        image = decode_image(frame.image, max_pixels=deps.face.max_image_pixels,
                             max_bytes=deps.face.max_image_bytes)
        found = [f for f in deps.landmarker.faces(image) if usable_landmarks(f.landmarks)]
        if not found:
            raise NotLive(LivenessReason.NO_FACE)
        seen.append(_Seen(image, found[0], tuple(found[0].landmarks)))
    return seen


def _measures(seen: Sequence[_Seen], settings: LivenessSettings) -> Measures:
    thumbs = [_thumbnail(s.image) for s in seen]
    pixels = max(float(np.mean(np.abs(a - b))) for a, b in combinations(thumbs, 2))
    aligned = [_aligned(s.image, s.points) for s in seen]
    residual = max(_residual(aligned[0], a) for a in aligned[1:])
    return Measures(
        pixel_difference=pixels,
        landmark_motion=landmark_motion([s.points for s in seen]),
        aligned_residual=residual,
        shape_spread=shape_spread([shape_signature(s.points) for s in seen]),
    )


def _check_passive(seen: Sequence[_Seen], settings: LivenessSettings) -> None:
    reason = passive_reason(_measures(seen, settings), settings)
    if reason is not None:
        raise NotLive(reason)


def passive_reason(m: Measures, settings: LivenessSettings) -> LivenessReason | None:
    """The passive rules on measures: identical frames, or one image moved about (None: live)."""
    if (m.pixel_difference < settings.identical_pixels
            and m.landmark_motion < settings.identical_landmarks):
        return LivenessReason.FRAMES_IDENTICAL
    if m.aligned_residual < settings.single_image_residual or (
            m.shape_spread < settings.single_image_shape):
        return LivenessReason.SINGLE_IMAGE
    return None


# --- one face at a time (the camera lane: a track compares each sighting with its first) -----
@dataclass(frozen=True)
class FaceCue:
    """What the passive checks need of one face in one frame to compare it with another frame's
    later, without keeping the frame: a 32x32 grey thumbnail of the face and its surroundings,
    the face aligned on its landmarks (80x80 grey, softened) and the five landmarks in frame
    pixels. In memory only: the camera lane holds one per open track and drops it when the
    track is decided or ends."""

    thumbnail: Floats
    aligned: Floats
    points: tuple[Point, ...]


def face_cue(image: Image, box: FaceBox, points: Sequence[Point]) -> FaceCue:
    """The cue of the face `box` (landmarks `points`, frame pixels) of `image`, read from the
    box with half its size around it only (cheap at camera rates)."""
    left, top, right, bottom = face_region(image, box)
    crop = np.ascontiguousarray(image[top:bottom, left:right])
    local = [(x - left, y - top) for x, y in points]
    return FaceCue(thumbnail=_thumbnail(crop), aligned=_aligned(crop, local),
                   points=tuple((float(x), float(y)) for x, y in points))


def cue_difference(first: FaceCue, other: FaceCue) -> Measures:
    """How `other` differs from `first`, as `require_live` measures a pair of frames."""
    return Measures(
        pixel_difference=float(np.mean(np.abs(first.thumbnail - other.thumbnail))),
        landmark_motion=landmark_motion([first.points, other.points]),
        aligned_residual=_residual(first.aligned, other.aligned),
        shape_spread=shape_spread([shape_signature(first.points),
                                   shape_signature(other.points)]),
    )


def face_region(image: Image, box: FaceBox) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of `box` with half its size around it, inside `image`."""
    h, w = image.shape[:2]
    mx, my = box.width // 2, box.height // 2
    return (max(0, box.left - mx), max(0, box.top - my), min(w, box.right + mx),
            min(h, box.bottom + my))


def _check_same_face(seen: Sequence[_Seen], deps: Deps) -> None:
    """Every frame of a challenge sequence is the first frame's face: the identity check reads
    the frames facing the camera, so none of them may be another picture spliced in between
    the movements (a sample of the frames would leave the others unchecked)."""
    engine = deps.engine
    if engine is None:
        raise errors.FaceModuleDisabled()
    settings = deps.liveness
    limit = deps.face.thresholds_for(deps.face.engine).verify_review + settings.identity_margin
    first = engine.embed(seen[0].image, seen[0].face)
    for later in seen[1:]:
        if distance(first, engine.embed(later.image, later.face)) > limit:
            raise NotLive(LivenessReason.FACE_CHANGED)


def _gray(image: Image) -> PILImage.Image:
    return PILImage.fromarray(np.ascontiguousarray(image)).convert("L")


def _thumbnail(image: Image) -> Floats:
    small = _gray(image).resize((THUMB_SIDE, THUMB_SIDE), PILImage.Resampling.BOX)
    return np.asarray(small, dtype=np.float32)


def _aligned(image: Image, points: Sequence[Point]) -> Floats:
    """The face warped so its five points sit on `REFERENCE_POINTS` (a similarity transform:
    place, size, rotation) with an `ALIGN_MARGIN` border, grey and softened."""
    src = np.asarray(points, dtype=np.float64)
    reference = REFERENCE_POINTS + ALIGN_MARGIN
    # image = [[a, -b], [b, a]] @ reference + t, least squares over the five points
    rows: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(reference, src, strict=True):
        rows.append([x, -y, 1.0, 0.0])
        rows.append([y, x, 0.0, 1.0])
        rhs.extend([u, v])
    (a, b, tx, ty), *_ = np.linalg.lstsq(np.asarray(rows), np.asarray(rhs), rcond=None)
    side = ALIGNED_SIDE + 2 * ALIGN_MARGIN
    warped = _gray(image).transform(
        (side, side), PILImage.Transform.AFFINE,
        (float(a), float(-b), float(tx), float(b), float(a), float(ty)),
        resample=PILImage.Resampling.BILINEAR)
    return np.asarray(warped.filter(ImageFilter.GaussianBlur(BLUR)), dtype=np.float32)


def _normalised(pixels: Floats) -> Floats:
    deviation = float(pixels.std())
    return (pixels - float(pixels.mean())) / (deviation if deviation > 1e-3 else 1.0)


def _residual(first: Floats, other: Floats) -> float:
    """What is left between two aligned faces (each normalised to mean 0, deviation 1) once
    `other` is registered onto `first` by the similarity transform that fits their pixels best
    (Gauss-Newton from the landmarks' alignment, at most `REGISTER_STEPS` steps): the median
    absolute difference over the inner face (`INNER_BORDER` px off each side), so a border of
    background or fill does not count. One picture moved, turned, scaled, noised or re-encoded
    leaves about 0.01-0.05; a head that moved, or another photo, leaves far more."""
    m, side = ALIGN_MARGIN, ALIGNED_SIDE
    template = _normalised(first[m:m + side, m:m + side])
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    xc, yc = xs - (side - 1) / 2, ys - (side - 1) / 2
    a = b = tx = ty = 0.0
    for _ in range(REGISTER_STEPS):
        warped = _sample(other, (1 + a) * xc - b * yc + tx + m + (side - 1) / 2,
                         b * xc + (1 + a) * yc + ty + m + (side - 1) / 2)
        deviation = float(warped.std()) or 1.0
        current = (warped - float(warped.mean())) / deviation
        gy, gx = np.gradient(current)
        jacobian = np.stack([gx * xc + gy * yc, -gx * yc + gy * xc, gx, gy],
                            axis=-1).reshape(-1, 4)
        error = (template - current).reshape(-1).astype(np.float64)
        j = jacobian.astype(np.float64)
        try:
            step = np.linalg.solve(j.T @ j, j.T @ error)
        except np.linalg.LinAlgError:  # a flat picture: nothing to register on
            break
        a, b, tx, ty = a + step[0], b + step[1], tx + step[2], ty + step[3]
        if max(abs(float(v)) for v in (a, b)) > 0.3 or max(abs(tx), abs(ty)) > m:
            break  # not the same picture: stop before sampling outside the crop
        if float(np.abs(step).max()) < 1e-3:
            break
    warped = _sample(other, (1 + a) * xc - b * yc + tx + m + (side - 1) / 2,
                     b * xc + (1 + a) * yc + ty + m + (side - 1) / 2)
    inner = slice(INNER_BORDER, side - INNER_BORDER)
    difference = np.abs(template - _normalised(warped))[inner, inner]
    return float(np.median(difference))


def _sample(pixels: Floats, x: Floats, y: Floats) -> Floats:
    """`pixels` at the (fractional) points x, y, bilinear; points outside take the edge."""
    h, w = pixels.shape
    x = np.clip(x, 0, w - 1.001)
    y = np.clip(y, 0, h - 1.001)
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = x - x0, y - y0
    top = pixels[y0, x0] * (1 - fx) + pixels[y0, x0 + 1] * fx
    bottom = pixels[y0 + 1, x0] * (1 - fx) + pixels[y0 + 1, x0 + 1] * fx
    return np.asarray(top * (1 - fy) + bottom * fy, dtype=np.float32)
