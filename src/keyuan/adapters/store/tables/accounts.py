"""Account tables: users (argon2 hashes only) and server-side sessions (SHA-256 of the token
only). Failed logins are counted by the throttle (`tables/throttle.py`)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table

from keyuan.adapters.store.tables.base import metadata
from keyuan.adapters.store.types import UTCDateTime

users = Table(
    "users", metadata,
    Column("id", String(24), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("channel_id", ForeignKey("channels.id"), index=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

account_sessions = Table(
    "account_sessions", metadata,
    Column("id", String(24), primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)
