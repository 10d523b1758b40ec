"""`keyuan eval liveness` end to end on a small slice of the public data: the real YuNet and
SFace, still photos of three people of the mixed and East Asian sets, a few replays of the
public clip. Checks the table's shape and that no still-photo attack is accepted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keyuan.cli.evaluation import eval_cli

pytestmark = [pytest.mark.faces, pytest.mark.slow]


def small_set(source: Path, people: tuple[str, ...], into: Path) -> Path:
    """A copy of a few people's photos (public test data, in a temporary folder)."""
    for person in people:
        shutil.copytree(source / "identities" / person, into / "identities" / person)
    return into


def test_eval_liveness_prints_attacks_and_genuine_side_by_side_and_accepts_no_still(
        face_root: Path, east_asian_root: Path, tmp_path: Path) -> None:
    mixed = small_set(face_root, ("df_id06", "fr_obama", "df_id12"), tmp_path / "mixed")
    east = small_set(east_asian_root, ("Lucy_Liu", "Zhang_Ziyi"), tmp_path / "east")
    args = ["liveness", "--set", f"mixed={mixed}", "--set", f"east={east}",
            "--video", str(face_root / "video" / "short_hamilton_clip.mp4"),
            "--replay-trials", "6", "--out", str(tmp_path / "out"), "--no-progress"]
    result = CliRunner().invoke(eval_cli, args)
    assert result.exit_code == 0, result.stdout
    table = result.stdout
    assert "attacks ACCEPTED and genuine sequences REJECTED" in table
    assert "ASSEMBLED FROM DISTINCT PHOTOS" in table
    for row in ("attack: still_repeated", "attack: still_warped", "attack: replayed_clip",
                "genuine: from_photos_1_step"):
        assert row in table

    report: dict[str, Any] = json.loads(
        (tmp_path / "out" / "liveness.json").read_text("utf-8"))["runs"][0]
    rows = report["rows"]
    assert {r["set"] for r in rows} == {"mixed", "east", "short_hamilton_clip.mp4"}
    stills = [r for r in rows if r["name"].startswith("still_")]
    assert len(stills) == 4
    for row in stills:
        for mode in ("passive", "challenge"):
            cell = row[mode]
            assert cell["trials"] > 0 and cell["accepted"] == 0, (row["set"], row["name"], mode)
            assert cell["ci_low"] == 0.0 < cell["ci_high"] < 1.0
    replay = next(r for r in rows if r["name"] == "replayed_clip")
    assert replay["challenge"]["trials"] == 6
    genuine = [r for r in rows if r["kind"] == "genuine"]
    assert {r["name"] for r in genuine} == {"from_photos_1_step", "from_photos_2_steps",
                                            "from_photos_3_steps"}
    for row in genuine:
        cell = row["challenge"]
        assert cell["trials"] + cell["not_available"] > 0
        assert cell["accepted"] + cell["rejected"] == cell["trials"]
