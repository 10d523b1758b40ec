"""Capture wire shapes: cameras, signage, pushes and pulls. Counts only: nothing about a face."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Input
from keyuan.domain.capture.cameras import CameraProfile


class CapturePublic(BaseModel):
    """Acknowledged = handled and stored: any visit due is committed before this is sent."""

    faces: int
    matched: int
    needs_review: int
    unmatched: int
    low_quality: int
    not_live: int = Field(0, description="Matched faces whose track had enough sightings but "
                          "did not look like a live person (a photo held up or pushed again): "
                          "no visit")
    visits_recorded: int


class CameraPublic(BaseModel):
    """A camera as staff see it: never its token, never the token's hash."""

    id: str
    office_id: str
    name: str
    enabled: bool
    created_at: datetime
    lane: str = Field(description="Where the marked lane the camera covers is")
    alternative: str = Field(description="The other way in, which no camera watches")
    lane_confirmed_at: datetime | None = Field(
        description="When the office confirmed the lane and the alternative (null: not yet, or "
                    "a text changed since; the camera does not run)")
    lane_confirmed_by: str | None
    profile: CameraProfile = Field(description="How the camera's pushes are parsed")
    picture_host: str = Field(description="The camera's LAN address, the only host its picture "
                                          "URLs may name (\"\": pictures by URL refused)")
    has_login: bool = Field(description="Whether a login for fetching its pictures is stored "
                                        "(the login itself is never returned)")


class CameraList(BaseModel):
    office_id: str
    signage_confirmed_at: datetime | None
    cameras: list[CameraPublic]


class LaneIn(Input):
    lane: str = Field(min_length=1, max_length=200,
                      description="Where the marked lane the camera covers is (C11)")
    alternative: str = Field(min_length=1, max_length=200,
                             description="The other way in, which no camera watches")


class NewCameraIn(LaneIn):
    name: str = Field(min_length=1, max_length=100)
    profile: CameraProfile = Field(CameraProfile.STANDARD,
                                   description="How its pushes are parsed (README, Cameras)")


class ProfileIn(Input):
    profile: CameraProfile
    picture_host: str | None = Field(None, max_length=255,
                                     description="The camera's address (host or host:port); "
                                                 "null keeps it, \"\" removes it")
    username: str | None = Field(None, min_length=1, max_length=64)
    password: str | None = Field(None, min_length=1, max_length=128,
                                 description="With username: stored sealed, never returned")
    clear_login: bool = False


class NewCameraOut(CameraPublic):
    token: str = Field(description="Shown once: configure it on the camera now; only a keyed "
                                   "hash is kept, so a lost token means a new camera.")


class SwitchIn(Input):
    enabled: bool


class SignageOut(BaseModel):
    office_id: str
    confirmed_at: datetime
    confirmed_by: str


class PullIn(Input):
    source: str = Field(min_length=1, max_length=2000,
                        description="A live stream only: rtsp://… or rtsps://…, an http(s) MJPEG "
                                    "stream, or a capture device index; files and recorded "
                                    "footage are refused (422 capture_source_not_live, C13)")
    fps: float = Field(2.0, ge=0.1, le=30.0, description="Frames sampled per second")


class PullOut(BaseModel):
    """A pull the service runs; the stream URL is shown without its user:password."""

    camera_id: str
    source: str
    fps: float
    started_at: datetime
    finished_at: datetime | None
    running: bool
    frames: int
    dropped: int
    faces: int
    matched: int
    visits_recorded: int
    error: str | None
