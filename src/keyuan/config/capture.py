"""Capture settings (`KEYUAN_CAPTURE__<FIELD>`)."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field


def default_workers() -> int:
    return min(2, os.cpu_count() or 1)


class CaptureSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    visit_window_minutes: int = Field(
        120, ge=1, le=24 * 60,
        description="One camera visit per person per office within this window (default 2 h).",
    )
    track_gap_seconds: float = Field(
        30.0, gt=0, le=600,
        description="Sightings of one matched person on one camera this close form one track.",
    )
    min_track_sightings: int = Field(
        2, ge=2, le=20, description="Agreeing sightings of one track before a visit is recorded.",
    )
    max_clock_skew_seconds: int = Field(
        300, ge=0, le=3600, description="Capture times further in the future are refused.",
    )
    max_capture_age_hours: int = Field(
        24, ge=1, le=72, description="Capture times older than this are refused (stale uploads).",
    )
    max_in_flight: int = Field(
        8, ge=1, le=256,
        description="Pushes processed at once; beyond it the API answers 503 at once, never waits.",
    )
    pull_queue_frames: int = Field(
        4, ge=1, le=256, description="Pulled frames waiting for the engine; the oldest drop first.",
    )
    workers: int = Field(
        default_factory=default_workers, ge=0, le=64,
        description="Worker processes for decode/detect/embed/1:N, each with its own dlib models "
                    "and the gallery shared in memory (default min(2, CPUs)); 0 = in-process "
                    "threads (also used whenever the engine is not dlib, e.g. tests' fake).",
    )
    picture_fetch_timeout_seconds: float = Field(
        5.0, gt=0, le=60,
        description="Connect/read timeout for pictures fetched by URL from a camera (Hikvision "
                    "ISAPI events with pictures by URL); twice this bounds the whole fetch.",
    )
