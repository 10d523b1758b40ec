"""Pulls run by the service itself (`POST /api/cameras/{id}/pull`), so their frames, faces,
matches, tracks and latencies land in the same runtime — the same tracks, the same /metrics —
as pushes. `keyuan capture pull` still runs a pull in its own process (its metrics are its
own); this is the way to have serve watch a stream. One pull per camera at a time; live
streams only (C13, `pull.live_source`)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from keyuan.adapters.capture.pull import PullSummary, is_url, live_source, run_pull
from keyuan.domain.capture.errors import CaptureSourceError, PullAlreadyRunning, PullNotFound
from keyuan.domain.errors import KeyuanError
from keyuan.services.capture.ports import FramePipeline
from keyuan.services.capture.service import open_camera

STOP_WAIT_SECONDS = 10.0


def redact(source: str) -> str:
    """A stream URL without its user:password (RTSP cameras often carry them in the URL)."""
    if not is_url(source):
        return source
    parts = urlsplit(source)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass
class PullJob:
    camera_id: str
    source: str  # redacted
    fps: float
    started_at: datetime
    stop: threading.Event = field(default_factory=threading.Event)
    summary: PullSummary = field(default_factory=PullSummary)
    finished_at: datetime | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class Pulls:
    """The service's running (and last finished) pull per camera."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, PullJob] = {}

    def start(self, rt: FramePipeline, camera_id: str, source: str, fps: float, *,
              actor: str) -> PullJob:
        """Checks the source is live (422), the camera and the gate now (404/409 to the caller),
        then pulls in a thread."""
        live_source(source)
        open_camera(rt, camera_id)
        now = rt.deps.clock.now()
        job = PullJob(camera_id, redact(source), fps, now)
        with self._lock:
            running = self._jobs.get(camera_id)
            if running is not None and running.running:
                raise PullAlreadyRunning()
            self._jobs[camera_id] = job
            job.thread = threading.Thread(target=self._run, args=(rt, job, source),
                                          name=f"capture-pull-{camera_id}", daemon=True)
            job.thread.start()
        with rt.deps.uow() as uow:
            uow.audit.append(at=now, actor=actor[:64], action="camera_pull_started",
                             subject=camera_id, detail={"source": redact(source), "fps": fps})
            uow.commit()
        return job

    def get(self, camera_id: str) -> PullJob:
        with self._lock:
            job = self._jobs.get(camera_id)
        if job is None:
            raise PullNotFound()
        return job

    def stop(self, camera_id: str, wait: float = STOP_WAIT_SECONDS) -> PullJob:
        job = self.get(camera_id)
        job.stop.set()
        if job.thread is not None:
            job.thread.join(wait)
        return job

    def stop_all(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop.set()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(STOP_WAIT_SECONDS)

    def _run(self, rt: FramePipeline, job: PullJob, source: str) -> None:
        try:
            run_pull(rt, job.camera_id, source, fps=job.fps, stop=job.stop,
                     live_summary=job.summary)
        except CaptureSourceError as exc:
            job.summary.error = exc.message
        except KeyuanError as exc:  # the gate closed between the check and the start
            job.summary.error = f"{exc.code}: {exc.message}"
        finally:
            job.finished_at = rt.deps.clock.now()
