"""活体检测: is the face in front of the camera a live person, not a photo or a replayed video?

Pure rules over numbers the service measures (standard library only): the head pose a frame
shows, estimated from the five face landmarks YuNet gives (eyes, nose tip, mouth corners); the
random challenge (turn left, turn right, look up, look down) and whether a sequence of poses over
time followed it; whether the capture times of a sequence are spread as a camera produces them;
and whether the landmark geometry stays exactly the same across frames while only its place,
size and rotation change (one image moved about).

Frames are as the camera captures them, NOT mirrored: a person turning to their own left moves
their nose towards the image's right. YuNet's points are, in order: the eye on the image's left
(the person's right eye), the eye on the image's right, the nose tip, the mouth corner on the
image's left, the one on the image's right.

A 2D challenge stops photos and replayed recordings; it does not stop a skilled live impostor,
a mask, or a tool that forges frames and times: README.md says so to the offices."""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from random import Random

from keyuan.domain.errors import KeyuanError

Point = tuple[float, float]


class Step(StrEnum):
    """One movement the visitor is asked to make (blink would need eye landmarks; YuNet's five
    points have none)."""

    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    LOOK_UP = "look_up"
    LOOK_DOWN = "look_down"


class LivenessReason(StrEnum):
    """Why a sequence was not taken as a live person; the catalog has words for each
    (`liveness.<reason>`)."""

    TOO_FEW_FRAMES = "too_few_frames"
    NO_FACE = "no_face"
    FRAMES_IDENTICAL = "frames_identical"
    SINGLE_IMAGE = "single_image"
    TIMESTAMPS_MISSING = "timestamps_missing"
    TIMESTAMPS_IMPLAUSIBLE = "timestamps_implausible"
    CHALLENGE_NOT_FOLLOWED = "challenge_not_followed"
    CHALLENGE_TIMED_OUT = "challenge_timed_out"
    FACE_CHANGED = "face_changed"
    FRAMES_OUTLAST_CHALLENGE = "frames_outlast_challenge"
    CHALLENGE_TOO_FAST = "challenge_too_fast"


REASON_MESSAGES: dict[LivenessReason, str] = {
    LivenessReason.TOO_FEW_FRAMES: "Too few frames to tell a live face from a photo.",
    LivenessReason.NO_FACE: "A frame of the sequence shows no face.",
    LivenessReason.FRAMES_IDENTICAL: "The frames are identical: a still image, not a live face.",
    LivenessReason.SINGLE_IMAGE: "The frames are one image moved about, not a live face.",
    LivenessReason.TIMESTAMPS_MISSING: "The frames carry no capture times.",
    LivenessReason.TIMESTAMPS_IMPLAUSIBLE: "The frames' capture times are not those of a camera.",
    LivenessReason.CHALLENGE_NOT_FOLLOWED: "The requested head movements were not made in order.",
    LivenessReason.CHALLENGE_TIMED_OUT: "The requested head movements took too long.",
    LivenessReason.FACE_CHANGED: "The face changed during the sequence.",
    LivenessReason.FRAMES_OUTLAST_CHALLENGE: "The frames claim a longer capture than the time "
    "since the challenge was issued: they were not taken for it.",
    LivenessReason.CHALLENGE_TOO_FAST: "The movements came back faster than a person makes them.",
}


class NotLive(KeyuanError):
    """A sequence of frames is not taken as a live person. Maps to HTTP 422
    `{"error": "not_live", "reason": <LivenessReason>, "message": ...}`. Nothing of the frames is
    kept: no template is made from a sequence that failed."""

    code, status = "not_live", 422
    default_message = "The frames do not show a live face."

    def __init__(self, reason: LivenessReason, message: str | None = None,
                 **details: object) -> None:
        self.reason = LivenessReason(reason)
        super().__init__(message or REASON_MESSAGES[self.reason], **details)


