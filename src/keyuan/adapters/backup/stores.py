"""Consistent copies of the two stores, and putting one back.

SQLite: the main file and the vault file are copied with SQLite's online backup API
(`sqlite3.Connection.backup`) into memory, inside one `BEGIN IMMEDIATE` that spans both
(the vault is attached): a running `serve` keeps reading, its writers wait the moment the copy
takes, and no transaction is half in one file and half in the other. The copies are serialised
from memory into the archive; no plaintext copy touches the disk.

PostgreSQL: one REPEATABLE READ transaction exports its snapshot; the row counts and the audit
head for the manifest are read in it, and `pg_dump --format=custom --snapshot=…` dumps the same
snapshot (the `public` and `vault` schemas) straight into the archive. A restore replays the dump
with `pg_restore` into `psql --single-transaction`, after dropping both schemas: it replaces the
store whole or changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from keyuan.adapters.store.tables.base import VAULT_SCHEMA
from keyuan.domain.errors import BackupFailed, StoreUnavailable

SKIPPED_TABLES = frozenset({"alembic_version", f"{VAULT_SCHEMA}.gallery_version"})
"""Not office data: a fresh store already has rows here (what `empty` ignores)."""


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    """Rows per table (`name` in the main store, `vault.name` in the vault)."""
    audit_head: tuple[int, str]
    """(seq, hash) of the last audit entry; (0, "") for an empty log."""
    vault_key_ids: list[str]
    """The key ids the templates were sealed with (one, unless something is wrong)."""


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupFailed("The SQLite URL names no file.")
    return Path(database)


def _facts_sqlite(main: sqlite3.Connection, vault: sqlite3.Connection) -> Snapshot:
    counts: dict[str, int] = {}
    for prefix, conn in (("", main), (f"{VAULT_SCHEMA}.", vault)):
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for table in sorted(tables):
            counts[prefix + table] = int(conn.execute(f'SELECT count(*) FROM "{table}"')
                                         .fetchone()[0])
    head = main.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    key_ids = [row[0] for row in vault.execute("SELECT DISTINCT key_id FROM templates")]
    return Snapshot(counts=counts, audit_head=(int(head[0]), str(head[1])) if head else (0, ""),
                    vault_key_ids=sorted(key_ids))


@contextmanager
def sqlite_snapshot(url: str, vault_path: Path) -> Iterator[tuple[Snapshot, bytes, bytes]]:
    """(facts, main file bytes, vault file bytes) of one consistent moment of a live store."""
    main_path = sqlite_path(url)
    for path in (main_path, vault_path):
        if not path.is_file():
            raise BackupFailed(f"There is no store at {path}: nothing to back up.")
    with closing(_attached(main_path, vault_path)) as writer, \
            closing(_attached(main_path, vault_path)) as source, \
            closing(sqlite3.connect(":memory:")) as main_copy, \
            closing(sqlite3.connect(":memory:")) as vault_copy:
        # `writer` holds the write lock of both files (BEGIN IMMEDIATE spans every attached
        # database), so no transaction commits while `source` copies them: one moment of both.
        # (The backup API refuses to read through the connection that holds the lock.)
        writer.execute("BEGIN IMMEDIATE")
        try:
            source.backup(main_copy, name="main")
            source.backup(vault_copy, name=VAULT_SCHEMA)
        finally:
            writer.execute("ROLLBACK")
        facts = _facts_sqlite(main_copy, vault_copy)
        yield facts, main_copy.serialize(), vault_copy.serialize()


def _attached(main_path: Path, vault_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{main_path.resolve().as_uri()}?mode=rw", uri=True,
                           isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute(f"ATTACH DATABASE ? AS {VAULT_SCHEMA}",
                 (f"{vault_path.resolve().as_uri()}?mode=rw",))
    return conn


def sqlite_facts(main_path: Path, vault_path: Path) -> Snapshot:
    """The same facts of store files at rest (a restored or staged store)."""
    with closing(sqlite3.connect(f"{main_path.resolve().as_uri()}?mode=ro", uri=True)) as main, \
            closing(sqlite3.connect(f"{vault_path.resolve().as_uri()}?mode=ro", uri=True)) as vault:
        return _facts_sqlite(main, vault)


def sqlite_intact(path: Path) -> bool:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        return bool(conn.execute("PRAGMA quick_check").fetchone()[0] == "ok")


def sqlite_empty(url: str, vault_path: Path) -> bool:
    """No office data in the files (absent, or only what a fresh store holds)."""
    main_path = sqlite_path(url)
    if not main_path.is_file() or not vault_path.is_file():
        return not (main_path.is_file() and main_path.stat().st_size) and not (
            vault_path.is_file() and vault_path.stat().st_size)
    try:
        facts = sqlite_facts(main_path, vault_path)
    except sqlite3.DatabaseError:
        return False  # something is there, but not a store we can read: not ours to overwrite
    return not any(n for table, n in facts.counts.items() if table not in SKIPPED_TABLES)


# --- PostgreSQL ----------------------------------------------------------------------------

def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore/psql: the URL without its password, which
    goes in PGPASSWORD (never on a command line another user could read in `ps`)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return ["--dbname", plain.render_as_string(hide_password=False)], env


def _facts_postgres(conn: Connection) -> Snapshot:
    counts: dict[str, int] = {}
    rows = conn.execute(text(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('public', :vault) AND table_type = 'BASE TABLE'"),
        {"vault": VAULT_SCHEMA}).all()
    for schema, table in sorted(rows):
        name = table if schema == "public" else f"{schema}.{table}"
        counts[name] = int(conn.scalar(text(f'SELECT count(*) FROM "{schema}"."{table}"')) or 0)
    head = conn.execute(text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
                        ).first() if "audit_events" in counts else None
    key_ids = list(conn.scalars(text(f"SELECT DISTINCT key_id FROM {VAULT_SCHEMA}.templates"))
                   ) if f"{VAULT_SCHEMA}.templates" in counts else []
    return Snapshot(counts=counts, audit_head=(int(head[0]), str(head[1])) if head else (0, ""),
                    vault_key_ids=sorted(map(str, key_ids)))


@contextmanager
def postgres_snapshot(url: str) -> Iterator[tuple[Snapshot, IO[bytes]]]:
    """(facts, the stream of `pg_dump --format=custom` of the same snapshot)."""
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        try:
            conn = engine.connect()
        except OperationalError as exc:
            raise StoreUnavailable() from exc
        with conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot_id = str(conn.scalar(text("SELECT pg_export_snapshot()")))
            facts = _facts_postgres(conn)
            args, env = _libpq(url)
            with subprocess.Popen(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot_id}", *args],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as dump:
                assert dump.stdout is not None
                yield facts, dump.stdout
                dump.stdout.read()
                errors = dump.stderr.read() if dump.stderr else b""
                if dump.wait() != 0:
                    raise BackupFailed("pg_dump failed: " + _first_line(errors))
            conn.rollback()
    finally:
        engine.dispose()


def postgres_facts(url: str) -> Snapshot:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return _facts_postgres(conn)
    except OperationalError as exc:  # the database is down or refuses us: one line, no SQL
        raise StoreUnavailable() from exc
    finally:
        engine.dispose()


def postgres_empty(url: str) -> bool:
    facts = postgres_facts(url)
    return not any(n for table, n in facts.counts.items() if table not in SKIPPED_TABLES)


def postgres_restore(url: str, dump: Path, workdir: Path) -> None:
    """Replace the `public` and `vault` schemas with the dump, in one transaction."""
    prelude = workdir / "prelude.sql"
    prelude.write_text(f"DROP SCHEMA IF EXISTS {VAULT_SCHEMA} CASCADE;\n"
                       "DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
    args, env = _libpq(url)
    script = workdir / "restore.sql"  # in the caller's 0700 directory, removed with it
    made = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", f"--file={script}",
                           str(dump)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=env, check=False)
    if made.returncode != 0:
        raise BackupFailed("pg_restore failed (nothing was changed): "
                           + _first_line(made.stderr))
    applied = subprocess.run(
        ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
         f"--file={prelude}", f"--file={script}", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
        check=False)
    if applied.returncode != 0:
        raise BackupFailed("psql failed (nothing was changed): " + _first_line(applied.stderr))


def _first_line(output: bytes) -> str:
    lines = output.decode("utf-8", "replace").strip().splitlines()
    return lines[0][:200] if lines else "no message"
