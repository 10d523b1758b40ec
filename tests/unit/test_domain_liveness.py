"""Liveness rules, pure: head pose from five landmarks, the challenge over constructed landmark
sequences (genuine head movements pass; still, shaken still, wrong order, too fast and too slow
fail), capture times, and the landmark geometry one image keeps when moved about."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyuan.adapters.biometrics.fake import synthetic_landmarks
from keyuan.domain.checkin.liveness import (
    ChallengeRules,
    LivenessReason,
    NotLive,
    Point,
    PoseSample,
    Step,
    TimingRules,
    check_challenge,
    check_server_time,
    check_times,
    estimate_pose,
    landmark_motion,
    random_steps,
    shape_signature,
    shape_spread,
)

RULES = ChallengeRules()
TARGET = {Step.TURN_LEFT: (32, 0), Step.TURN_RIGHT: (-32, 0), Step.LOOK_UP: (0, 16),
          Step.LOOK_DOWN: (0, -16)}
"""Degrees of (yaw, pitch) a visitor reaches for each step: beyond the rules' thresholds."""


def moved(points: Sequence[Point], *, angle: float, scale: float, dx: float,
          dy: float) -> tuple[Point, ...]:
    """`points` under a similarity transform of the picture plane (one image moved about)."""
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    return tuple((c * x - s * y + dx, s * x + c * y + dy) for x, y in points)


def sample(t_ms: int, step: int | None, yaw: float, pitch: float, seed: int) -> PoseSample:
    points = synthetic_landmarks(yaw, pitch, jitter=0.01, seed=seed)
    return PoseSample(t_ms=t_ms, step=step, pose=estimate_pose(points))


def genuine(steps: Sequence[Step], *, frame_ms: int = 100, ramp: int = 4,
            hold: int = 2) -> list[PoseSample]:
    """A visitor following `steps`: facing the camera, then for each step a smooth move to its
    target over `ramp` frames, a hold, and back to the middle; one frame every `frame_ms`."""
    out = [sample(0, None, 0, 0, 0)]
    t, seed = 0, 1
    for index, step in enumerate(steps):
        yaw, pitch = TARGET[step]
        path = ([k / ramp for k in range(ramp + 1)] + [1.0] * hold
                + [1 - k / ramp for k in range(1, ramp + 1)])
        for f in path:
            t += frame_ms
            seed += 1
            out.append(sample(t, index, yaw * f, pitch * f, seed))
    return out


def reason_of(samples: Sequence[PoseSample], steps: Sequence[Step]) -> LivenessReason | None:
    try:
        check_challenge(samples, steps, RULES)
    except NotLive as refused:
        return refused.reason
    return None


# --- pose ------------------------------------------------------------------------------
def test_pose_reads_turns_to_the_persons_own_left_as_positive_yaw_and_looking_up_as_positive_pitch(
) -> None:
    assert estimate_pose(synthetic_landmarks(0, 0)).yaw == pytest.approx(0.0, abs=1e-9)
    assert estimate_pose(synthetic_landmarks(30, 0)).yaw > RULES.turn_yaw
    assert estimate_pose(synthetic_landmarks(-30, 0)).yaw < -RULES.turn_yaw
    assert estimate_pose(synthetic_landmarks(0, 15)).pitch > RULES.pitch_change
    assert estimate_pose(synthetic_landmarks(0, -15)).pitch < -RULES.pitch_change


@given(st.floats(-math.pi, math.pi), st.floats(0.3, 4.0), st.floats(-500, 500),
       st.floats(-500, 500), st.integers(-35, 35), st.integers(-20, 20))
def test_pose_and_shape_do_not_change_when_the_picture_is_moved_turned_or_scaled(
        angle: float, scale: float, dx: float, dy: float, yaw: int, pitch: int) -> None:
    points = synthetic_landmarks(yaw, pitch)
    other = moved(points, angle=angle, scale=scale, dx=dx, dy=dy)
    a, b = estimate_pose(points), estimate_pose(other)
    assert (a.yaw, a.pitch) == pytest.approx((b.yaw, b.pitch), abs=1e-6)
    assert shape_spread([shape_signature(points), shape_signature(other)]) < 1e-6


def test_a_head_movement_changes_the_shape_and_the_landmarks_move() -> None:
    still = [synthetic_landmarks(0, 0)] * 3
    assert landmark_motion(still) == 0.0
    turning = [synthetic_landmarks(0, 0), synthetic_landmarks(5, 0), synthetic_landmarks(10, 3)]
    assert shape_spread([shape_signature(p) for p in turning]) > 0.05
    assert landmark_motion(turning) > 0.05


def test_pose_refuses_landmarks_that_are_not_a_face() -> None:
    with pytest.raises(ValueError):
        estimate_pose([(1.0, 1.0)] * 5)
    with pytest.raises(ValueError):
        estimate_pose([(1.0, 1.0), (2.0, 1.0)])


