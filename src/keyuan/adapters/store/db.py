"""Engine construction: SQLite in WAL mode with the vault file attached, or PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from keyuan.adapters.store.tables.base import VAULT_SCHEMA

BUSY_TIMEOUT_S = 30


def make_engine(url: str, *, vault_path: Path | None) -> Engine:
    if url.startswith("sqlite"):
        if vault_path is None:
            raise ValueError("SQLite needs a vault file path")
        return _sqlite_engine(url, vault_path)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str, vault_path: Path) -> Engine:
    # A pool: opening a connection (pragmas, ATTACH of the vault) for every unit of work cost
    # more than most units of work. A connection serves one thread at a time.
    engine = create_engine(
        url, poolclass=QueuePool, pool_size=8, max_overflow=56,
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (BEGIN IMMEDIATE below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute(f"ATTACH DATABASE ? AS {VAULT_SCHEMA}", (str(vault_path),))
        cur.execute(f"PRAGMA {VAULT_SCHEMA}.journal_mode=WAL")
        cur.close()

    writer = _WriterTurn()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # One writer at a time, taken at the start: no lock upgrade failures mid-transaction,
        # and the audit chain's next sequence number is read under the lock. Threads of this
        # process queue on `writer` first: a waiting thread then starts the moment the lock is
        # free, instead of sleeping in SQLite's busy handler (1 ms, 2 ms … 100 ms steps), which
        # is where the latency tail under concurrent requests came from. Other processes
        # (a separate capture pull, the CLI) still wait in the busy handler. The commit event
        # comes just before SQLite's COMMIT: the next writer may wait that long in SQLite.
        writer.take(conn)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writer.give(conn)
            raise

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        writer.give(conn)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        writer.give(conn)

    return engine


class _WriterTurn:
    """The in-process turn to write: held from BEGIN to COMMIT/ROLLBACK of one connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None

    def take(self, conn: Any) -> None:
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise TimeoutError("the database stayed busy for 30 s")
        self._holder = id(conn)

    def give(self, conn: Any) -> None:
        # COMMIT and ROLLBACK events can both follow one BEGIN (a failed commit); only the
        # connection holding the turn returns it, once.
        if self._holder == id(conn):
            self._holder = None
            self._lock.release()