def random_steps(n: int = 3, rng: Random | None = None) -> tuple[Step, ...]:
    """`n` steps drawn at random (the system's CSPRNG unless `rng` is given), never the same step
    twice in a row."""
    if n < 1:
        raise ValueError("a challenge has at least one step")
    draw = rng if rng is not None else secrets.SystemRandom()
    steps: list[Step] = []
    choices = list(Step)
    while len(steps) < n:
        step = draw.choice([s for s in choices if not steps or s is not steps[-1]])
        steps.append(step)
    return tuple(steps)


# --- pose from five landmarks --------------------------------------------------------------
@dataclass(frozen=True)
class Pose:
    """`yaw`: how far the nose sits off the face's midline, in eye distances; positive when the
    person turns to their own left (about 0.6·tan of the angle). `pitch`: how high the nose sits
    between the eye line and the mouth line (0 at a typical level, positive looking up). Both are
    roll- and scale-free: they are read in the frame of the eye line."""

    yaw: float
    pitch: float


NEUTRAL_NOSE_RATIO = 0.55
"""Where the nose tip typically sits between the eye line (0) and the mouth line (1) facing the
camera; people differ, so the challenge judges pitch against the sequence's first frame."""


def usable_landmarks(points: Sequence[Point]) -> bool:
    """Five finite points with the eyes apart: what pose, shape and motion can be read from (a
    detector's degenerate output is treated as no face, never as an error)."""
    if len(points) != 5 or not all(math.isfinite(v) for point in points for v in point):
        return False
    return math.dist(points[0], points[1]) > 1e-6


def _face_frame(points: Sequence[Point]) -> tuple[list[Point], float]:
    """The five points in the eye line's frame: origin between the eyes, x along the eye line
    towards the image's right eye, y down; and the eye distance (all coordinates divided by it)."""
    if len(points) != 5:
        raise ValueError("five landmarks expected")
    (ax, ay), (bx, by) = points[0], points[1]
    dx, dy = bx - ax, by - ay
    eye = math.hypot(dx, dy)
    if not math.isfinite(eye) or eye <= 1e-6:
        raise ValueError("the eyes coincide")
    ux, uy = dx / eye, dy / eye
    cx, cy = (ax + bx) / 2, (ay + by) / 2
    local = [(((px - cx) * ux + (py - cy) * uy) / eye, ((px - cx) * -uy + (py - cy) * ux) / eye)
             for px, py in points]
    return local, eye


def estimate_pose(points: Sequence[Point]) -> Pose:
    """Yaw and pitch estimates from YuNet's five points (see `Pose`)."""
    local, _ = _face_frame(points)
    nose = local[2]
    mouth_x = (local[3][0] + local[4][0]) / 2
    mouth_y = (local[3][1] + local[4][1]) / 2
    yaw = nose[0] - mouth_x / 2
    ratio = nose[1] / mouth_y if mouth_y > 1e-6 else NEUTRAL_NOSE_RATIO
    return Pose(yaw=yaw, pitch=NEUTRAL_NOSE_RATIO - ratio)


def shape_signature(points: Sequence[Point]) -> tuple[float, ...]:
    """The landmark geometry with place, size and rotation taken out: nose and mouth corners in
    the eye line's frame, in eye distances. One image moved, scaled or turned in the picture
    plane keeps it; a live face changes it with every small movement."""
    local, _ = _face_frame(points)
    return tuple(v for point in local[2:] for v in point)


def shape_spread(signatures: Sequence[Sequence[float]]) -> float:
    """The largest change of any coordinate of `shape_signature` between any two frames."""
    if len(signatures) < 2:
        return 0.0
    return max(float(max(column) - min(column)) for column in zip(*signatures, strict=True))


def landmark_motion(frames: Sequence[Sequence[Point]]) -> float:
    """How far the landmarks moved between frames, in eye distances of the first frame: the
    largest displacement of any point against the first frame (0 for identical frames)."""
    if len(frames) < 2:
        return 0.0
    first = frames[0]
    eye = math.dist(first[0], first[1]) or 1.0
    return max(math.dist(p, q) / eye for other in frames[1:]
               for p, q in zip(first, other, strict=True))


