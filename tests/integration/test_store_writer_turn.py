"""SQLite's writers take turns inside the process (`adapters/store/db._WriterTurn`): parallel
units of work all commit, none sees "database is locked", and a failed unit of work gives the
turn back."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from keyuan.adapters.store.db import make_engine

THREADS, EACH = 8, 25


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}", vault_path=tmp_path / "v.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    return engine


def _read(db: Engine) -> int:
    with db.begin() as conn:
        return int(conn.execute(text("SELECT n FROM counter")).scalar_one())


def test_parallel_read_modify_writes_all_land(db: Engine) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(EACH):
                with db.begin() as conn:  # read, then write: a lost update if turns overlapped
                    n = conn.execute(text("SELECT n FROM counter")).scalar_one()
                    conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _read(db) == THREADS * EACH


def test_a_failed_unit_of_work_gives_the_turn_back(db: Engine) -> None:
    with pytest.raises(ZeroDivisionError), db.begin() as conn:
        conn.execute(text("UPDATE counter SET n = 99"))
        raise ZeroDivisionError
    done = threading.Event()

    def write() -> None:
        with db.begin() as conn:
            conn.execute(text("UPDATE counter SET n = n + 1"))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(timeout=10), "the next writer never got its turn"
    assert _read(db) == 1
