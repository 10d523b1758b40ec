"""Capture worker processes: the heavy part of a frame (decode → detect → gate → embed → 1:N) on
every core. Each engine's native models are used one call at a time (and dlib holds the GIL), so
threads in one process give about one core; each worker here loads its own models once, with one
OpenCV thread, and matches against the
gallery the parent publishes in shared memory (`shared_gallery`), mapped for one frame at a time.

Across the process boundary go: to a worker, the frame (encoded bytes as pushed, or a decoded
pull frame) and the name of the gallery segment to match against; back, `FrameFaces` — counts
and the (pseudonym, distance) of matches with each match's liveness cue (a small aligned grey
thumbnail and five landmarks, over the pipe, in memory) — or a bad-input error to re-raise.
Workers never open the database or the vault: audit entries and visits are written by the
parent.

A worker that dies (crash, OOM kill) is replaced when next handed a frame; the frame it was
working on fails with 503 (the camera retries) and the service keeps serving. A worker whose
parent dies sees its pipe close and exits."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from keyuan.adapters.biometrics.engines import (
    is_configured_engine,
    make_engine,
    make_landmarker,
    single_threaded_worker,
)
from keyuan.adapters.capture.shared_gallery import GalleryPublisher, GalleryView, remove_stale
from keyuan.config.face import FaceSettings
from keyuan.domain.capture.errors import CaptureBusy, CaptureWorkerLost
from keyuan.domain.errors import KeyuanError
from keyuan.services.capture.faces import FrameData, FrameFaces, find_faces
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.faces.landmarks import Landmarker

log = logging.getLogger(__name__)
WAIT_FOR_WORKER_SECONDS = 30.0
STOP_SECONDS = 5.0


def _worker_main(conn: Connection, face: FaceSettings) -> None:
    """Worker process body: load the models once, then answer frames until told to stop or the
    parent goes away. Nothing here is written anywhere but the pipe back to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    single_threaded_worker()  # one native thread per worker: the workers are the parallelism
    engine = make_engine(face)
    engine.warm_up()  # verify and load once, up front
    landmarker = make_landmarker(face)  # five landmarks of matched faces, for liveness
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if task is None:
            break
        name, size, frame = task
        conn.send(_answer(engine, face, GalleryView(name, size), frame, landmarker))


def _answer(engine: FaceEngine, face: FaceSettings, view: GalleryView,
            frame: FrameData, landmarker: Landmarker | None = None) -> tuple[str, Any]:
    """Search one frame in the gallery version `view` maps, then unmap it: an idle worker
    holds no copy, so a superseded segment the parent unlinks is gone at once (C6)."""
    try:
        return "ok", find_faces(engine, frame, face, view, landmarker)
    except KeyuanError as exc:
        return "error", (type(exc), exc.message, exc.details)
    except Exception as exc:  # a bug, not bad input: a 500, as in-process, not a dead worker
        return "failed", type(exc).__name__
    finally:
        view.close()


def can_search_for(engine: FaceEngine | None, face: FaceSettings) -> bool:
    """Whether the workers may search frames meant for `engine`: each worker builds its own
    engine from the face settings (`make_engine`), so only when `engine` is that real engine do
    they give the same answers (another, such as the tests' fake, is searched in-process)."""
    return is_configured_engine(engine, face)


class _Lost(Exception):
    def __init__(self, *, delivered: bool) -> None:
        super().__init__("capture worker lost")
        self.delivered = delivered


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection


class WorkerPool:
    """`size` worker processes (spawned, never forked: the parent has threads and a database
    pool). `run` blocks the calling thread until a worker is free and has answered."""

    def __init__(self, size: int, face: FaceSettings, publisher: GalleryPublisher,
                 on_restart: Callable[[], None] | None = None) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        remove_stale()  # what a kill -9 of an earlier service (and its tracker) left behind
        self.size = size
        self._face = face
        self._publisher = publisher
        self._on_restart = on_restart
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._closed = False
        for _ in range(size):
            self._idle.put(self._spawn())

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid or 0 for w in self._workers]

    def run(self, frame: FrameData) -> FrameFaces:
        try:
            worker = self._idle.get(timeout=WAIT_FOR_WORKER_SECONDS)
        except queue.Empty:
            raise CaptureBusy("Every capture worker stayed busy; retry shortly.") from None
        reply: tuple[str, Any] | None = None
        try:
            for attempt in (1, 2):
                try:
                    reply = self._ask(worker, frame)
                    break
                except _Lost as lost:
                    worker = self._replace(worker)
                    if lost.delivered or attempt == 2:  # it may have died of this very frame
                        raise CaptureWorkerLost() from None
        finally:
            self._idle.put(worker)
        assert reply is not None
        status, value = reply
        if status == "error":
            kind, message, details = value
            raise kind(message, **details)
        if status == "failed":
            raise RuntimeError(f"a capture worker failed on a frame ({value})")
        result: FrameFaces = value
        return result

    def _ask(self, worker: _Worker, frame: FrameData) -> tuple[str, Any]:
        """Send one frame and wait for the answer; `_Lost` says whether the worker got it."""
        name, size = self._publisher.acquire()
        try:
            if not worker.process.is_alive():
                raise _Lost(delivered=False)
            try:
                worker.conn.send((name, size, frame))
            except OSError:
                raise _Lost(delivered=False) from None
            try:
                reply: tuple[str, Any] = worker.conn.recv()
            except (EOFError, OSError):
                raise _Lost(delivered=True) from None
            return reply
        finally:
            self._publisher.release(name)

    def refresh_gallery(self) -> None:
        """Publish the gallery now if it changed (the gallery follower calls this)."""
        self._publisher.refresh()

    @property
    def shared_templates(self) -> int:
        """Templates in the segment the workers are handed now."""
        return self._publisher.templates

    @property
    def shared_segments(self) -> list[str]:
        """The segments still linked: the current one, and one a frame in flight still uses."""
        return self._publisher.names()

    def close(self) -> None:
        """Stop every worker (politely, then by force) and unlink every gallery segment."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in workers:
            worker.process.join(STOP_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(STOP_SECONDS)
            worker.conn.close()
        self._publisher.close()

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child, self._face),
                                    name="keyuan-capture-worker", daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._workers.append(worker)
        return worker

    def _replace(self, dead: _Worker) -> _Worker:
        log.warning("capture worker %s exited (code %s); starting a new one",
                    dead.process.pid, dead.process.exitcode)
        dead.conn.close()
        dead.process.join(STOP_SECONDS)
        with self._lock:
            if dead in self._workers:
                self._workers.remove(dead)
            closed = self._closed
        if closed:
            raise CaptureWorkerLost("The capture workers are shutting down.")
        if self._on_restart is not None:
            self._on_restart()
        return self._spawn()
