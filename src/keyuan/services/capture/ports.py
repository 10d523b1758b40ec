"""What the capture use cases need of the per-app capture runtime, as ports.

`FramePipeline` is the runtime seen from the services: the app's `Deps`, the capture settings,
the open tracks, the metrics, the push slots, and the face search (in this process or in worker
processes: the services cannot tell). The adapter (`adapters/capture/runtime.py`) satisfies it;
a unit test passes a fake. Metrics are structural, so Prometheus counters fit without the
services importing `prometheus_client`."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from keyuan.config.capture import CaptureSettings
from keyuan.domain.capture.cameras import Camera
from keyuan.domain.capture.tracks import Tracks
from keyuan.services.capture.faces import FrameData, FrameFaces
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.ports import Deps


@dataclass(frozen=True)
class PushedCapture:
    """One capture a camera pushed, parsed: the encoded image (decoded where the faces are
    searched) and when the camera took it."""

    image: bytes
    captured_at: datetime
    picture_url: str | None = None
    """Set (and `image` empty) when the event carries its picture by URL: the runtime fetches
    it from the camera's own host (`FramePipeline.fetch_picture`) once the time is checked."""


class Count(Protocol):
    """A counter (or a gauge going up)."""

    def inc(self, amount: float = 1) -> None: ...


class Level(Count, Protocol):
    """A gauge: goes up and down."""

    def dec(self, amount: float = 1) -> None: ...


class Timing(Protocol):
    """A histogram of seconds."""

    def observe(self, amount: float) -> None: ...


class CountBy(Protocol):
    """A counter with one label (`source` or `reason`)."""

    def labels(self, *values: str) -> Count: ...


class TimingBy(Protocol):
    """A histogram with one label (`source`)."""

    def labels(self, *values: str) -> Timing: ...


class PipelineMetrics(Protocol):
    """The numbers the pipeline keeps. Numbers only: a label MUST NOT name a person (C11)."""

    @property
    def frames_in(self) -> CountBy: ...
    @property
    def frames_dropped(self) -> CountBy: ...
    @property
    def frames_rejected(self) -> CountBy: ...
    @property
    def faces(self) -> Count: ...
    @property
    def faces_low_quality(self) -> Count: ...
    @property
    def matches(self) -> Count: ...
    @property
    def unmatched(self) -> Count: ...
    @property
    def needs_review(self) -> Count: ...
    @property
    def not_live(self) -> CountBy: ...
    @property
    def visits(self) -> Count: ...
    @property
    def in_flight(self) -> Level: ...
    @property
    def pulls(self) -> Level: ...
    @property
    def frame_seconds(self) -> TimingBy: ...
    @property
    def visit_seconds(self) -> Timing: ...


class FramePipeline(Protocol):
    """The per-app capture runtime, as the capture use cases (and the pulls) use it.

    - `find_faces` MUST return counts and the (pseudonym, distance) of matches only: an
      unmatched face's template MUST NOT outlive the call, nor be written anywhere (C11).
    - `parse_push` reads the body as the camera's profile says; it MUST raise
      `CaptureFormatInvalid`, `CapturePayloadInvalid` or `CaptureTimeInvalid` for a body it
      cannot use, and MUST NOT write the body anywhere (no spooled temp file).
    - `fetch_picture` MUST fetch only from the camera's own configured host (no other host, no
      redirect off it, http/https only), with a timeout and a byte cap, keep the picture in
      memory only and never log it, the URL or the camera's credentials.
    - `seal_credentials` encrypts the camera's login; nothing returns it in clear but the
      fetch.
    - `slots` bounds the pushes in flight; `count_frame` MUST be safe across threads.
    - `workers` is how many frames are searched at once by worker processes (0: in-process).
    """

    @property
    def deps(self) -> Deps: ...
    @property
    def settings(self) -> CaptureSettings: ...
    @property
    def tracks(self) -> Tracks: ...
    @property
    def metrics(self) -> PipelineMetrics: ...
    @property
    def slots(self) -> threading.Semaphore: ...
    @property
    def workers(self) -> int: ...
    @property
    def visit_window(self) -> timedelta: ...

    def find_faces(self, engine: FaceEngine, frame: FrameData) -> FrameFaces: ...

    def count_frame(self) -> int: ...

    def token_hash(self, token: str) -> str: ...

    def parse_push(self, camera: Camera, content_type: str, body: bytes,
                   fallback_time: str | None) -> PushedCapture: ...

    def fetch_picture(self, camera: Camera, url: str) -> bytes: ...

    def seal_credentials(self, camera_id: str, username: str, password: str) -> str: ...
