"""The capture benchmark runs end to end and reports what the issue asks for."""

from __future__ import annotations

import pytest

from keyuan.bench.capture import run_capture_bench

pytestmark = pytest.mark.slow


def test_capture_bench_reports_push_rate_against_raw_dlib_threads_and_workers() -> None:
    lines: list[str] = []
    results = run_capture_bench(None, out=lines.append, seconds=1.5, workers=2)
    assert results["push"]["faces_per_s"] > 0 and results["push"]["raw_dlib_faces_per_s"] > 0
    assert results["latency"]["visits"] >= 1 and results["latency"]["p99_s"] > 0
    assert "pull" not in results  # no face set given: no clip to pull
    assert any("raw dlib" in line for line in lines) and any("p99" in line for line in lines)
    assert results["threads"]["push"]["faces_per_s"] > 0  # in-process, for comparison
    assert results["workers"]["push"] == results["push"] and results["workers_vs_threads_push"] > 0
    assert any("workers vs threads" in line for line in lines)
