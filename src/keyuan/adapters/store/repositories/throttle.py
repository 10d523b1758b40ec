"""Throttle counts inside a unit of work (`uow.throttle`): each call is one statement, atomic on
its row on SQLite and PostgreSQL alike (an upsert with a condition, no read-then-write)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from keyuan.adapters.store.tables.throttle import throttle_counters as t


class ThrottleCounters:
    def __init__(self, session: Session) -> None:
        self.session = session

    def hits(self, key: str, window_start: int) -> int:
        found = self.session.execute(select(t.c.hits).where(
            t.c.key == key, t.c.window_start == window_start)).scalar()
        return int(found or 0)

    def take(self, key: str, window_start: int, *, allowance: int, expires: int) -> bool:
        if allowance <= 0:
            return False
        insert: Any = (postgresql.insert if self._dialect == "postgresql" else sqlite.insert)
        statement = insert(t).values(key=key, window_start=window_start, hits=1, expires=expires)
        statement = statement.on_conflict_do_update(
            index_elements=[t.c.key, t.c.window_start], set_={"hits": t.c.hits + 1},
            where=t.c.hits < allowance,
        ).returning(t.c.hits)
        return self.session.execute(statement).first() is not None

    def give_back(self, key: str, window_start: int) -> None:
        self.session.execute(update(t).where(
            t.c.key == key, t.c.window_start == window_start, t.c.hits > 0,
        ).values(hits=t.c.hits - 1))

    def clear(self, key: str) -> None:
        self.session.execute(delete(t).where(t.c.key == key))

    def purge(self, before: int) -> int:
        result: Any = self.session.execute(delete(t).where(t.c.expires < before))
        return int(result.rowcount or 0)

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name
