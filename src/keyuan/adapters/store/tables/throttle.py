"""Throttle counts (`domain/throttle.py`): one row per bucket and fixed window. Keys hold kinds
and keyed hashes or random ids only, never a plain mobile number, address or username."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from keyuan.adapters.store.tables.base import metadata

throttle_counters = Table(
    "throttle_counters", metadata,
    Column("key", String(160), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),  # epoch seconds
    Column("hits", Integer, nullable=False),
    Column("expires", BigInteger, nullable=False),  # epoch seconds; purged after
    Index("ix_throttle_counters_expires", "expires"),
)