# --- capture times ---------------------------------------------------------------------
@dataclass(frozen=True)
class TimingRules:
    """What spread of capture times a camera produces (milliseconds)."""

    min_gap_ms: int = 15
    """Two frames closer than this came faster than a kiosk camera delivers them (60 fps ≈ 17)."""
    max_gap_ms: int = 4_000
    """A longer pause between two frames of one sequence is not one continuous capture."""
    max_span_ms: int = 30_000
    """A whole sequence, first frame to last."""


def check_times(times: Sequence[int | None], rules: TimingRules) -> None:
    """Raise `NotLive` unless every frame has a time, strictly increasing, spread as a camera
    produces frames (`TimingRules`)."""
    if any(t is None for t in times):
        raise NotLive(LivenessReason.TIMESTAMPS_MISSING)
    known = [int(t) for t in times if t is not None]
    gaps = [b - a for a, b in pairwise(known)]
    if any(gap <= 0 for gap in gaps):
        raise NotLive(LivenessReason.TIMESTAMPS_IMPLAUSIBLE,
                      "The frames' capture times do not increase.")
    if any(gap < rules.min_gap_ms for gap in gaps):
        raise NotLive(LivenessReason.TIMESTAMPS_IMPLAUSIBLE,
                      "The frames' capture times are closer than a camera delivers frames.")
    if any(gap > rules.max_gap_ms for gap in gaps) or (
            known and known[-1] - known[0] > rules.max_span_ms):
        raise NotLive(LivenessReason.TIMESTAMPS_IMPLAUSIBLE,
                      "The frames' capture times are too far apart for one sequence.")


# --- the challenge ---------------------------------------------------------------------
@dataclass(frozen=True)
class ChallengeRules:
    """How far and how fast a head must move to count as following a step."""

    start_yaw: float = 0.12
    """The sequence starts facing the camera: |yaw| of its first frame at most this."""
    turn_yaw: float = 0.25
    """A turn counts once yaw passes this (eye distances; about 23° of head turn)."""
    pitch_change: float = 0.10
    """A look up or down counts once pitch moves this far from the first frame's."""
    min_move_ms: int = 40
    """From a pose short of half the target to the target takes a head at least this long: a
    quick voluntary head turn peaks near 400 degrees a second, so half of a 24-degree turn takes
    some 30 ms; a sequence that jumps there faster was not filmed."""
    step_window_ms: int = 6_000
    """Each step is reached within this of its first frame."""
    total_window_ms: int = 20_000
    """The whole challenge, first frame to last."""
    min_step_ms: int = 500
    """A person reads a prompt and makes its movement in no less than this: a challenge's
    answer arrives, and its frames span, at least this per step."""
    clock_allowance_ms: int = 1_000
    """How much longer than the server's time since issuance the frames may claim to span (the
    client's timer against the server's clock)."""


@dataclass(frozen=True)
class PoseSample:
    """One frame's capture time, the step it was captured under (None: before the first step,
    the lead-in facing the camera) and its pose."""

    t_ms: int
    step: int | None
    pose: Pose


def _progress(step: Step, pose: Pose, base_pitch: float, rules: ChallengeRules) -> float:
    """How far `pose` went towards `step`, as a fraction of what the step needs (1 = reached)."""
    if step is Step.TURN_LEFT:
        return pose.yaw / rules.turn_yaw
    if step is Step.TURN_RIGHT:
        return -pose.yaw / rules.turn_yaw
    if step is Step.LOOK_UP:
        return (pose.pitch - base_pitch) / rules.pitch_change
    return (base_pitch - pose.pitch) / rules.pitch_change


