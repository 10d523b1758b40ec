"""Engine construction: SQLite in WAL mode with the vault file attached, or PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import QueuePool

from keyuan.adapters.store.tables.base import VAULT_SCHEMA
from keyuan.domain.bounds import has_control_characters
from keyuan.domain.errors import InvalidText, StoreUnavailable

BUSY_TIMEOUT_S = 30


def make_engine(url: str, *, vault_path: Path | None) -> Engine:
    if url.startswith("sqlite"):
        if vault_path is None:
            raise ValueError("SQLite needs a vault file path")
        engine = _sqlite_engine(url, vault_path)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "before_cursor_execute", _refuse_control_text)
    return engine


def _refuse_control_text(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, executemany: bool,
) -> None:
    # The schemas refuse control characters in every request body, path and query string; this
    # is the net under them (a form field, a CLI argument): PostgreSQL refuses U+0000 in text
    # with an error that would carry the other parameters, so both stores refuse it here first.
    for row in parameters if executemany else (parameters,):
        values = row.values() if isinstance(row, dict) else row or ()
        if any(isinstance(v, str) and has_control_characters(v) for v in values):
            raise InvalidText()


def vault_holds_templates(url: str, *, vault_path: Path) -> bool:
    """Whether the vault already holds sealed templates, read without creating or changing
    anything (no file, no table, no migration): `serve` checks this before it would write a new
    vault key over a lost one."""
    if url.startswith("sqlite"):
        if not vault_path.is_file():
            return False
        wal = vault_path.with_name(vault_path.name + "-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            return True  # committed pages not yet in the file: read as "holds templates"
        # immutable: no -wal or -shm file is created just to look
        uri = f"{vault_path.as_uri()}?mode=ro&immutable=1"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            try:
                return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM templates)").fetchone()[0])
            except sqlite3.OperationalError:  # no templates table yet: a new vault
                return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.scalar(text(f"SELECT to_regclass('{VAULT_SCHEMA}.templates')")) is None:
                return False
            query = f"SELECT EXISTS (SELECT 1 FROM {VAULT_SCHEMA}.templates)"
            return bool(conn.scalar(text(query)))
    except OperationalError as exc:
        raise StoreUnavailable() from exc
    finally:
        engine.dispose()


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
