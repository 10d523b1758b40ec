"""Idempotency keys inside a unit of work (`uow.idempotency`): Core rows, no ORM mapping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from keyuan.adapters.store.tables.idempotency import idempotency_keys as t
from keyuan.services.ports import IdempotencyRecord


class IdempotencyKeyRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, scope: str, key: str, request_hash: str, at: datetime, *,
              stale_before: datetime) -> IdempotencyRecord | None:
        self.session.execute(delete(t).where(
            t.c.scope == scope, t.c.key == key, t.c.status_code.is_(None),
            t.c.created_at < stale_before))
        # INSERT … ON CONFLICT DO NOTHING: exactly one claimant inserts; on PostgreSQL the
        # others wait for its commit and then read its row.
        insert_of = pg_insert if self.session.get_bind().dialect.name == "postgresql" \
            else sqlite_insert
        inserted = self.session.execute(insert_of(t).values(
            scope=scope, key=key, request_hash=request_hash, created_at=at,
        ).on_conflict_do_nothing(index_elements=["scope", "key"]).returning(t.c.key))
        if inserted.first() is not None:
            return None
        row = self.session.execute(select(t.c.request_hash, t.c.status_code, t.c.content_type,
                                          t.c.body).where(t.c.scope == scope, t.c.key == key)
                                   ).first()
        if row is None:  # released between the insert and this read: claim again
            return self.claim(scope, key, request_hash, at, stale_before=stale_before)
        return IdempotencyRecord(row.request_hash, row.status_code, row.content_type,
                                 bytes(row.body or b""))

    def finish(self, scope: str, key: str, answer: IdempotencyRecord) -> None:
        self.session.execute(update(t).where(t.c.scope == scope, t.c.key == key).values(
            status_code=answer.status_code, content_type=answer.content_type, body=answer.body))

    def release(self, scope: str, key: str) -> None:
        self.session.execute(delete(t).where(t.c.scope == scope, t.c.key == key))

    def purge(self, before: datetime) -> None:
        self.session.execute(delete(t).where(t.c.created_at < before))
