"""`keyuan bench load` at a small size: a live server process, real HTTP, the figures printed
for each store (PostgreSQL where it answers)."""

from __future__ import annotations

import pytest

from keyuan.bench.load import run_load_bench

pytestmark = pytest.mark.slow


def test_the_load_bench_drives_a_live_server_and_prints_its_figures() -> None:
    lines: list[str] = []
    results = run_load_bench(clients=2, seconds=2, stores=["sqlite", "postgresql"],
                             out=lines.append)
    sqlite = next(r for r in results if r.store == "sqlite")
    assert sum(sqlite.errors.values()) == 0, sqlite.errors
    assert all(sqlite.latencies[kind] for kind in ("session", "code", "check_in",
                                                     "registration"))
    assert any(line.startswith("sqlite ") for line in lines)
    assert any(line.startswith("check_in") for line in lines)
    if len(results) == 2:
        assert sum(results[1].errors.values()) == 0, results[1].errors
