"""Row locks and named locks for check-then-act inside one unit of work, the same on both stores.

A status transition reads the row it decides on with `locked` (`SELECT … FOR UPDATE`): on
PostgreSQL a second transaction deciding the same row waits until the first commits and then
reads the new status, so the domain rule ("only a draft can be approved") refuses it. SQLite
has no row locks and needs none: every unit of work starts with `BEGIN IMMEDIATE` (one writer
at a time, `db._on_begin`), and SQLAlchemy's SQLite dialect drops `FOR UPDATE`.

`serialize_on` is for a decision about rows that may not exist yet (two signings of one buyer,
two statements of one channel): a transaction-scoped advisory lock on PostgreSQL, nothing on
SQLite for the same reason."""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

T = TypeVar("T")


def locked(session: Session, model: type[T], key: Any) -> T | None:
    """The row by primary key, locked until the transaction ends (re-read even if loaded).

    `FOR NO KEY UPDATE`, not `FOR UPDATE`: lockers of one row still queue, but a transaction
    that only references the row by foreign key (a visit of that person, a dispute of that
    statement: PostgreSQL takes `FOR KEY SHARE` for the check) does not wait for it, and two
    such transactions cannot deadlock on it. Primary keys never change here."""
    return session.get(model, key, with_for_update={"key_share": True},
                       populate_existing=True)


def serialize_on(session: Session, name: str) -> None:
    """Until this transaction ends, no other transaction passes `serialize_on` with `name`."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
