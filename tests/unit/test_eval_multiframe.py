"""Multi-frame probes on synthetic templates: which frames make a probe, how they are averaged
and weighted, and that every variant is measured on the same pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keyuan.config.face import FaceSettings
from keyuan.evaluation import multiframe
from keyuan.evaluation.faces import FaceRecord
from keyuan.evaluation.pairs import parse_csv_pairs
from keyuan.services.faces import probe
from keyuan.services.faces.engine import TEMPLATE_DIM

SETTINGS = FaceSettings()


def record(template: np.ndarray | None, score: float = 1.0, sharp: float = 500.0,
           px: float = 200.0) -> FaceRecord:
    return FaceRecord("ok" if template is not None else "no_face", "detected", "ok",
                      None if template is None else template.astype(np.float32), score, sharp,
                      px)


def test_the_mean_of_unit_templates_keeps_the_engines_scale() -> None:
    a, b = np.zeros(TEMPLATE_DIM), np.zeros(TEMPLATE_DIM)
    a[0], b[1] = 2.0, 4.0  # norms 2 and 4, orthogonal
    mean = multiframe.aggregate([record(a), record(b)], None)
    assert mean is not None
    assert np.linalg.norm(mean) == pytest.approx(3.0)  # the frames' mean norm
    assert mean[0] == pytest.approx(mean[1])  # units averaged, not raw vectors


def test_a_weighted_mean_leans_to_the_better_frame_and_faceless_frames_drop_out() -> None:
    a, b = np.zeros(TEMPLATE_DIM), np.zeros(TEMPLATE_DIM)
    a[0], b[1] = 1.0, 1.0
    leaning = multiframe.aggregate([record(a), record(b), record(None)], [3.0, 1.0, 5.0])
    assert leaning is not None and leaning[0] > leaning[1] > 0
    assert multiframe.aggregate([record(None)], None) is None


def test_quality_weight_falls_with_each_measure_below_twice_its_gate() -> None:
    good = multiframe.quality_weight(record(np.ones(1), 1.5, 1000.0, 400.0), SETTINGS)
    assert good == 1.0
    blurry = record(np.ones(1), 1.5, SETTINGS.min_sharpness, 400.0)
    assert multiframe.quality_weight(blurry, SETTINGS) == pytest.approx(0.5)
    whole_crop = record(np.ones(1), 0.0, 1000.0, 400.0)
    assert multiframe.quality_weight(whole_crop, SETTINGS) == probe.MIN_DETECTOR_FACTOR


def folder_set(tmp_path: Path, photos: dict[str, int]) -> Path:
    for person, count in photos.items():
        (tmp_path / person).mkdir()
        for i in range(count):
            (tmp_path / person / f"{i}.jpg").write_bytes(b"")
    return tmp_path


def test_a_probe_takes_other_photos_of_its_person_never_the_reference(tmp_path: Path) -> None:
    root = folder_set(tmp_path, {"a": 4, "b": 2, "c": 5})
    pairs = parse_csv_pairs("path_a,path_b,same\na/0.jpg,a/1.jpg,1\nc/0.jpg,b/0.jpg,0\n"
                            "a/0.jpg,c/1.jpg,0\n", root)
    chosen = multiframe.probes(pairs, 3)
    assert [p.pair.path_b.parent.name for p in chosen] == ["a", "c"]  # b has too few photos
    same = chosen[0]
    assert same.frames[0] == root / "a/1.jpg" and len(same.frames) == 3
    assert root / "a/0.jpg" not in same.frames and len(set(same.frames)) == 3
    assert multiframe.probes(pairs, 3) == chosen  # deterministic


def test_every_variant_is_measured_on_the_same_pairs(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    people = {f"p{i}": 5 for i in range(5)}
    root = folder_set(tmp_path, people)
    records = {}
    for person in people:
        centre = rng.normal(0, 0.09, TEMPLATE_DIM)
        for i in range(5):
            records[root / person / f"{i}.jpg"] = record(centre + rng.normal(0, 0.04,
                                                                              TEMPLATE_DIM))
    rows = ["path_a,path_b,same"] + [f"p{i}/0.jpg,p{i}/1.jpg,1" for i in range(5)] + \
        [f"p{i}/0.jpg,p{(i + 1) % 5}/1.jpg,0" for i in range(5)]
    pairset = parse_csv_pairs("\n".join(rows) + "\n", root)
    report = multiframe.multiframe_report(pairset, records, 3, 0.6, SETTINGS)
    assert report["eligible_pairs"] == 10 and report["same"] == report["different"] == 5
    single, mean = report["variants"]["single"], report["variants"]["mean"]
    assert mean["genuine_median"] < single["genuine_median"]
    lines = multiframe.summary_lines([{"set": "s", "engine": "dlib", "multi_frame": report}])
    assert any(line.startswith("FAR at threshold") and line.count("/5 = ") == 3
               for line in lines)


def test_too_few_photos_is_said_not_crashed(tmp_path: Path) -> None:
    root = folder_set(tmp_path, {"a": 2, "b": 2})
    pairset = parse_csv_pairs("path_a,path_b,same\na/0.jpg,a/1.jpg,1\na/0.jpg,b/0.jpg,0\n",
                              root)
    report = multiframe.multiframe_report(pairset, {}, 3, 0.6, SETTINGS)
    assert "skipped" in report
    assert "too few" in multiframe.summary_lines(
        [{"set": "s", "engine": "dlib", "multi_frame": report}])[0]
