"""`keyuan bench liveness` on two sequences of the public set: both sides timed on the same
frames and reported as a ratio (no timed assertion); absent data is a clear skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyuan.bench.liveness import run_liveness_bench
from keyuan.config.face import FaceSettings
from keyuan.config.liveness import LivenessSettings


@pytest.mark.faces
@pytest.mark.slow
def test_liveness_bench_reports_its_cost_as_a_ratio_of_the_face_work(face_root: Path) -> None:
    lines: list[str] = []
    results = run_liveness_bench(FaceSettings(), LivenessSettings(), face_root,
                                 out=lines.append, max_sequences=2)
    assert results["sequences"] == 2 and results["frames_per_sequence"] == 3
    assert results["face_work_ms"] > 0 and results["liveness_ms"] > 0
    assert results["ratio"] == pytest.approx(results["liveness_ms"] / results["face_work_ms"])
    assert "ratio" in lines[-1]


def test_liveness_bench_without_the_public_set_says_so() -> None:
    lines: list[str] = []
    assert "skipped" in run_liveness_bench(FaceSettings(), LivenessSettings(), None,
                                           out=lines.append)
    assert "absent" in lines[0]
