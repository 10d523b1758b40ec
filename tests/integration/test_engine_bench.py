"""The engine benchmark runs end to end (with tiny round counts) and reports raw dlib, the dlib
engine and the SFace engine side by side, and detection recall per detector."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from keyuan.bench import engine as bench
from keyuan.config.face import FaceSettings

STEPS = ("detect", "embed", "sample", "enroll")


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "ROUNDS", dict.fromkeys(bench.ROUNDS, 1))
    monkeypatch.setattr(bench, "GALLERY_SIZES", (2_000,))


@pytest.mark.usefixtures("tiny")
def test_engine_bench_times_both_engines_against_raw_dlib_in_one_run() -> None:
    lines: list[str] = []

    results = bench.run_engine_bench(FaceSettings(), None, out=lines.append)

    assert results["source"] == "skimage.data.astronaut()"
    assert results["frames"] == 4
    assert results["models"]["dlib"].startswith("dlib:")
    assert results["models"]["sface"].startswith("sface:")
    for step in STEPS:
        stats = results[step]
        for side in ("raw dlib", "dlib", "sface"):
            assert stats[f"{side}_ms"] > 0
        assert math.isfinite(stats["ratio_dlib"]) and math.isfinite(stats["ratio_sface"])
    assert results["recall"] == {}  # no labelled scenes without the public set
    assert results["search"][2_000]["build_ms"] >= 0
    report = "\n".join(lines)
    for label in ("detection / 640x480 frame", "embedding / face", "full sample",
                  "enrollment, 3 JPEG frames", "1:N search over 2,000", "raw dlib",
                  "dlib engine", "sface engine", "detection recall"):
        assert label in report


@pytest.mark.faces
@pytest.mark.slow
@pytest.mark.usefixtures("tiny")
def test_engine_bench_measures_detection_recall_per_detector(face_root: Path) -> None:
    lines: list[str] = []

    recall = bench.run_engine_bench(FaceSettings(), face_root, out=lines.append)["recall"]

    assert set(recall) == {"HOG, upsample 0", "HOG, upsample 1", "YuNet"}
    assert all(r["labelled"] == 43 for r in recall.values())
    # Measured: HOG without upsampling finds only the faces of >= ~80 px (11); YuNet all 43.
    assert recall["YuNet"]["found"] > recall["HOG, upsample 0"]["found"]
    assert recall["YuNet"]["false_boxes"] == 0
    assert sum("detection recall, YuNet" in line for line in lines) == 1
