"""Cameras, their consented lanes and the camera gate. Pure rules: no I/O, time comes in as
arguments.

A camera covers one marked lane that visitors choose to walk through; the notice and the poster
say where it is and that the other way in (the alternative route) is not watched (C11). Both
texts are required to register or switch on a camera, are part of what the impact assessment
covers, and the office confirms both on the spot before the camera's gate opens; changing
either text withdraws that confirmation."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from keyuan.domain.capture.errors import (
    CameraDisabled,
    CameraLaneMissing,
    CameraLaneNotConfirmed,
    CameraLaneRequired,
    CameraProfileInvalid,
    CaptureTimeInvalid,
    SignageNotConfirmed,
)

TOKEN_BYTES = 32
LANE_MAX_CHARS = 200
PICTURE_HOST_MAX_CHARS = 255
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))(?::(\d{1,5}))?")


class CameraProfile(StrEnum):
    """What a camera's pushes look like (`adapters/capture/vendors.py`; README "Cameras")."""

    STANDARD = "standard"
    """A JPEG body, or a multipart event with one JSON/XML part and an inline JPEG part."""
    GENERIC_JSON = "generic-json"
    """`application/json` with the picture as base64 in `image` (a data-URL prefix is fine)."""
    HIKVISION_ISAPI = "hikvision-isapi"
    """Hikvision ISAPI `faceCapture` events: multipart with the EventNotificationAlert (XML or
    JSON) and the picture inline, or by URL fetched from the camera (HTTP digest auth)."""
    DAHUA = "dahua"
    """Dahua face-detection events: multipart with the `Events[0].…=…` text part and the JPEG."""


def camera_profile(raw: str) -> CameraProfile:
    """The profile named `raw`, or `CameraProfileInvalid` (422) listing the known ones."""
    try:
        return CameraProfile(raw.strip().lower())
    except ValueError:
        raise CameraProfileInvalid(f"Unknown camera profile {raw[:40]!r}.", reason="profile",
                                   known=[p.value for p in CameraProfile]) from None


def picture_host(raw: str | None) -> str:
    """The camera's own LAN address (`host` or `host:port`, no scheme or path) that picture URLs
    in its events must point at; "" = none (by-URL pictures are then refused)."""
    text = (raw or "").strip().lower()
    if not text:
        return ""
    match = _HOST.fullmatch(text)
    if (len(text) > PICTURE_HOST_MAX_CHARS or match is None
            or (match.group(1) is not None and not 0 < int(match.group(1)) < 65536)):
        raise CameraProfileInvalid("The picture host is the camera's address only: host or "
                                   "host:port (no scheme, no path).", reason="picture_host")
    return text


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
    lane: str = ""
    """Where the marked lane this camera covers is (what the notice and the poster say)."""
    alternative: str = ""
    """The other way in, which no camera watches."""
    lane_confirmed_at: datetime | None = None
    """When the office confirmed the lane and the alternative route on the spot (None: not yet,
    or a text changed since)."""
    lane_confirmed_by: str | None = None
    profile: CameraProfile = CameraProfile.STANDARD
    """How the camera's pushes are parsed."""
    picture_host: str = ""
    """The camera's LAN address: the only host a picture URL in its events may point at."""
    sealed_credentials: str | None = None
    """The camera's login for fetching pictures by URL, encrypted (never shown, never logged)."""

    @property
    def has_credentials(self) -> bool:
        return self.sealed_credentials is not None

    @property
    def has_lane(self) -> bool:
        return bool(self.lane.strip() and self.alternative.strip())

    @property
    def lane_confirmed(self) -> bool:
        return self.lane_confirmed_at is not None

    def with_lane(self, lane: str, alternative: str) -> Camera:
        """New lane texts (checked); a change withdraws the office's confirmation."""
        lane, alternative = lane_texts(lane, alternative)
        if (lane, alternative) == (self.lane, self.alternative):
            return self
        return replace(self, lane=lane, alternative=alternative, lane_confirmed_at=None,
                       lane_confirmed_by=None)

    def lane_facts(self) -> dict[str, str]:
        """What the impact assessment and the notice are bound to for this camera."""
        return {"camera": f"{self.office_id}/{self.id}", "name": self.name, "lane": self.lane,
                "alternative": self.alternative}


def lane_texts(lane: str, alternative: str) -> tuple[str, str]:
    """Both texts, stripped; either missing → `CameraLaneRequired` (422)."""
    lane, alternative = lane.strip(), alternative.strip()
    missing = [name for name, text in (("lane", lane), ("alternative", alternative)) if not text]
    if missing:
        raise CameraLaneRequired(missing=missing)
    too_long = [name for name, text in (("lane", lane), ("alternative", alternative))
                if len(text) > LANE_MAX_CHARS]
    if too_long:
        raise CameraLaneRequired(f"Lane texts are at most {LANE_MAX_CHARS} characters.",
                                 too_long=too_long)
    return lane, alternative


@dataclass(frozen=True)
class Signage:
    """The office confirmed its notice poster is printed and put up (a sign informs, it is
    never consent: C4)."""

    office_id: str
    confirmed_at: datetime
    confirmed_by: str


def require_ambient_allowed(camera: Camera, signage: Signage | None) -> None:
    """Off by default: a camera feeds the pipeline only while enabled, with the office's signage
    confirmed, and covering a lane (and its unwatched alternative) the office has confirmed.
    (The impact assessment is checked by the single face gate, Deps.face_engine.)"""
    if not camera.enabled:
        raise CameraDisabled()
    if signage is None:
        raise SignageNotConfirmed()
    if not camera.has_lane:
        raise CameraLaneMissing()
    if not camera.lane_confirmed:
        raise CameraLaneNotConfirmed()


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
