"""Pull: frames from an RTSP stream or a video file through OpenCV, sampled at a set rate.

Live streams reconnect with exponential backoff when they drop and feed a drop-oldest queue, so
a slow engine sheds stale frames instead of falling behind; files are read at the engine's pace
(nothing is live to fall behind) with a progress bar. Frames stay in memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from keyuan.biometrics.ports import Image
from keyuan.capture.errors import CaptureSourceError
from keyuan.capture.queue import DropOldestQueue

LIVE_PREFIXES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")


@dataclass(frozen=True)
class Frame:
    captured_at: datetime
    image: Image
    received: float


@dataclass
class Backoff:
    """0.5 s, 1 s, 2 s, … up to `ceiling`; `attempts` consecutive failures and the source is
    given up with a clear error."""

    base: float = 0.5
    ceiling: float = 30.0
    attempts: int = 8
    sleep: Callable[[float], None] = time.sleep
    waited: list[float] = field(default_factory=list)

    def delays(self) -> Iterator[float]:
        for n in range(self.attempts):
            yield min(self.ceiling, self.base * 2**n)


def is_live(source: str) -> bool:
    return source.lower().startswith(LIVE_PREFIXES)


def _open(source: str) -> Any:
    import cv2

    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        capture.release()
        return None
    return capture


def _rgb(bgr: Any) -> Image:
    import cv2

    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def file_frames(path: str, fps: float, start: datetime, *,
                progress: bool = True) -> Iterator[Frame]:
    """Every (native fps / fps)-th frame, timed from `start` by its position in the file.
    Raises CaptureSourceError when the file cannot be opened or ends before its declared length
    (a stream that died mid-file), after yielding what it could read."""
    import cv2
    from tqdm import tqdm

    capture = _open(path)
    if capture is None:
        raise CaptureSourceError(f"Cannot open video {path!r}.")
    native = capture.get(cv2.CAP_PROP_FPS) or fps
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    step = max(1.0, native / fps)
    bar = tqdm(total=declared or None, unit="frame", disable=not progress, desc="pull")
    index, next_pick = 0, 0.0
    try:
        while capture.grab():
            if index >= next_pick:
                ok, bgr = capture.retrieve()
                if not ok:
                    break
                next_pick += step
                yield Frame(start + timedelta(seconds=index / native), _rgb(bgr),
                            time.perf_counter())
            index += 1
            bar.update(1)
    finally:
        bar.close()
        capture.release()
    if declared and index < declared - 1:
        raise CaptureSourceError(f"The video ended at frame {index} of {declared}.",
                                 frames_read=index, frames_declared=declared)


def stream_frames(url: str, fps: float, now: Callable[[], datetime], *, backoff: Backoff,
                  stop: threading.Event, opener: Callable[[str], Any] = _open) -> Iterator[Frame]:
    """Frames of a live stream at most `fps` per second; reconnects after a drop."""
    interval = 1.0 / fps
    while not stop.is_set():
        capture = _connect(url, backoff, stop, opener)
        if capture is None:
            return
        last = float("-inf")  # the first frame after a (re)connect is always taken
        try:
            while not stop.is_set():
                ok, bgr = capture.read()
                if not ok:
                    break  # dropped: reconnect
                tick = time.perf_counter()
                if tick - last >= interval:
                    last = tick
                    yield Frame(now(), _rgb(bgr), tick)
        finally:
            capture.release()


def _connect(url: str, backoff: Backoff, stop: threading.Event,
             opener: Callable[[str], Any]) -> Any:
    capture = opener(url)
    if capture is not None:
        return capture
    for delay in backoff.delays():
        if stop.is_set():
            return None
        backoff.waited.append(delay)
        backoff.sleep(delay)
        capture = opener(url)
        if capture is not None:
            return capture
    raise CaptureSourceError(
        f"The stream did not come back after {backoff.attempts} reconnects.",
        waited_seconds=round(sum(backoff.waited), 1))


def pump(frames: Iterator[Frame], queue: DropOldestQueue[Frame]) -> None:
    """Reader thread body: put every frame without ever blocking, then close the queue."""
    try:
        for frame in frames:
            queue.put(frame)
    finally:
        queue.close()


@dataclass
class PullSummary:
    frames: int = 0
    dropped: int = 0
    faces: int = 0
    matched: int = 0
    visits: list[str] = field(default_factory=list)
    error: str | None = None


REOPEN_EVERY_FRAMES = 50
"""How often a long pull re-checks that the camera and the gate are still open."""


def run_pull(rt: Any, camera_id: str, source: str, *, fps: float, progress: bool = True,
             backoff: Backoff | None = None, stop: threading.Event | None = None) -> PullSummary:
    """Pull `source` into the pipeline as camera `camera_id` (operator-run: no token, but the
    camera must exist, be enabled, and its office's gate must be open)."""
    from keyuan.capture import service

    opened = service.open_camera(rt, camera_id)
    stop = stop or threading.Event()
    summary = PullSummary()
    if is_live(source):
        frames = _queued(rt, stream_frames(source, fps, rt.deps.clock.now,
                                           backoff=backoff or Backoff(), stop=stop), summary)
    else:
        frames = file_frames(source, fps, rt.deps.clock.now(), progress=progress)
    try:
        for frame in frames:
            rt.metrics.frames_in.labels("pull").inc()
            if summary.frames and summary.frames % REOPEN_EVERY_FRAMES == 0:
                opened = service.open_camera(rt, camera_id)
            outcome = service.process_frame(rt, opened, frame.image, frame.captured_at,
                                            frame.received, source="pull")
            summary.frames += 1
            summary.faces += outcome.faces
            summary.matched += outcome.matched
            summary.visits += outcome.visits
    except CaptureSourceError as exc:
        summary.error = exc.message
    finally:
        stop.set()
    return summary


def _queued(rt: Any, frames: Iterator[Frame], summary: PullSummary) -> Iterator[Frame]:
    """Run the reader in a thread feeding a drop-oldest queue; re-raise its error here."""
    def dropped(_: Frame) -> None:
        summary.dropped += 1
        rt.metrics.frames_dropped.labels("pull").inc()

    queue: DropOldestQueue[Frame] = DropOldestQueue(rt.settings.pull_queue_frames, dropped)
    failure: list[BaseException] = []

    def reader() -> None:
        try:
            pump(frames, queue)
        except BaseException as exc:  # handed to the consumer below, never swallowed
            failure.append(exc)

    thread = threading.Thread(target=reader, name="capture-pull", daemon=True)
    thread.start()
    while (frame := queue.get(timeout=1.0)) is not None or thread.is_alive():
        if frame is not None:
            yield frame
    thread.join()
    if failure:
        raise failure[0]
