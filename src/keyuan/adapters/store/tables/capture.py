"""Capture tables: cameras (token stored only as a keyed hash), each office's confirmed signage,
and the anonymous per-hour counts of faces not matched (C11: no row about any such face)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text

from keyuan.adapters.store.tables.base import metadata
from keyuan.adapters.store.types import UTCDateTime

cameras = Table(
    "cameras", metadata,
    Column("id", String(32), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    # the marked lane the camera covers and the unwatched way in (C11); "" on cameras registered
    # before lanes existed: such a camera's gate stays closed until both are set and confirmed
    Column("lane", String(200), nullable=False, default="", server_default=""),
    Column("alternative", String(200), nullable=False, default="", server_default=""),
    Column("lane_confirmed_at", UTCDateTime, nullable=True),
    Column("lane_confirmed_by", String(64), nullable=True),
    # how its pushes are parsed (domain CameraProfile); the camera's own LAN address, the only
    # host picture URLs in its events may name; its login for those URLs, AES-GCM under a key
    # derived from the installation secret (never returned, never logged)
    Column("profile", String(32), nullable=False, default="standard", server_default="standard"),
    Column("picture_host", String(255), nullable=False, default="", server_default=""),
    Column("sealed_credentials", Text, nullable=True),
)

office_signage = Table(
    "office_signage", metadata,
    Column("office_id", ForeignKey("offices.id"), primary_key=True),
    Column("confirmed_at", UTCDateTime, nullable=False),
    Column("confirmed_by", String(64), nullable=False),
)

capture_hourly = Table(
    "capture_hourly", metadata,
    Column("camera_id", ForeignKey("cameras.id"), primary_key=True),
    Column("hour", UTCDateTime, primary_key=True),
    Column("unmatched", Integer, nullable=False, default=0),
    Column("needs_review", Integer, nullable=False, default=0),
)
