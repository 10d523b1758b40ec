"""Capture rules without I/O: the gate, capture times, tracks, the drop-oldest queue, backoff."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from keyuan.adapters.capture.pull import Backoff, stream_frames
from keyuan.adapters.capture.queue import DropOldestQueue
from keyuan.domain.capture.cameras import (
    Camera,
    Signage,
    check_capture_time,
    require_ambient_allowed,
)
from keyuan.domain.capture.errors import (
    CameraDisabled,
    CaptureSourceError,
    CaptureTimeInvalid,
    SignageNotConfirmed,
)
from keyuan.domain.capture.tracks import Tracks

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SIGNAGE = Signage("o1", NOW, "manager")


def camera(enabled: bool = True) -> Camera:
    return Camera("cam_1", "o1", "entrance", "h" * 64, enabled, NOW)


def test_a_disabled_camera_is_refused_even_with_signage() -> None:
    with pytest.raises(CameraDisabled):
        require_ambient_allowed(camera(enabled=False), SIGNAGE)


def test_without_confirmed_signage_ambient_recognition_is_off() -> None:
    with pytest.raises(SignageNotConfirmed) as err:
        require_ambient_allowed(camera(), None)
    assert err.value.status == 409


def test_an_enabled_camera_with_signage_passes() -> None:
    require_ambient_allowed(camera(), SIGNAGE)


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


def test_a_visit_is_due_only_from_the_second_agreeing_sighting_of_one_track() -> None:
    tracks = Tracks(timedelta(seconds=30), min_sightings=2)
    assert not tracks.observe("cam", "p1", NOW).visit_due
    assert not tracks.observe("cam2", "p1", NOW).visit_due  # another camera: another track
    assert not tracks.observe("cam", "p2", NOW).visit_due  # another person: another track
    second = tracks.observe("cam", "p1", NOW + timedelta(seconds=5))
    assert second.visit_due and second.sightings == 2 and second.first_at == NOW


def test_a_gap_longer_than_the_track_gap_starts_a_new_track() -> None:
    tracks = Tracks(timedelta(seconds=30), min_sightings=2)
    tracks.observe("cam", "p1", NOW)
    again = tracks.observe("cam", "p1", NOW + timedelta(seconds=31))
    assert not again.visit_due and again.sightings == 1


def test_prune_forgets_idle_tracks() -> None:
    tracks = Tracks(timedelta(seconds=30), min_sightings=2)
    tracks.observe("cam", "p1", NOW)
    assert tracks.prune(NOW + timedelta(minutes=1)) == 1 and len(tracks) == 0


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

    def opener(_: str) -> _Dropping | None:
        opened.append(1)
        return outcomes.pop(0) if outcomes else None

    waits: list[float] = []
    frames = stream_frames("rtsp://cam", 1000.0, lambda: NOW, stop=threading.Event(),
                           backoff=Backoff(attempts=1, sleep=waits.append), opener=opener)
    got = []
    with pytest.raises(CaptureSourceError):
        got.extend(frames)
    assert len(got) == 2 and waits[0] == 0.5


def test_capture_requests_leave_no_access_log_line_other_requests_do() -> None:
    import logging

    from keyuan.api.routes.capture import QuietCaptureAccessLog

    def record(path: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                                 ("127.0.0.1:1", "POST", path, "1.1", 200), None)

    quiet = QuietCaptureAccessLog()
    assert not quiet.filter(record("/api/cameras/cam_1/captures?captured_at=1"))
    assert quiet.filter(record("/api/kiosk/sessions"))
