"""Per-app state of the capture pipeline, wired once from settings and the app's `Deps`."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from keyuan.capture.metrics import CaptureMetrics
from keyuan.capture.settings import CaptureSettings
from keyuan.capture.tracks import Tracks
from keyuan.services.ports import Deps


@dataclass
class CaptureRuntime:
    deps: Deps
    settings: CaptureSettings
    secret: bytes
    tracks: Tracks
    metrics: CaptureMetrics = field(default_factory=CaptureMetrics)
    slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(self.settings.max_in_flight)
        self._frames = itertools.count(1)

    def count_frame(self) -> int:
        """A running frame number (thread-safe under the GIL: itertools.count is atomic)."""
        return next(self._frames)

    @classmethod
    def build(cls, deps: Deps, settings: CaptureSettings, secret_key: str) -> CaptureRuntime:
        tracks = Tracks(timedelta(seconds=settings.track_gap_seconds),
                        settings.min_track_sightings)
        return cls(deps=deps, settings=settings, secret=secret_key.encode(), tracks=tracks)

    def token_hash(self, token: str) -> str:
        """A keyed hash (HMAC-SHA256 under the installation secret): a leaked table does not
        let anyone test guessed tokens offline."""
        return hmac.new(self.secret, f"camera_token:{token}".encode(), hashlib.sha256).hexdigest()

    @property
    def visit_window(self) -> timedelta:
        return timedelta(minutes=self.settings.visit_window_minutes)
