"""PostgreSQL for every tier (tests/integration's fixtures wrap these): the first admin URL that
answers at 127.0.0.1:5432, and throwaway databases dropped afterwards: empty ones
(`fresh_database`, for the migrations' own tests) or ones already at the head migration
(`migrated_database`, copied by PostgreSQL from a template migrated once per test process)."""

from __future__ import annotations

import atexit
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_HOST = "127.0.0.1:5432"
PG_ADMIN_URLS = (
    f"postgresql+psycopg://root@{PG_HOST}/test",
    f"postgresql+psycopg://postgres@{PG_HOST}/test",
)
CONNECT_TIMEOUT_S = 2
_templates: dict[str, str] = {}  # admin URL -> the migrated template database's name


def admin_url() -> str:
    """The first admin URL that answers; otherwise skip the test with the reasons."""
    reasons = []
    for url in PG_ADMIN_URLS:
        engine = create_engine(url, isolation_level="AUTOCOMMIT",
                               connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return url
        except Exception as exc:  # any failure means "no usable server"
            first_line = (str(exc).splitlines() or [""])[0]
            reasons.append(f"{make_url(url).username}: {type(exc).__name__}: {first_line}")
        finally:
            engine.dispose()
    pytest.skip(f"PostgreSQL at {PG_HOST} did not answer ({'; '.join(reasons)[:400]})")


@contextmanager
def fresh_database(admin: str, prefix: str = "keyuan_test") -> Iterator[str]:
    """A new, uniquely named database's URL; dropped (WITH (FORCE)) on exit."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _migrated_template(admin: str, prefix: str) -> str:
    """A database at the head migration to copy from, made once per process and admin URL,
    marked a template and dropped when the process exits."""
    if admin not in _templates:
        from keyuan.adapters.store import migrate
        from keyuan.adapters.store.db import make_engine

        name = f"{prefix}_template_{secrets.token_hex(6)}"
        run_admin(admin, f'CREATE DATABASE "{name}"')
        _templates[admin] = name
        engine = make_engine(make_url(admin).set(database=name).render_as_string(
            hide_password=False), vault_path=None)
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()  # CREATE DATABASE ... TEMPLATE needs nobody connected to it
    return _templates[admin]


@atexit.register
def drop_templates() -> None:
    """Drop this process's templates (at the end of the test session, or at exit)."""
    while _templates:
        admin, name = _templates.popitem()
        run_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_database(admin: str, prefix: str = "keyuan_test") -> Iterator[str]:
    """A new, uniquely named database at the head migration (schema, no rows but what the
    migrations write), copied from this process's template; dropped (WITH (FORCE)) on exit."""
    template = _migrated_template(admin, prefix)
    name = f"{prefix}_{secrets.token_hex(6)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def run_admin(admin: str, *statements: str) -> None:
    """Run statements as the admin (AUTOCOMMIT): e.g. to take a database away from its app."""
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
