"""Idempotency keys: the first answer to a money-changing POST, replayed for a retry that
sends the same `Idempotency-Key` (api/idempotency.py)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, LargeBinary, String, Table

from keyuan.adapters.store.tables.base import metadata
from keyuan.adapters.store.types import UTCDateTime

idempotency_keys = Table(
    "idempotency_keys", metadata,
    # scope: a keyed hash of the caller's credential, the method and the path, so one
    # client's key never replays another client's answer.
    Column("scope", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),  # NULL while the first request is still running
    Column("content_type", String(100)),
    Column("body", LargeBinary),
    Column("created_at", UTCDateTime, nullable=False, index=True),
)
