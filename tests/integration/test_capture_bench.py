"""The capture benchmark runs end to end and reports what the issue asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyuan.bench.capture import run_capture_bench

pytestmark = pytest.mark.slow


def test_capture_bench_reports_push_rate_against_raw_dlib_threads_and_workers(
    face_root: Path, tmp_path: Path,
) -> None:
    """With the public set's photos (no clip: a copy of the set without its video folder), the
    cameras push distinct photos of an enrolled person, which the lane takes as live."""
    (tmp_path / "identities").symlink_to(face_root / "identities")
    lines: list[str] = []
    results = run_capture_bench(tmp_path, out=lines.append, seconds=1.5, workers=2)
    assert results["push"]["faces_per_s"] > 0 and results["push"]["raw_dlib_faces_per_s"] > 0
    assert results["latency"]["visits"] >= 1 and results["latency"]["p99_s"] > 0
    assert "pull" not in results  # no clip given: nothing to pull
    assert any("raw dlib" in line for line in lines) and any("p99" in line for line in lines)
    assert results["threads"]["push"]["faces_per_s"] > 0  # in-process, for comparison
    assert results["workers"]["push"] == results["push"] and results["workers_vs_threads_push"] > 0
    assert any("workers vs threads" in line for line in lines)


def test_without_distinct_photos_the_bench_pushes_a_still_that_never_makes_a_visit() -> None:
    lines: list[str] = []
    results = run_capture_bench(None, out=lines.append, seconds=1.0, workers=0)
    assert results["push"]["faces_per_s"] > 0 and results["latency"] == {"visits": 0}
    assert any("never live" in line for line in lines)
