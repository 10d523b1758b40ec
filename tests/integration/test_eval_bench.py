"""The eval benchmark runs end to end on a few public photos and reports photos per second."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyuan.bench import eval as bench
from keyuan.config.face import FaceSettings


@pytest.mark.faces
@pytest.mark.slow
def test_eval_bench_reports_photos_per_second_against_raw_dlib(
    face_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "MAX_PHOTOS", 3)
    lines: list[str] = []
    results = bench.run_eval_bench(FaceSettings(), face_root, out=lines.append, workers=2)
    assert results["photos"] == 3
    for key in ("raw_photos_per_s", "eval_photos_per_s_one_core", "eval_run_cold_photos_per_s",
                "eval_run_warm_photos_per_s"):
        assert results[key] > 0
    assert results["eval_run_warm_photos_per_s"] > results["eval_run_cold_photos_per_s"]
    report = "\n".join(lines)
    assert "raw dlib" in report and "photos/s" in report


def test_eval_bench_without_the_face_set_says_so() -> None:
    lines: list[str] = []
    assert "skipped" in bench.run_eval_bench(FaceSettings(), None, out=lines.append)
    assert "absent" in lines[0]