# --- random steps ----------------------------------------------------------------------
@given(st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_random_steps_never_repeat_a_step_at_once(n: int, seed: int) -> None:
    steps = random_steps(n, random.Random(seed))
    assert len(steps) == n
    assert all(isinstance(s, Step) for s in steps)
    assert all(a is not b for a, b in itertools.pairwise(steps))


def test_random_steps_draw_from_the_system_random_by_default_and_vary() -> None:
    drawn = {random_steps(3) for _ in range(50)}
    assert len(drawn) > 5
    with pytest.raises(ValueError):
        random_steps(0)


# --- the challenge ---------------------------------------------------------------------
@pytest.mark.parametrize("steps", [
    (Step.TURN_LEFT, Step.TURN_RIGHT, Step.LOOK_UP),
    (Step.LOOK_DOWN, Step.TURN_LEFT, Step.LOOK_UP),
    (Step.TURN_RIGHT, Step.LOOK_DOWN, Step.TURN_RIGHT),
    (Step.LOOK_UP, Step.LOOK_DOWN),
])
def test_genuine_head_movements_in_the_asked_order_pass(steps: tuple[Step, ...]) -> None:
    assert reason_of(genuine(steps), steps) is None


def test_genuine_movements_at_a_slow_camera_and_with_a_fast_camera_pass() -> None:
    steps = (Step.TURN_RIGHT, Step.LOOK_UP, Step.TURN_LEFT)
    assert reason_of(genuine(steps, frame_ms=250, ramp=2, hold=1), steps) is None
    assert reason_of(genuine(steps, frame_ms=33, ramp=8, hold=3), steps) is None


def test_a_still_face_does_not_follow_a_challenge() -> None:
    steps = (Step.TURN_LEFT, Step.LOOK_UP, Step.TURN_RIGHT)
    still = [sample(100 * k, None if k == 0 else min(2, (k - 1) // 5), 0, 0, k)
             for k in range(16)]
    assert reason_of(still, steps) is LivenessReason.CHALLENGE_NOT_FOLLOWED


def test_a_shaken_still_photo_does_not_follow_a_challenge() -> None:
    """A photo moved, turned and tilted in the picture plane keeps its pose: no step is made."""
    rng = random.Random(7)
    steps = (Step.TURN_LEFT, Step.TURN_RIGHT, Step.LOOK_DOWN)
    base = synthetic_landmarks(0, 0)
    shaken = []
    for k in range(16):
        points = moved(base, angle=rng.uniform(-0.3, 0.3), scale=rng.uniform(0.8, 1.25),
                       dx=rng.uniform(-40, 40), dy=rng.uniform(-40, 40))
        shaken.append(PoseSample(100 * k, None if k == 0 else min(2, (k - 1) // 5),
                                 estimate_pose(points)))
    assert reason_of(shaken, steps) is LivenessReason.CHALLENGE_NOT_FOLLOWED


def test_the_right_movements_in_the_wrong_order_fail() -> None:
    asked = (Step.TURN_LEFT, Step.TURN_RIGHT, Step.LOOK_UP)
    made = genuine((Step.TURN_RIGHT, Step.TURN_LEFT, Step.LOOK_UP))
    assert reason_of(made, asked) is LivenessReason.CHALLENGE_NOT_FOLLOWED


def test_another_movement_before_the_asked_one_fails() -> None:
    asked = (Step.LOOK_UP, Step.TURN_LEFT)
    # under step 0 the head first turns right (a replayed clip wandering), then looks up
    made = [sample(0, None, 0, 0, 0), sample(100, 0, -16, 0, 1), sample(200, 0, -32, 0, 2),
            sample(300, 0, 0, 8, 3), sample(400, 0, 0, 16, 4), sample(500, 1, 0, 0, 5),
            sample(600, 1, 16, 0, 6), sample(700, 1, 32, 0, 7)]
    assert reason_of(made, asked) is LivenessReason.CHALLENGE_NOT_FOLLOWED


def test_a_step_already_made_when_it_was_asked_fails() -> None:
    asked = (Step.TURN_LEFT, Step.LOOK_UP)
    made = [sample(0, None, 0, 0, 0), sample(100, 0, 32, 0, 1), sample(200, 0, 32, 0, 2)]
    assert reason_of(made, asked) is LivenessReason.CHALLENGE_NOT_FOLLOWED


def test_movements_faster_than_a_head_moves_fail() -> None:
    steps = (Step.TURN_LEFT, Step.TURN_RIGHT)
    too_fast = genuine(steps, frame_ms=20, ramp=1, hold=1)
    assert reason_of(too_fast, steps) is LivenessReason.CHALLENGE_NOT_FOLLOWED


def test_movements_slower_than_the_window_time_out() -> None:
    steps = (Step.TURN_LEFT, Step.LOOK_DOWN)
    slow_step = genuine(steps, frame_ms=1_000, ramp=7, hold=1)
    assert reason_of(slow_step, steps) is LivenessReason.CHALLENGE_TIMED_OUT
    steps = (Step.TURN_LEFT, Step.LOOK_DOWN, Step.TURN_RIGHT, Step.LOOK_UP)
    slow_whole = genuine(steps, frame_ms=600, ramp=4, hold=2)
    assert reason_of(slow_whole, steps) is LivenessReason.CHALLENGE_TIMED_OUT


def test_a_sequence_that_starts_turned_away_or_skips_a_step_fails() -> None:
    steps = (Step.TURN_LEFT, Step.LOOK_UP)
    turned = genuine(steps)
    turned[0] = sample(0, None, -20, 0, 0)
    assert reason_of(turned, steps) is LivenessReason.CHALLENGE_NOT_FOLLOWED
    skipped = [s for s in genuine(steps) if s.step != 1]
    assert reason_of(skipped, steps) is LivenessReason.CHALLENGE_NOT_FOLLOWED
    unknown_step = [*genuine(steps), sample(5_000, 2, 0, 0, 99)]
    assert reason_of(unknown_step, steps) is LivenessReason.CHALLENGE_NOT_FOLLOWED
    back_to_lead_in = [*genuine(steps), sample(5_000, None, 0, 0, 99)]
    assert reason_of(back_to_lead_in, steps) is LivenessReason.CHALLENGE_NOT_FOLLOWED
    assert reason_of([], steps) is LivenessReason.TOO_FEW_FRAMES


# --- capture times ---------------------------------------------------------------------
@pytest.mark.parametrize(("times", "reason"), [
    ([0, 100, None], LivenessReason.TIMESTAMPS_MISSING),
    ([None, None, None], LivenessReason.TIMESTAMPS_MISSING),
    ([500, 500, 500], LivenessReason.TIMESTAMPS_IMPLAUSIBLE),
    ([0, 200, 100], LivenessReason.TIMESTAMPS_IMPLAUSIBLE),
    ([0, 5, 10], LivenessReason.TIMESTAMPS_IMPLAUSIBLE),
    ([0, 100, 9_000], LivenessReason.TIMESTAMPS_IMPLAUSIBLE),
    ([0, *range(3_000, 60_000, 3_000)], LivenessReason.TIMESTAMPS_IMPLAUSIBLE),
])
def test_capture_times_unlike_a_cameras_are_refused(times: list[int | None],
                                                    reason: LivenessReason) -> None:
    with pytest.raises(NotLive) as refused:
        check_times(times, TimingRules())
    assert refused.value.reason is reason
    assert refused.value.code == "not_live" and refused.value.status == 422


@pytest.mark.parametrize("times", [[0, 33, 67], [1_000, 1_250, 1_500, 2_000], [0, 17, 3_000]])
def test_capture_times_of_a_camera_pass(times: list[int]) -> None:
    check_times(times, TimingRules())


def test_every_reason_has_a_message_and_a_stable_code() -> None:
    for reason in LivenessReason:
        refused = NotLive(reason)
        assert refused.reason is reason and refused.message
    assert NotLive(LivenessReason.FACE_CHANGED, "custom").message == "custom"


def test_the_api_answers_not_live_with_its_reason_at_the_top() -> None:
    import json

    from keyuan.api.errors import domain_error

    response = domain_error(NotLive(LivenessReason.SINGLE_IMAGE))
    body = json.loads(bytes(response.body))
    assert response.status_code == 422
    assert body["error"] == "not_live" and body["reason"] == "single_image"
    assert body["message"]


def test_every_reason_has_words_in_both_languages() -> None:
    from keyuan.web.i18n import LANGS, catalog

    for lang in LANGS:
        for code in LivenessReason:
            assert catalog()[lang][f"liveness.{code}"].strip(), (lang, code)
        assert catalog()[lang]["errors.not_live"].strip()


def test_a_challenges_frames_may_not_outlast_the_server_time_since_issuance() -> None:
    rules = ChallengeRules()  # 500 ms a step, 1 s allowance
    times = [0, 1_000, 2_000, 3_000, 4_000]
    check_server_time(times, 3, elapsed_ms=4_500, rules=rules)
    check_server_time(times, 3, elapsed_ms=3_000, rules=rules)  # within the allowance
    with pytest.raises(NotLive) as early:
        check_server_time(times, 3, elapsed_ms=2_999, rules=rules)
    assert early.value.reason is LivenessReason.FRAMES_OUTLAST_CHALLENGE


def test_a_challenge_answered_faster_than_its_steps_can_be_made_is_refused() -> None:
    rules = ChallengeRules()
    with pytest.raises(NotLive) as arrived:  # the server saw it come back at once
        check_server_time([0, 200, 400], 3, elapsed_ms=1_000, rules=rules)
    assert arrived.value.reason is LivenessReason.CHALLENGE_TOO_FAST
    with pytest.raises(NotLive) as spanned:  # three steps in 1.2 s of frames
        check_server_time([0, 600, 1_200], 3, elapsed_ms=9_000, rules=rules)
    assert spanned.value.reason is LivenessReason.CHALLENGE_TOO_FAST
    check_server_time([0, 800, 1_600], 3, elapsed_ms=1_600, rules=rules)
    check_server_time([None, None], 3, elapsed_ms=0, rules=rules)  # missing: check_times says
    check_server_time([4_000, 2_000, 0], 3, elapsed_ms=0, rules=rules)  # out of order: it says
