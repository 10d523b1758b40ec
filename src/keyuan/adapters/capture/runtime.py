"""Per-app state of the capture pipeline, wired once (by `bootstrap.build`) from settings and the
app's `Deps`; it is the `FramePipeline` the capture use cases are given.

Frames are searched either in this process (workers = 0, or an engine other than the one the
face settings name, such as the tests' fake: workers build their own with `make_engine`) or by
the worker pool, started on the first frame (so building the runtime, or `keyuan capture camera
add`, never starts one) and stopped by `close` (the API's shutdown, `App.close`; an atexit hook
as a backstop)."""

from __future__ import annotations

import atexit
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from keyuan.adapters.capture import camera_picture
from keyuan.adapters.capture.metrics import CaptureMetrics
from keyuan.adapters.capture.pulls import Pulls
from keyuan.adapters.capture.shared_gallery import GalleryPublisher
from keyuan.adapters.capture.vendors import parse_profile
from keyuan.adapters.capture.workers import WorkerPool, can_search_for
from keyuan.config.capture import CaptureSettings
from keyuan.domain.capture.cameras import Camera
from keyuan.domain.capture.tracks import Tracks
from keyuan.domain.keyed_hash import keyed_hash
from keyuan.services.capture.faces import (
    FrameData,
    FrameFaces,
    find_faces,
    lane_judge,
    lane_rules,
)
from keyuan.services.capture.ports import PushedCapture
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.ports import Deps


@dataclass
class CaptureRuntime:
    deps: Deps
    settings: CaptureSettings
    secret: bytes
    tracks: Tracks
    workers: int = 0
    """Worker processes searching frames (0: this process), fixed by `build` for the engine."""
    metrics: CaptureMetrics = field(default_factory=CaptureMetrics)
    slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(self.settings.max_in_flight)
        self._frames = itertools.count(1)
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()
        self._closed = False
        self.metrics.tracks.set_function(lambda: len(self.tracks))
        self.metrics.gallery_version.set_function(lambda: self.deps.following.version or 0)
        self.metrics.gallery_templates.set_function(lambda: len(self.deps.gallery))
        self.metrics.shared_templates.set_function(
            lambda: self._pool.shared_templates if self._pool is not None else 0)
        self.metrics.shared_segments.set_function(
            lambda: len(self._pool.shared_segments) if self._pool is not None else 0)
        self.metrics.cues_held.set_function(lambda: self.tracks.cues_held)
        self.pulls = Pulls()
        self._sweeper: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def uses_workers(self) -> bool:
        return self.workers > 0

    def find_faces(self, engine: FaceEngine, frame: FrameData) -> FrameFaces:
        """Decode → detect → gate → embed → 1:N, in a worker process when there are any."""
        self._sweep_cues()
        pool = self.pool() if self.uses_workers else None
        if pool is None:
            return find_faces(engine, frame, self.deps.face, self.deps.gallery,
                              self.deps.landmarker)
        return pool.run(frame)

    def _sweep_cues(self) -> None:
        """Start (once, on the first frame) the thread that drops the liveness cue of every
        track idle for the track gap, so no face cue outlives its track by more than a gap even
        when no further frame comes; `close` stops it."""
        if self._sweeper is not None:
            return
        with self._pool_lock:
            if self._sweeper is not None or self._closed:
                return
            gap = self.settings.track_gap_seconds
            self._sweeper = threading.Thread(target=self._sweep, args=(gap,), daemon=True,
                                             name="keyuan-capture-cues")
            self._sweeper.start()

    def _sweep(self, gap: float) -> None:
        while not self._stop.wait(min(gap, 5.0)):
            self.tracks.drop_cues(time.perf_counter() - gap)

    def pool(self) -> WorkerPool:
        """The worker pool, started on first use (also by benchmarks and tests to warm up)."""
        with self._pool_lock:
            if self._closed:
                raise RuntimeError("the capture runtime is closed")
            if self._pool is None:
                self._pool = WorkerPool(self.workers, self.deps.face,
                                        GalleryPublisher(self.deps.gallery),
                                        on_restart=self.metrics.worker_restarts.inc)
                self.metrics.workers.set(self.workers)
                atexit.register(self.close)
            return self._pool

    def refresh_gallery(self) -> None:
        """The gallery changed (the follower says so): the workers' shared copy follows at once,
        idle or not (C6). Nothing to do before the pool starts."""
        with self._pool_lock:
            pool = self._pool
        if pool is not None:
            pool.refresh_gallery()

    def close(self) -> None:
        """Stop the service's pulls and the workers, unlink the shared gallery (idempotent)."""
        self.pulls.stop_all()
        self._stop.set()
        with self._pool_lock:
            self._closed = True
            pool, self._pool = self._pool, None
        self.tracks.drop_cues(float("inf"))
        if pool is not None:
            pool.close()
            self.metrics.workers.set(0)
            atexit.unregister(self.close)

    def count_frame(self) -> int:
        """A running frame number (thread-safe under the GIL: itertools.count is atomic)."""
        return next(self._frames)

    @classmethod
    def build(cls, deps: Deps, settings: CaptureSettings, secret_key: str) -> CaptureRuntime:
        """Nothing starts here: no worker process, no thread (they start on the first frame)."""
        tracks = Tracks(timedelta(seconds=settings.track_gap_seconds),
                        settings.min_track_sightings, judge=lane_judge(deps.liveness),
                        rules=lane_rules(deps.liveness))
        workers = settings.workers if can_search_for(deps.engine, deps.face) else 0
        return cls(deps=deps, settings=settings, secret=secret_key.encode(), tracks=tracks,
                   workers=workers)

    def token_hash(self, token: str) -> str:
        """A keyed hash (HMAC-SHA256 under the installation secret): a leaked table does not
        let anyone test guessed tokens offline."""
        return keyed_hash(self.secret, "camera_token", token)

    @property
    def visit_window(self) -> timedelta:
        return timedelta(minutes=self.settings.visit_window_minutes)

    def parse_push(self, camera: Camera, content_type: str, body: bytes,
                   fallback_time: str | None) -> PushedCapture:
        """The body as the camera's profile reads it (`adapters/capture/vendors.py`)."""
        return parse_profile(camera.profile, content_type, body, fallback_time,
                             max_image_bytes=self.deps.face.max_image_bytes)

    def fetch_picture(self, camera: Camera, url: str) -> bytes:
        """A by-URL picture, from the camera's own host only (`camera_picture.py`)."""
        return camera_picture.fetch_picture(
            url, picture_host=camera.picture_host,
            credentials=camera_picture.open_credentials(self.secret, camera),
            timeout=self.settings.picture_fetch_timeout_seconds,
            max_bytes=self.deps.face.max_image_bytes)

    def seal_credentials(self, camera_id: str, username: str, password: str) -> str:
        return camera_picture.seal_credentials(self.secret, camera_id, username, password)