def check_challenge(samples: Sequence[PoseSample], steps: Sequence[Step],
                    rules: ChallengeRules) -> None:
    """Raise `NotLive` unless the samples (in capture order) followed `steps`:

    - the sequence starts facing the camera (its first frame), then the frames of each step come
      in the steps' order, every step with at least one frame;
    - under each step the pose reaches that step's target, having started short of half of it,
      without first reaching the target of another movement (other than the one just made);
    - no reach is faster than a head moves (`min_move_ms`), each is within `step_window_ms` of
      its step's first frame and the whole within `total_window_ms`.
    """
    if not steps:
        return
    if not samples:
        raise NotLive(LivenessReason.TOO_FEW_FRAMES)
    first = samples[0]
    if samples[-1].t_ms - first.t_ms > rules.total_window_ms:
        raise NotLive(LivenessReason.CHALLENGE_TIMED_OUT)
    if abs(first.pose.yaw) > rules.start_yaw:
        raise NotLive(LivenessReason.CHALLENGE_NOT_FOLLOWED,
                      "The sequence must start facing the camera.")
    base_pitch = first.pose.pitch
    by_step: list[list[PoseSample]] = [[] for _ in steps]
    seen_step = -1
    for sample in samples:
        if sample.step is None:
            if seen_step >= 0:
                raise NotLive(LivenessReason.CHALLENGE_NOT_FOLLOWED,
                              "A frame after the first step belongs to no step.")
            continue
        if not 0 <= sample.step < len(steps) or sample.step < seen_step:
            raise NotLive(LivenessReason.CHALLENGE_NOT_FOLLOWED,
                          "The frames' steps are not the challenge's steps in order.")
        seen_step = sample.step
        by_step[sample.step].append(sample)
    for index, (step, frames) in enumerate(zip(steps, by_step, strict=True)):
        if not frames:
            raise NotLive(LivenessReason.CHALLENGE_NOT_FOLLOWED,
                          f"No frame was captured for step {index + 1} ({step}).")
        previous = steps[index - 1] if index else None
        _check_step(step, previous, frames, base_pitch, rules)


def check_server_time(times: Sequence[int | None], steps: int, elapsed_ms: int,
                      rules: ChallengeRules) -> None:
    """Bind a challenged sequence's client times to the server's clock (`elapsed_ms`: from the
    challenge's issuance to the decision's arrival, both read by the server). The steps are
    revealed at issuance, so frames made for them cannot be older than the challenge: refused
    when the frames claim a longer span than the server saw pass (plus `clock_allowance_ms`);
    and when the answer arrived, or the frames claim to span, less than `min_step_ms` per step
    (faster than anyone reads the prompts and moves). Times missing or out of order: left to
    `check_times`, whose reason says so."""
    if any(t is None for t in times) or not times:
        return
    known = [int(t) for t in times if t is not None]
    if any(b <= a for a, b in pairwise(known)):
        return
    span = known[-1] - known[0]
    if span > elapsed_ms + rules.clock_allowance_ms:
        raise NotLive(LivenessReason.FRAMES_OUTLAST_CHALLENGE)
    least = steps * rules.min_step_ms
    if elapsed_ms < least or span < least:
        raise NotLive(LivenessReason.CHALLENGE_TOO_FAST)


def _check_step(step: Step, previous: Step | None, frames: Sequence[PoseSample],
                base_pitch: float, rules: ChallengeRules) -> None:
    others = [s for s in Step if s is not step and s is not previous]
    started = frames[0].t_ms
    if _progress(step, frames[0].pose, base_pitch, rules) >= 0.5:
        raise NotLive(LivenessReason.CHALLENGE_NOT_FOLLOWED,
                      f"The head was already in place for '{step}' before it was asked.")
    last_short = frames[0].t_ms
    for frame in frames:
        progress = _progress(step, frame.pose, base_pitch, rules)
        if progress >= 1.0:
            if frame.t_ms - started > rules.step_window_ms:
                raise NotLive(LivenessReason.CHALLENGE_TIMED_OUT)
            if frame.t_ms - last_short < rules.min_move_ms:
                raise NotLive(LivenessReason.CHALLENGE_NOT_FOLLOWED,
                              "The head moved faster than a head moves.")
            return
        if progress < 0.5:
            last_short = frame.t_ms
        if any(_progress(other, frame.pose, base_pitch, rules) >= 1.0 for other in others):
            raise NotLive(LivenessReason.CHALLENGE_NOT_FOLLOWED,
                          f"The head moved another way before '{step}'.")
    if frames[-1].t_ms - started > rules.step_window_ms:
        raise NotLive(LivenessReason.CHALLENGE_TIMED_OUT)
    raise NotLive(LivenessReason.CHALLENGE_NOT_FOLLOWED, f"'{step}' was not made.")
