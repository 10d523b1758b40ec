"""`run_attribution_bench` at a small size on each store: it seeds, adjudicates through the
signing desk's queries, and its plans show the indexes in use (SQLite always plans by index;
PostgreSQL's choice depends on table size, so only the full-size run is judged there)."""

from __future__ import annotations

from pathlib import Path

from keyuan.bench.attribution import run_attribution_bench


def test_the_attribution_bench_runs_and_reports_time_memory_and_plans(
    store_url: str, tmp_path: Path,
) -> None:
    lines: list[str] = []
    database_url = None if store_url.startswith("sqlite") else store_url

    result = run_attribution_bench(tmp_path / "bench", database_url=database_url, signings=200,
                                   visits=3_000, registrations=600, out=lines.append)

    assert result["signings"] == 200
    assert sum(result["outcomes"][k] for k in ("attributed", "natural")) == 200
    assert result["outcomes"]["attributed"] > 0 and result["outcomes"]["natural"] > 0
    assert result["adjudicate_s"] > 0 and result["peak_rss_mb"] > 0
    assert len(result["plans"]) == 5 and all(result["plans"].values())
    if result["store"] == "sqlite":
        for plan in result["plans"].values():
            assert "USING INDEX" in plan and "SCAN " not in plan.replace("SCAN buyer", ""), plan
    assert any(line.startswith("  adjudication:") for line in lines)
