"""Pull: frames from a live stream through OpenCV, sampled at a set rate (C13).

Only live sources make visits: rtsp:// and rtsps:// (and rtmp, udp, tcp), http(s) MJPEG
streams, and local capture devices (an index such as `0`, or /dev/videoN). A file path, a
file:// URL, an http(s) URL naming a video file, or any source that declares a frame count
(recorded footage has a length, a live stream has none) is refused with
`capture_source_not_live`: recorded footage and security-recorder files never become visits.
Frames are timed by the stream clock — the moment each frame is received — never by a position
in a file. Reading video files is for measuring only (`keyuan.evaluation.video`, used by the
benches). Live streams reconnect with exponential backoff when they drop and feed a drop-oldest
queue, so a slow engine sheds stale frames instead of falling behind. Frames stay in memory."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

import numpy as np

from keyuan.adapters.capture.queue import DropOldestQueue
from keyuan.domain.capture.errors import (
    CapturePullStopped,
    CaptureSourceError,
    CaptureSourceNotLive,
    CaptureWorkerLost,
)
from keyuan.domain.errors import KeyuanError
from keyuan.services.capture.ports import FramePipeline
from keyuan.services.capture.service import Opened, Outcome, open_camera, process_frame
from keyuan.services.faces.engine import Image

if TYPE_CHECKING:  # types only: OpenCV itself loads when a pull opens its source
    import cv2
    from cv2.typing import MatLike

LIVE_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "udp", "tcp", "http", "https")
RECORDED_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".flv", ".wmv", ".mpg",
                     ".mpeg", ".ts", ".m2ts", ".mts", ".3gp", ".y4m", ".dav", ".h264", ".h265",
                     ".264", ".265")
"""Names of recorded video (incl. NVR/DVR exports such as .dav): refused even behind http(s)."""
_DEVICE = re.compile(r"^(?:\d{1,2}|/dev/video\d{1,2})$")


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


class StreamSource(Protocol):
    """What a live pull reads from: an opened `cv2.VideoCapture` (tests pass fakes)."""

    def read(self) -> tuple[bool, MatLike]: ...

    def release(self) -> None: ...


def is_device(source: str) -> bool:
    return bool(_DEVICE.match(source.strip()))


def is_url(source: str) -> bool:
    return urlsplit(source.strip()).scheme.lower() in LIVE_SCHEMES


def live_source(source: str) -> str | int:
    """What OpenCV opens for a live `source`: the URL, or a device index; anything else (a file
    path, file://, an http(s) URL naming a video file) → `CaptureSourceNotLive` (422, C13)."""
    text = source.strip()
    if is_device(text):
        return int(text) if text.isdigit() else text
    parts = urlsplit(text)
    if parts.scheme.lower() not in LIVE_SCHEMES:
        raise CaptureSourceNotLive(source=_shown(text))
    if parts.path.lower().endswith(RECORDED_SUFFIXES):
        raise CaptureSourceNotLive(
            "This URL names a recorded video file; pulls take live streams only (C13).",
            source=_shown(text))
    return text


def _shown(source: str) -> str:
    """A source as an error may show it: no user:password, no query."""
    parts = urlsplit(source)
    if not parts.scheme or parts.hostname is None:
        return source[:200]
    netloc = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    return f"{parts.scheme}://{netloc}{parts.path}"[:200]


def open_source(source: str | int) -> cv2.VideoCapture | None:
    import cv2  # heavy (~0.1 s) and only a pull needs it: loaded on the first pull

    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        capture.release()
        return None
    return capture


def rgb(bgr: MatLike) -> Image:
    import cv2  # heavy: see open_source (already loaded by then)

    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def declares_length(capture: StreamSource) -> bool:
    """A source that declares a frame count is recorded footage: a live stream has no length."""
    get = getattr(capture, "get", None)
    if get is None:
        return False
    import cv2  # heavy: see open_source

    return float(get(cv2.CAP_PROP_FRAME_COUNT) or 0) > 0


def stream_frames(url: str | int, fps: float, now: Callable[[], datetime], *,
                  backoff: Backoff, stop: threading.Event,
                  opener: Callable[[str | int], StreamSource | None] = open_source,
                  ) -> Generator[Frame, None, None]:
    """Frames of a live stream at most `fps` per second, each timed by the stream clock: `now()`
    when it is received. Reconnects after a drop; a source that turns out to be recorded
    footage (it declares a length) is refused (`CaptureSourceNotLive`, C13)."""
    interval = 1.0 / fps
    while not stop.is_set():
        capture = _connect(url, backoff, stop, opener)
        if capture is None:
            return
        last = float("-inf")  # the first frame after a (re)connect is always taken
        try:
            if declares_length(capture):
                raise CaptureSourceNotLive(
                    "The source declares a length: it is recorded footage, not a live stream "
                    "(C13).")
            while not stop.is_set():
                ok, bgr = capture.read()
                if not ok:
                    break  # dropped: reconnect
                tick = time.perf_counter()
                if tick - last >= interval:
                    last = tick
                    yield Frame(now(), rgb(bgr), tick)
        finally:
            capture.release()


def _connect(url: str | int, backoff: Backoff, stop: threading.Event,
             opener: Callable[[str | int], StreamSource | None]) -> StreamSource | None:
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


def run_pull(rt: FramePipeline, camera_id: str, source: str, *, fps: float,
             backoff: Backoff | None = None, stop: threading.Event | None = None,
             live_summary: PullSummary | None = None) -> PullSummary:
    """Pull the live stream `source` into the pipeline as camera `camera_id` (operator-run: no
    token, but the source must be live (422 `capture_source_not_live`, C13), the camera must
    exist, be enabled, and its office's gate must be open — checked at the start, raising, and
    every REOPEN_EVERY_FRAMES frames, stopping the pull with `error` set). With worker
    processes, as many frames are in flight as there are workers. Setting `stop` ends it early;
    `live_summary` is updated as it goes (the service's pull status)."""
    url = live_source(source)
    opened = open_camera(rt, camera_id)
    stop = stop or threading.Event()
    summary = live_summary if live_summary is not None else PullSummary()
    frames = _queued(rt, stream_frames(url, fps, rt.deps.clock.now,
                                       backoff=backoff or Backoff(), stop=stop), summary)
    return feed(rt, camera_id, frames, opened=opened, stop=stop, summary=summary)


def feed(rt: FramePipeline, camera_id: str, frames: Generator[Frame, None, None], *,
         opened: Opened | None = None, stop: threading.Event | None = None,
         summary: PullSummary | None = None) -> PullSummary:
    """Hand `frames` to the pipeline as camera `camera_id`, re-checking the gate every
    REOPEN_EVERY_FRAMES frames. `run_pull` feeds it a live stream; the capture bench feeds it
    the frames of its clip (measuring only, C13)."""
    opened = opened or open_camera(rt, camera_id)
    stop = stop or threading.Event()
    summary = summary if summary is not None else PullSummary()
    rt.metrics.pulls.inc()
    try:
        with _InFlight(rt, summary) as in_flight:
            for frame in frames:
                if stop.is_set():
                    break
                if summary.frames and summary.frames % REOPEN_EVERY_FRAMES == 0:
                    opened = _reopen(rt, camera_id, summary)
                rt.metrics.frames_in.labels("pull").inc()
                in_flight.submit(opened, frame)
                summary.frames += 1
    except (CaptureSourceError, CapturePullStopped, CaptureSourceNotLive) as exc:
        summary.error = exc.message
    finally:
        stop.set()
        frames.close()  # release the stream at once
        rt.metrics.pulls.dec()
    return summary


def _reopen(rt: FramePipeline, camera_id: str, summary: PullSummary) -> Opened:
    """The gate re-check of a running pull: a camera switched off, a lapsed impact assessment
    or a face module turned off stops it with the reason."""
    try:
        return open_camera(rt, camera_id)
    except KeyuanError as exc:
        raise CapturePullStopped(f"The pull stopped after {summary.frames} frames: {exc.code}: "
                                 f"{exc.message}", reason=exc.code) from exc


class _InFlight:
    """Frames handed to the pipeline: one at a time in-process; with worker processes, up to
    one per worker at once (oldest awaited first), so a pull keeps every worker busy."""

    def __init__(self, rt: FramePipeline, summary: PullSummary) -> None:
        self._rt = rt
        self._summary = summary
        self._width = max(1, rt.workers)
        self._executor = (ThreadPoolExecutor(self._width, thread_name_prefix="capture-pull")
                          if self._width > 1 else None)
        self._pending: deque[Future[Outcome]] = deque()

    def __enter__(self) -> _InFlight:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            while self._pending:
                self._settle(self._pending.popleft().result)
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, opened: Opened, frame: Frame) -> None:
        args = (self._rt, opened, frame.image, frame.captured_at, frame.received)
        if self._executor is None:
            self._settle(lambda: process_frame(*args, source="pull"))
            return
        self._pending.append(self._executor.submit(process_frame, *args, source="pull"))
        while len(self._pending) >= self._width:
            self._settle(self._pending.popleft().result)

    def _settle(self, outcome: Callable[[], Outcome]) -> None:
        try:
            self._add(outcome())
        except CaptureWorkerLost:
            self._summary.dropped += 1  # that worker was replaced; the stream goes on
            self._rt.metrics.frames_dropped.labels("pull").inc()

    def _add(self, outcome: Outcome) -> None:
        self._summary.faces += outcome.faces
        self._summary.matched += outcome.matched
        self._summary.visits += outcome.visits


def _queued(rt: FramePipeline, frames: Iterator[Frame],
            summary: PullSummary) -> Generator[Frame, None, None]:
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
