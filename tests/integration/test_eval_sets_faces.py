"""`keyuan eval verify` over two labelled sets on the real photos, kept quick: a few pairs of each
shared set, written as CSVs with one fold and with three (photos are read where they are)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keyuan.cli.evaluation import eval_cli

PER_CLASS = 6


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eval-sets-cache")


def subset(source: Path, target: Path, folds: int | None) -> Path:
    """The first PER_CLASS same and different pairs of `source`, with a fold column if asked."""
    with source.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    chosen = [r for r in rows if r["same"] == "1"][:PER_CLASS] + \
        [r for r in rows if r["same"] == "0"][:PER_CLASS]
    lines = ["path_a,path_b,same" + (",fold" if folds else "")]
    lines += [f"{r['path_a']},{r['path_b']},{r['same']}" + (f",{i % folds}" if folds else "")
              for i, r in enumerate(chosen)]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def verify(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(eval_cli, ["verify", "--engine", "dlib", "--no-progress", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.faces
def test_two_sets_are_reported_side_by_side_whatever_their_folds(
        face_root: Path, east_asian_root: Path, cache: Path, tmp_path: Path) -> None:
    mixed = subset(face_root / "pairs.csv", tmp_path / "mixed.csv", folds=1)
    east = subset(east_asian_root / "pairs.csv", tmp_path / "east.csv", folds=3)
    sets = ["--set", f"mixed={mixed}:{face_root}", "--set", f"east-asian={east}:{east_asian_root}"]
    code, out, err = verify(*sets, "--cache", str(cache), "--out", str(tmp_path / "out"))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[-2:] == ["mixed/dlib", "east-asian/dlib"]
    assert any(line.startswith("FAR at threshold") and line.count(f"/{PER_CLASS} = ") == 2
               for line in lines)
    assert any(line.startswith("k-fold accuracy") and "n/a (1 fold)" in line and "(3)" in line
               for line in lines)
    assert "mixed: the file gives a single fold" in out
    assert "east-asian: the file's 3 folds (fewer than 10: used as given)" in out
    saved: dict[str, Any] = json.loads((tmp_path / "out" / "verify.json").read_text())
    assert [(r["set"], r["engine"]) for r in saved["runs"]] == [("mixed", "dlib"),
                                                               ("east-asian", "dlib")]
    for r in saved["runs"]:
        assert r["same"] == r["different"] == PER_CLASS
        assert r["far_resolution"] == pytest.approx(1 / PER_CLASS, abs=1e-6)
        low, high = r["far_ci95"]
        assert 0.0 <= low <= r["far_at_threshold"] <= high <= 1.0
        svg = (tmp_path / "out" / f"verify-{r['set']}-dlib.svg").read_text()
        assert svg.startswith("<svg") and "<image" not in svg  # distributions, never a face

    again = verify(*sets, "--cache", str(cache), "--out", str(tmp_path / "again"), "--json")
    assert again[0] == 0
    assert [r["far_at_threshold"] for r in json.loads(again[1])["runs"]] == \
        [r["far_at_threshold"] for r in saved["runs"]]
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 1  # one engine model, one cache


def test_a_bad_set_or_two_engines_with_one_threshold_are_usage_errors(tmp_path: Path) -> None:
    pairs = tmp_path / "p.csv"
    pairs.write_text("path_a,path_b,same\n")
    for args in (["--set", "nameless"], ["--set", f"x={pairs}:{tmp_path / 'absent'}"],
                 ["--set", f"x={pairs}:{tmp_path}", "--set", f"x={pairs}:{tmp_path}"],
                 ["--set", f"x={pairs}:{tmp_path}", "--engine", "arcface"]):
        result = CliRunner().invoke(eval_cli, ["verify", *args])
        assert result.exit_code == 2, (args, result.output)
    result = CliRunner().invoke(eval_cli, ["verify", "--set", f"x={pairs}:{tmp_path}",
                                           "--engine", "both", "--threshold", "0.5"])
    assert result.exit_code == 2 and "--threshold" in result.output


@pytest.mark.faces
def test_multi_frame_probes_are_measured_beside_single_frames_on_the_same_pairs(
        east_asian_root: Path, cache: Path, tmp_path: Path) -> None:
    east = subset(east_asian_root / "pairs.csv", tmp_path / "east.csv", folds=None)
    code, out, err = verify("--set", f"east-asian={east}:{east_asian_root}", "--probe-frames",
                            "3", "--cache", str(cache), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert "multi-frame probes (K=3), east-asian" in out
    report = json.loads((tmp_path / "out" / "verify.json").read_text())["runs"][0]
    frames = report["multi_frame"]
    assert frames["k"] == 3 and 0 < frames["eligible_pairs"] <= 2 * PER_CLASS
    variants = frames["variants"]
    assert set(variants) == {"single", "mean", "quality_weighted"}
    for v in variants.values():
        assert v["false_accepts"] <= frames["different"]
        assert v["false_rejects"] <= frames["same"]
    # averaging three photos of a person brings the probe nearer its reference
    assert variants["mean"]["genuine_median"] < variants["single"]["genuine_median"]


def linked_set(source: Path, target: Path, people: int = 6, photos: int = 4) -> Path:
    """A small set of the East Asian photos as symlinks (nothing copied) with a pairs CSV:
    every same-person pair of the first photo, and the first photos of neighbours."""
    names = sorted(p.name for p in (source / "identities").iterdir()
                   if len(list(p.iterdir())) >= photos)[:people]
    rows = ["path_a,path_b,same"]
    for i, name in enumerate(names):
        folder = target / "identities" / name
        folder.mkdir(parents=True)
        for photo in sorted((source / "identities" / name).iterdir())[:photos]:
            (folder / photo.name).symlink_to(photo)
        first, *rest = sorted(p.name for p in folder.iterdir())
        rows += [f"identities/{name}/{first},identities/{name}/{other},1" for other in rest]
        neighbour = names[(i + 1) % len(names)]
        other_first = sorted((source / "identities" / neighbour).iterdir())[0].name
        rows.append(f"identities/{name}/{first},identities/{neighbour}/{other_first},0")
    (target / "pairs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return target


@pytest.mark.faces
def test_calibrate_proposes_thresholds_per_engine_over_the_sets(
        east_asian_root: Path, tmp_path: Path) -> None:
    small = linked_set(east_asian_root, tmp_path / "small")
    cache = tmp_path / "cache"
    result = CliRunner().invoke(eval_cli, [
        "calibrate", "--engine", "both", "--no-progress", "--cache", str(cache),
        "--set", f"small={small / 'pairs.csv'}:{small}", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for kind in ("dlib", "sface"):
        assert f"proposed thresholds, {kind}" in out
        assert f"{kind.upper()}_THRESHOLDS = EngineThresholds(" in out
        assert f"'small, {kind}: 240 different-person pairs" in out  # 6 x 4 photos
    block = out[out.index("SFACE_THRESHOLDS"):out.index("impostor tails", out.index("SFACE_"))]
    assert "resolution 16.67%" in block and "FAR 0/6" in block  # 6 impostor pairs
    runs = json.loads((tmp_path / "out" / "calibrate.json").read_text())["runs"]
    assert [(r["set"], r["engine"]) for r in runs] == [("small", "dlib"), ("small", "sface")]
    # two engines, two models: their templates are cached apart, never mixed
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 2
