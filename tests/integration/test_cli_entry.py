"""The `keyuan` console script, run as a process: an unexpected error is one line on stderr and a
non-zero exit, never a traceback; `KEYUAN_DEBUG=1` shows the traceback for a developer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from keyuan.cli.common import INTERNAL, describe

KEYUAN = Path(sys.executable).parent / "keyuan"


def keyuan(*args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    if not KEYUAN.is_file():
        pytest.skip(f"console script not installed beside {sys.executable} (make install)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYUAN_")}
    env["KEYUAN_DEBUG"] = "1" if debug else ""
    return subprocess.run([str(KEYUAN), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_an_unexpected_error_is_one_line_with_its_type_and_no_traceback(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "13800138000.txt"  # a data dir that is a file: the store cannot open
    not_a_dir.write_text("x")
    done = keyuan("outbox", "--data-dir", str(not_a_dir))
    assert done.returncode == INTERNAL
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: internal_error: FileExistsError: ")
    assert "Traceback" not in done.stderr and "13800138000" not in done.stderr
    assert "KEYUAN_DEBUG=1" in lines[0]


def test_keyuan_debug_shows_the_traceback(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    done = keyuan("outbox", "--data-dir", str(not_a_dir), debug=True)
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "FileExistsError" in done.stderr


def test_a_refusal_and_a_usage_error_keep_their_own_exits(tmp_path: Path) -> None:
    usage = keyuan("eval", "verify", "--set", "no-equals-sign")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("path_a,path_b,same\na/1.jpg,a/2.jpg,1\n")
    refused = keyuan("eval", "verify", "--pairs", str(pairs), "--root", str(tmp_path),
                     "--no-cache")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: photo_missing: ")


def test_the_one_line_masks_numbers_and_addresses_that_may_be_personal() -> None:
    exc = ValueError("no visitor 13800138000 (a@b.cn)\nsecond line with 110101199003077777")
    assert describe(exc) == "ValueError: no visitor *** (***)"
    assert describe(RuntimeError()) == "RuntimeError"
    assert describe(KeyError("x" * 500)).endswith("…")
