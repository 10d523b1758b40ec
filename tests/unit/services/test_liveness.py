"""`require_live` on the fakes (fake engine, fake landmarker): each passive reason, a followed
challenge, a face that changes mid-sequence, and bad frames refused by the decoder. Real photos
and the real YuNet are in tests/integration/test_liveness_faces.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from keyuan.adapters.biometrics.fake import FakeLandmarker, posed_face, solid_face
from keyuan.adapters.clock import FakeClock
from keyuan.adapters.sms.outbox import MemorySender
from keyuan.domain import errors
from keyuan.domain.checkin.liveness import LivenessReason, NotLive, Step
from keyuan.services.faces.engine import FaceBox
from keyuan.services.faces.liveness import TimedFrame, require_live
from keyuan.services.fakes.uow import FakeUnitOfWork
from keyuan.services.ports import Deps
from support.images import encode
from unit.services.harness import ALICE, BOB, START, make_deps


@pytest.fixture
def deps() -> Deps:
    return make_deps(FakeUnitOfWork(), FakeClock(START), MemorySender(),
                     landmarker=FakeLandmarker())


def frame(rgb: tuple[int, int, int], t_ms: int | None, *, yaw: int = 0, pitch: int = 0,
          seed: int = 0, step: int | None = None) -> TimedFrame:
    return TimedFrame(encode(posed_face(rgb, yaw, pitch, seed=seed), "PNG"), t_ms, step)


def live(rgb: tuple[int, int, int] = ALICE, count: int = 3) -> list[TimedFrame]:
    return [frame(rgb, 120 * k, yaw=k % 3 - 1, seed=k) for k in range(count)]


def challenge(steps: tuple[Step, ...], rgb_at: dict[int, tuple[int, int, int]] | None = None,
              ) -> list[TimedFrame]:
    """A visitor following `steps`, one frame every 100 ms (person ALICE unless `rgb_at`)."""
    target = {Step.TURN_LEFT: (32, 0), Step.TURN_RIGHT: (-32, 0), Step.LOOK_UP: (0, 16),
              Step.LOOK_DOWN: (0, -16)}
    out = [frame(ALICE, 0, seed=0)]
    for index, step in enumerate(steps):
        yaw, pitch = target[step]
        for f in (0.0, 0.5, 1.0, 0.5, 0.0):
            k = len(out)
            rgb = (rgb_at or {}).get(k, ALICE)
            out.append(frame(rgb, 100 * k, yaw=round(yaw * f), pitch=round(pitch * f), seed=k,
                             step=index))
    return out


def reason(frames: list[TimedFrame], deps: Deps, steps: tuple[Step, ...] | None = None,
           ) -> LivenessReason | None:
    try:
        require_live(frames, deps, steps=steps)
    except NotLive as refused:
        return refused.reason
    return None


def test_frames_of_a_live_sequence_pass_the_passive_checks(deps: Deps) -> None:
    assert reason(live(), deps) is None


def test_too_few_frames_are_refused(deps: Deps) -> None:
    assert reason(live(count=2), deps) is LivenessReason.TOO_FEW_FRAMES
    assert reason([], deps) is LivenessReason.TOO_FEW_FRAMES


def test_three_copies_of_one_frame_are_identical(deps: Deps) -> None:
    one = frame(ALICE, 0)
    copies = [replace(one, t_ms=t) for t in (0, 120, 240)]
    assert reason(copies, deps) is LivenessReason.FRAMES_IDENTICAL


def test_frames_without_times_or_with_times_unlike_a_camera_are_refused(deps: Deps) -> None:
    frames = live()
    assert reason([replace(f, t_ms=None) for f in frames], deps) \
        is LivenessReason.TIMESTAMPS_MISSING
    assert reason([replace(f, t_ms=1000) for f in frames], deps) \
        is LivenessReason.TIMESTAMPS_IMPLAUSIBLE
    assert reason([replace(f, t_ms=t) for f, t in zip(frames, (0, 2, 4), strict=True)], deps) \
        is LivenessReason.TIMESTAMPS_IMPLAUSIBLE


def test_a_frame_without_a_face_is_refused(deps: Deps) -> None:
    frames = live()
    frames[1] = TimedFrame(encode(solid_face((0, 0, 0), (160, 160)), "PNG"), 120)
    assert reason(frames, deps) is LivenessReason.NO_FACE


def test_a_frame_that_is_not_an_image_is_refused_by_the_decoder(deps: Deps) -> None:
    frames = live()
    frames[2] = TimedFrame(b"not an image", 240)
    with pytest.raises(errors.NotAnImage):
        require_live(frames, deps)


def test_a_followed_challenge_passes(deps: Deps) -> None:
    steps = (Step.TURN_LEFT, Step.LOOK_UP, Step.TURN_RIGHT)
    assert reason(challenge(steps), deps, steps) is None


def test_a_challenge_not_followed_is_refused(deps: Deps) -> None:
    asked = (Step.TURN_RIGHT, Step.LOOK_UP, Step.TURN_LEFT)
    made = challenge((Step.TURN_LEFT, Step.LOOK_UP, Step.TURN_RIGHT))
    assert reason(made, deps, asked) is LivenessReason.CHALLENGE_NOT_FOLLOWED


def test_another_person_stepping_in_mid_challenge_is_face_changed(deps: Deps) -> None:
    steps = (Step.TURN_LEFT, Step.LOOK_UP)
    assert reason(challenge(steps, rgb_at={8: BOB, 9: BOB, 10: BOB}), deps, steps) \
        is LivenessReason.FACE_CHANGED


@pytest.mark.parametrize("spliced", [1, 3, 5, 7, 9])
def test_one_picture_of_someone_else_spliced_between_the_movements_is_face_changed(
        deps: Deps, spliced: int) -> None:
    """Every frame is the first frame's face, not a sample: the identity check reads the frames
    facing the camera, so a customer's photo put in at any one of them while someone else
    makes the movements would otherwise be compared with the customer's template."""
    steps = (Step.TURN_LEFT, Step.LOOK_UP)
    assert reason(challenge(steps, rgb_at={spliced: BOB}), deps, steps) \
        is LivenessReason.FACE_CHANGED


class Degenerate:
    """A landmarker whose five points put both eyes on one spot (or are not numbers)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def faces(self, image: object) -> list[FaceBox]:
        v = self.value
        return [FaceBox(0, 0, 160, 160, 1.0, "odd", landmarks=((v, v), (v, v), (80.0, 90.0),
                                                               (60.0, 120.0), (100.0, 120.0)))]


@pytest.mark.parametrize("value", [50.0, float("nan"), float("inf")])
def test_degenerate_landmarks_are_no_face_not_an_error(deps: Deps, value: float) -> None:
    assert reason(live(), replace(deps, landmarker=Degenerate(value))) is LivenessReason.NO_FACE
    steps = (Step.TURN_LEFT,)
    assert reason(challenge(steps), replace(deps, landmarker=Degenerate(value)), steps) \
        is LivenessReason.NO_FACE


def test_without_a_landmarker_face_processing_is_off(deps: Deps) -> None:
    with pytest.raises(errors.FaceModuleDisabled):
        require_live(live(), replace(deps, landmarker=None))
