"""The engine benchmark runs end to end (with tiny round counts) and reports every step."""

from __future__ import annotations

import math

import pytest

from keyuan.bench import engine as bench
from keyuan.config.face import FaceSettings


def test_engine_bench_reports_every_step_against_its_raw_reference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench, "ROUNDS", dict.fromkeys(bench.ROUNDS, 1))
    monkeypatch.setattr(bench, "GALLERY_SIZES", (2_000,))
    lines: list[str] = []

    results = bench.run_engine_bench(FaceSettings(), None, out=lines.append)

    assert results["source"] == "skimage.data.astronaut()"
    assert results["frames"] == 4
    for step in ("detect", "embed", "sample", "enroll"):
        stats = results[step]
        assert stats["raw_ms"] > 0 and stats["pipeline_ms"] > 0
        assert math.isfinite(stats["overhead_pct"])
    assert results["search"][2_000]["build_ms"] >= 0
    report = "\n".join(lines)
    for label in ("detection / frame", "embedding / face", "enrollment, 3 JPEG frames",
                  "1:N search over 2,000", "overhead"):
        assert label in report
