"""Capture rules without I/O: the gate, capture times, tracks, the drop-oldest queue, backoff."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from keyuan.adapters.capture.pull import Backoff, live_source, stream_frames
from keyuan.adapters.capture.queue import DropOldestQueue
from keyuan.domain.capture.cameras import (
    Camera,
    Signage,
    check_capture_time,
    lane_texts,
    require_ambient_allowed,
)
from keyuan.domain.capture.errors import (
    CameraDisabled,
    CameraLaneMissing,
    CameraLaneNotConfirmed,
    CameraLaneRequired,
    CaptureSourceError,
    CaptureSourceNotLive,
    CaptureTimeInvalid,
    SignageNotConfirmed,
)
from keyuan.domain.capture.tracks import Difference, LaneRules, Tracks
from keyuan.domain.checkin.liveness import LivenessReason

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SIGNAGE = Signage("o1", NOW, "manager")


def camera(enabled: bool = True, lane: str = "东门黄线刷脸通道", alternative: str = "东门右侧入口",
           confirmed: bool = True) -> Camera:
    return Camera("cam_1", "o1", "entrance", "h" * 64, enabled, NOW, lane=lane,
                  alternative=alternative, lane_confirmed_at=NOW if confirmed else None,
                  lane_confirmed_by="compliance" if confirmed else None)


def test_a_disabled_camera_is_refused_even_with_signage() -> None:
    with pytest.raises(CameraDisabled):
        require_ambient_allowed(camera(enabled=False), SIGNAGE)


def test_without_confirmed_signage_ambient_recognition_is_off() -> None:
    with pytest.raises(SignageNotConfirmed) as err:
        require_ambient_allowed(camera(), None)
    assert err.value.status == 409


def test_an_enabled_camera_with_signage_passes() -> None:
    require_ambient_allowed(camera(), SIGNAGE)


@pytest.mark.parametrize(("lane", "alternative"), [("", "东门右侧入口"), ("东门黄线", ""),
                                                   ("  ", " \t")])
def test_c11_a_camera_without_a_lane_or_an_alternative_route_stays_off(
    lane: str, alternative: str,
) -> None:
    with pytest.raises(CameraLaneMissing) as err:
        require_ambient_allowed(camera(lane=lane, alternative=alternative), SIGNAGE)
    assert err.value.status == 409
    with pytest.raises(CameraLaneRequired) as required:
        lane_texts(lane, alternative)
    assert required.value.status == 422 and required.value.details["missing"]


def test_c11_the_gate_stays_closed_until_the_office_confirms_the_lane() -> None:
    with pytest.raises(CameraLaneNotConfirmed) as err:
        require_ambient_allowed(camera(confirmed=False), SIGNAGE)
    assert err.value.code == "camera_lane_not_confirmed" and err.value.status == 409


def test_c11_changing_a_lane_text_withdraws_the_confirmation_and_the_same_texts_keep_it() -> None:
    confirmed = camera()
    assert confirmed.with_lane(" 东门黄线刷脸通道 ", "东门右侧入口") is confirmed
    for lane, alternative in (("西门蓝线刷脸通道", "东门右侧入口"), ("东门黄线刷脸通道", "北门")):
        moved = confirmed.with_lane(lane, alternative)
        assert (moved.lane, moved.alternative) == (lane, alternative)
        assert not moved.lane_confirmed and moved.lane_confirmed_by is None
        with pytest.raises(CameraLaneNotConfirmed):
            require_ambient_allowed(moved, SIGNAGE)
    with pytest.raises(CameraLaneRequired):
        confirmed.with_lane("西门", "x" * 201)


@pytest.mark.parametrize(("offset", "reason"), [(timedelta(minutes=10), "future"),
                                                (timedelta(days=-2), "too_old")])
def test_future_and_stale_capture_times_are_refused(offset: timedelta, reason: str) -> None:
    with pytest.raises(CaptureTimeInvalid) as err:
        check_capture_time(NOW + offset, NOW, max_skew=timedelta(minutes=5),
                           max_age=timedelta(hours=24))
    assert err.value.details["reason"] == reason


def test_small_clock_skew_is_accepted() -> None:
    check_capture_time(NOW + timedelta(minutes=2), NOW, max_skew=timedelta(minutes=5),
                       max_age=timedelta(hours=24))


RULES = LaneRules(identical_pixels=1.5, identical_landmarks=0.01, single_image_residual=0.15,
                  single_image_shape=0.0, min_gap=timedelta(milliseconds=15))


def by_number(first: object, other: object) -> Difference:
    """A judge for cues that are numbers: a cue is (pixels, landmarks, residual) of one picture
    against the picture 0 (so two equal numbers are one picture)."""
    assert isinstance(first, tuple) and isinstance(other, tuple)
    return Difference(*(abs(a - b) for a, b in zip(first, other, strict=True)))


LIVE, STILL, MOVED = (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.4, 0.05, 0.03)
OTHER_FRAME = (5.0, 0.2, 0.6)


def tracks() -> Tracks:
    return Tracks(timedelta(seconds=30), min_sightings=2, judge=by_number, rules=RULES)


def test_a_visit_is_due_only_from_the_second_agreeing_live_sighting_of_one_track() -> None:
    lane = tracks()
    assert not lane.observe("cam", "p1", NOW, LIVE).visit_due
    assert not lane.observe("cam2", "p1", NOW, LIVE).visit_due  # another camera: another track
    assert not lane.observe("cam", "p2", NOW, LIVE).visit_due  # another person: another track
    second = lane.observe("cam", "p1", NOW + timedelta(seconds=5), OTHER_FRAME)
    assert second.visit_due and second.live and second.sightings == 2 and second.first_at == NOW


@pytest.mark.parametrize(("cue", "reason"), [
    (STILL, LivenessReason.FRAMES_IDENTICAL), (MOVED, LivenessReason.SINGLE_IMAGE),
    (None, LivenessReason.NO_FACE)])
def test_a_track_of_one_picture_is_never_due_and_says_why(cue: tuple[float, ...] | None,
                                                          reason: LivenessReason) -> None:
    lane = tracks()
    lane.observe("cam", "p1", NOW, LIVE)
    for n in range(1, 6):
        track = lane.observe("cam", "p1", NOW + timedelta(seconds=n), cue)
        assert (track.visit_due, track.live, track.not_live) == (False, False, reason)


def test_a_repeated_capture_time_is_not_a_second_sighting_of_a_live_face() -> None:
    lane = tracks()
    lane.observe("cam", "p1", NOW, LIVE)
    again = lane.observe("cam", "p1", NOW + timedelta(milliseconds=10), OTHER_FRAME)
    assert not again.visit_due and again.not_live is LivenessReason.TIMESTAMPS_IMPLAUSIBLE
    assert lane.observe("cam", "p1", NOW + timedelta(milliseconds=200), OTHER_FRAME).visit_due


def test_a_live_track_stays_due_and_holds_no_cue() -> None:
    lane = tracks()
    lane.observe("cam", "p1", NOW, LIVE)
    assert lane.cues_held == 1
    assert lane.observe("cam", "p1", NOW + timedelta(seconds=1), OTHER_FRAME).visit_due
    assert lane.cues_held == 0
    assert lane.observe("cam", "p1", NOW + timedelta(seconds=2), STILL).visit_due


def test_an_idle_track_drops_its_cue_and_starts_its_evidence_afresh() -> None:
    lane = tracks()
    lane.observe("cam", "p1", NOW, LIVE, received=10.0)
    lane.observe("cam", "p2", NOW, LIVE, received=50.0)
    assert lane.drop_cues(idle_before=40.0) == 1 and lane.cues_held == 1
    after = lane.observe("cam", "p1", NOW + timedelta(seconds=1), OTHER_FRAME, received=60.0)
    assert not after.visit_due and after.not_live is LivenessReason.TOO_FEW_FRAMES


def test_a_gap_longer_than_the_track_gap_starts_a_new_track() -> None:
    lane = tracks()
    lane.observe("cam", "p1", NOW, LIVE)
    again = lane.observe("cam", "p1", NOW + timedelta(seconds=31), OTHER_FRAME)
    assert not again.visit_due and again.sightings == 1 and again.not_live is None


def test_prune_forgets_idle_tracks_and_their_cues() -> None:
    lane = tracks()
    lane.observe("cam", "p1", NOW, LIVE)
    assert lane.prune(NOW + timedelta(minutes=1)) == 1 and len(lane) == 0
    assert lane.cues_held == 0


def test_a_full_queue_drops_its_oldest_item_and_never_blocks() -> None:
    dropped: list[int] = []
    queue: DropOldestQueue[int] = DropOldestQueue(2, dropped.append)
    for item in range(5):
        queue.put(item)
    assert dropped == [0, 1, 2] and queue.dropped == 3
    assert [queue.get(0), queue.get(0)] == [3, 4]
    queue.close()
    assert queue.get(0) is None


def test_a_stream_that_never_comes_back_fails_after_exponential_backoff() -> None:
    waits: list[float] = []
    backoff = Backoff(base=0.5, ceiling=4.0, attempts=5, sleep=waits.append)
    with pytest.raises(CaptureSourceError, match="5 reconnects"):
        list(stream_frames("rtsp://camera/stream", 2.0, lambda: NOW, backoff=backoff,
                           stop=threading.Event(), opener=lambda _: None))
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0]


class _Dropping:
    """A stream that gives `frames` frames and then drops."""

    def __init__(self, frames: int) -> None:
        self.left = frames

    def read(self) -> tuple[bool, object]:
        import numpy as np

        self.left -= 1
        return (self.left >= 0, np.zeros((4, 4, 3), dtype=np.uint8))

    def release(self) -> None:
        pass


def test_a_dropped_stream_reconnects_and_keeps_delivering_frames() -> None:
    opened: list[int] = []
    outcomes = [_Dropping(1), None, _Dropping(1)]

    def opener(_: str | int) -> _Dropping | None:
        opened.append(1)
        return outcomes.pop(0) if outcomes else None

    waits: list[float] = []
    frames = stream_frames("rtsp://cam", 1000.0, lambda: NOW, stop=threading.Event(),
                           backoff=Backoff(attempts=1, sleep=waits.append), opener=opener)
    got = []
    with pytest.raises(CaptureSourceError):
        got.extend(frames)
    assert len(got) == 2 and waits[0] == 0.5


@pytest.mark.parametrize("source", [
    "/srv/nvr/export/door_20261128.mp4", "clip.mp4", "./clip", "C:\\clips\\door.dav",
    "file:///srv/clips/door.mp4", "FILE:///tmp/x", "http://10.0.0.5/records/door.mp4",
    "https://nvr.local/playback/ch1.dav?start=0", "rtsp://10.0.0.5/export.mkv", "ftp://x/y",
    "", "123", "/dev/sda",
])
def test_c13_a_pull_refuses_a_file_or_recorded_footage(source: str) -> None:
    with pytest.raises(CaptureSourceNotLive) as err:
        live_source(source)
    assert (err.value.code, err.value.status) == ("capture_source_not_live", 422)


@pytest.mark.parametrize(("source", "opened"), [
    ("rtsp://admin:pw@10.0.0.5:554/Streaming/Channels/101", None),
    ("rtsps://cam.local/live", None), ("http://10.0.0.7/video.mjpg", None),
    ("https://cam.local/mjpeg?res=hd", None), ("0", 0), (" 2 ", 2),
    ("/dev/video0", "/dev/video0"),
])
def test_c13_live_streams_and_capture_devices_are_live(source: str, opened: object) -> None:
    assert live_source(source) == (opened if opened is not None else source)


class _Recorded(_Dropping):
    """A source that declares a length (OpenCV's frame count): recorded footage."""

    def get(self, prop: int) -> float:
        return 275.0


def test_c13_a_source_that_declares_a_length_is_refused_as_recorded_footage() -> None:
    frames = stream_frames("rtsp://nvr/playback", 2.0, lambda: NOW, stop=threading.Event(),
                           backoff=Backoff(attempts=0), opener=lambda _: _Recorded(10))
    with pytest.raises(CaptureSourceNotLive, match="recorded footage"):
        next(frames)


class _Paced(_Dropping):
    def read(self) -> tuple[bool, object]:
        time.sleep(0.01)  # a frame every 10 ms, slower than the 1000 fps sampling
        return super().read()


def test_c13_frames_are_timed_by_the_stream_clock_as_received() -> None:
    ticks = iter(NOW + timedelta(seconds=7 * n) for n in range(10))
    sources: list[_Dropping | None] = [_Paced(3)]
    frames = stream_frames("rtsp://cam", 100.0, lambda: next(ticks), stop=threading.Event(),
                           backoff=Backoff(attempts=0),
                           opener=lambda _: sources.pop() if sources else None)
    got = []
    with pytest.raises(CaptureSourceError):
        got.extend(frames)
    assert [f.captured_at for f in got] == [NOW, NOW + timedelta(seconds=7),
                                            NOW + timedelta(seconds=14)]


def test_capture_requests_leave_no_access_log_line_other_requests_do() -> None:
    import logging

    from keyuan.api.routes.capture import QuietCaptureAccessLog

    def record(path: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                                 ("127.0.0.1:1", "POST", path, "1.1", 200), None)

    quiet = QuietCaptureAccessLog()
    assert not quiet.filter(record("/api/cameras/cam_1/captures?captured_at=1"))
    assert quiet.filter(record("/api/kiosk/sessions"))
