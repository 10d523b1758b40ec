"""Cameras and the ambient-recognition gate. Pure rules: no I/O, time comes in as arguments."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from keyuan.domain.capture.errors import CameraDisabled, CaptureTimeInvalid, SignageNotConfirmed

TOKEN_BYTES = 32


def new_camera_id() -> str:
    return "cam_" + secrets.token_hex(8)


def new_token() -> str:
    """256 random bits, shown once when the camera is registered; only a keyed hash is stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True)
class Camera:
    id: str
    office_id: str
    name: str
    token_hash: str
    enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class Signage:
    """The office confirmed its notice poster is printed and put up (a sign informs, it is
    never consent: C4)."""

    office_id: str
    confirmed_at: datetime
    confirmed_by: str


def require_ambient_allowed(camera: Camera, signage: Signage | None) -> None:
    """Off by default: a camera feeds the pipeline only while enabled and the office's signage
    is confirmed. (The impact assessment is checked by the single face gate, Deps.face_engine.)"""
    if not camera.enabled:
        raise CameraDisabled()
    if signage is None:
        raise SignageNotConfirmed()


def check_capture_time(
    captured_at: datetime, now: datetime, *, max_skew: timedelta, max_age: timedelta,
) -> None:
    """Refuse future and stale capture times with the reason (422)."""
    if captured_at.tzinfo is None:
        raise CaptureTimeInvalid("The capture time must carry a time zone (e.g. +08:00 or Z).",
                                 reason="no_timezone")
    if captured_at > now + max_skew:
        raise CaptureTimeInvalid("The capture time is in the future; check the camera's clock.",
                                 reason="future", captured_at=captured_at.isoformat())
    if captured_at < now - max_age:
        raise CaptureTimeInvalid(
            f"The capture time is older than {max_age.total_seconds() / 3600:.0f} h; "
            "stale uploads are refused.", reason="too_old", captured_at=captured_at.isoformat())
