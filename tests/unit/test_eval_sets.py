"""Several labelled sets side by side: set parsing, exact intervals, folds as given (one fold
included) and the one table, on synthetic templates (no engine)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keyuan.evaluation import metrics
from keyuan.evaluation.faces import FaceRecord
from keyuan.evaluation.pairs import parse_csv_pairs
from keyuan.evaluation.sets import EvalSetInvalid, engine_kinds, parse_set, unique_names
from keyuan.evaluation.verify import summary_lines, verify_report
from keyuan.services.faces.engine import TEMPLATE_DIM


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 10, 0.0, 0.308497),        # 1 - 0.025 ** (1/10)
    (10, 10, 0.691503, 1.0),
    (5, 10, 0.187086, 0.812914),   # the textbook values
    (0, 576, 0.0, 0.006384),       # "no false accept seen" in the East Asian set
    (1, 1000, 0.0000253, 0.005558),
])
def test_clopper_pearson_matches_the_exact_binomial_interval(k: int, n: int, low: float,
                                                             high: float) -> None:
    p = metrics.clopper_pearson(k, n)
    assert p.low == pytest.approx(low, abs=2e-6) and p.high == pytest.approx(high, abs=2e-6)
    assert p.rate == k / n


def test_clopper_pearson_of_nothing_is_the_whole_range_and_bad_counts_are_refused() -> None:
    assert metrics.clopper_pearson(0, 0) == metrics.Proportion(0, 0, 0.0, 1.0)
    with pytest.raises(ValueError):
        metrics.clopper_pearson(3, 2)


def test_kfold_runs_on_as_few_as_two_folds_and_refuses_one() -> None:
    scores = np.array([0.2, 0.3, 0.8, 0.9, 0.25, 0.85])
    same = np.array([True, True, False, False, True, False])
    two = metrics.kfold_accuracy(scores, same, np.array([0, 0, 0, 0, 1, 1]))
    assert len(two.accuracies) == 2 and two.mean == 1.0
    with pytest.raises(ValueError, match="two folds"):
        metrics.kfold_accuracy(scores, same, np.zeros(6, dtype=np.int_))


def records_for(people: int, photos: int, spread: float) -> dict[Path, FaceRecord]:
    rng = np.random.default_rng(5)
    out = {}
    for p in range(people):
        centre = rng.normal(0.0, 0.09, TEMPLATE_DIM)
        for i in range(photos):
            template = (centre + rng.normal(0.0, spread, TEMPLATE_DIM)).astype(np.float32)
            out[Path(f"/set/p{p}/{i}.jpg")] = FaceRecord("ok", "detected", "ok", template)
    return out


def pairs_csv(people: int, photos: int, folds: int | None) -> str:
    header = "path_a,path_b,same" + (",fold" if folds else "")
    rows, n = [header], 0
    for p in range(people):
        for i in range(1, photos):
            for q, j, same in ((p, i, 1), ((p + 1) % people, i, 0), ((p + 2) % people, 0, 0)):
                fold = f",{n % folds}" if folds else ""
                rows.append(f"p{p}/0.jpg,p{q}/{j}.jpg,{same}{fold}")
                n += 1
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(("folds", "count", "said"), [
    (1, 1, "single fold"), (3, 3, "fewer than 10"), (None, 10, "SHA-256")])
def test_any_number_of_folds_gives_a_report_and_says_how_it_folded(
        folds: int | None, count: int, said: str) -> None:
    records = records_for(6, 4, 0.03)
    pairset = parse_csv_pairs(pairs_csv(6, 4, folds), Path("/set"))
    report = verify_report(pairset, records, 0.6, set_name="one", engine="dlib")
    assert report["folds"]["count"] == count and said in report["folds"]["note"]
    assert (report["folds"]["accuracy"] is None) == (count == 1)
    assert report["different"] == 36 and report["far_resolution"] == pytest.approx(1 / 36, 1e-5)
    assert report["tar_at_far_resolved"] == {"0.01": False, "0.001": False}


def test_the_table_puts_each_set_and_engine_side_by_side() -> None:
    records = records_for(6, 4, 0.03)
    a = verify_report(parse_csv_pairs(pairs_csv(6, 4, 1), Path("/set")), records, 0.6,
                      set_name="mixed", engine="dlib")
    b = verify_report(parse_csv_pairs(pairs_csv(6, 4, None), Path("/set")), records, 0.1,
                      set_name="east-asian", engine="sface")
    lines = summary_lines([a, b])
    assert lines[0].split()[-2:] == ["mixed/dlib", "east-asian/sface"]
    far = next(line for line in lines if line.startswith("FAR at threshold"))
    assert "0/36 = 0.0000" in far
    frr = next(line for line in lines if line.startswith("FRR at threshold"))
    assert frr.rstrip().endswith("18/18 = 1.0000")  # 0.1 rejects every genuine pair
    assert any(line.startswith("TAR at FAR 0.001") and "*" in line for line in lines)
    assert any("cannot resolve" in line for line in lines)
    assert any(line.startswith("k-fold accuracy") and "n/a (1 fold)" in line for line in lines)


def test_sets_are_parsed_checked_and_named_once(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("path_a,path_b,same\n")
    labelled = parse_set(f"east-asian={pairs}:{tmp_path}", pairs_required=True)
    assert (labelled.name, labelled.pairs, labelled.root) == ("east-asian", pairs, tmp_path)
    assert parse_set(f"ids={tmp_path}", pairs_required=False).pairs is None
    for bad in ("no-equals", f"bad name={pairs}:{tmp_path}", f"x={tmp_path}",
                f"x={tmp_path / 'absent.csv'}:{tmp_path}", f"x={pairs}:{tmp_path / 'absent'}"):
        with pytest.raises(EvalSetInvalid):
            parse_set(bad, pairs_required=True)
    with pytest.raises(EvalSetInvalid, match="twice"):
        unique_names([labelled, labelled])
    assert engine_kinds("both") == ("dlib", "sface")
    with pytest.raises(EvalSetInvalid):
        engine_kinds("arcface")


def test_a_data_sets_folder_gives_its_identities_folder_for_1_to_n(tmp_path: Path) -> None:
    (tmp_path / "identities" / "a").mkdir(parents=True)
    assert parse_set(f"s={tmp_path}", pairs_required=False).identities_root() == \
        tmp_path / "identities"
    assert parse_set(f"s={tmp_path / 'identities'}", pairs_required=False).identities_root() \
        == tmp_path / "identities"
