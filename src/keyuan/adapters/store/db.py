"""Engine construction: SQLite in WAL mode with the vault file attached, or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

from keyuan.adapters.store.tables.base import VAULT_SCHEMA


def make_engine(url: str, *, vault_path: Path | None) -> Engine:
    if url.startswith("sqlite"):
        if vault_path is None:
            raise ValueError("SQLite needs a vault file path")
        return _sqlite_engine(url, vault_path)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str, vault_path: Path) -> Engine:
    # NullPool: each unit of work gets its own connection, so ATTACH and pragmas are fresh
    # and nothing is shared across threads.
    engine = create_engine(
        url, poolclass=NullPool, connect_args={"timeout": 30, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (BEGIN IMMEDIATE below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"ATTACH DATABASE ? AS {VAULT_SCHEMA}", (str(vault_path),))
        cur.execute(f"PRAGMA {VAULT_SCHEMA}.journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # One writer at a time, taken at the start: no lock upgrade failures mid-transaction,
        # and the audit chain's next sequence number is read under the lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
