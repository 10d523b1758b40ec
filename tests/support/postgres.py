"""PostgreSQL for every tier (tests/integration's fixtures wrap these): the first admin URL that
answers at 127.0.0.1:5432, and throwaway databases dropped afterwards."""

from __future__ import annotations

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


def run_admin(admin: str, *statements: str) -> None:
    """Run statements as the admin (AUTOCOMMIT): e.g. to take a database away from its app."""
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
