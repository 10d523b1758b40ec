"""`keyuan attribution ...` end to end on a temp data dir with typer's CliRunner: 报备 → 到访 →
签约 → statement → approve → paid → export; user errors print a stable code and exit 1."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from keyuan.attribution_cli import attribution_cli
from keyuan.domain.idcard import check_digit

if TYPE_CHECKING:
    from .conftest import Kiosk

ID17 = "11010519800101077"
Run = Callable[..., Result]


@pytest.fixture
def run(kiosk: Kiosk) -> Run:
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key}

    def invoke(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(attribution_cli, list(args), env=env)
        assert result.exit_code == code, result.output
        return result

    return invoke


def word_after(result: Result, word: str) -> str:
    tokens = result.output.split()
    return tokens[tokens.index(word) + 1]


def test_register_visit_sign_and_settle_from_the_command_line(run: Run, tmp_path: Path) -> None:
    channel = word_after(run("channel", "add", "链家分销"), "channel")
    run("agreement", "add", channel, "--kind", "fixed", "--value", "2000000",
        "--from", "2020-01-01")
    registration = word_after(run("register", channel, "王芳", "138****1111"), "registration")
    run("confirm-visit", registration, "13800001111", "--staff", "reception-1")

    signed = run("sign", "王芳", ID17 + check_digit(ID17), "13800001111",
                 "--price-fen", "350000000")

    assert f"registration={registration}" in signed.output and "final" in signed.output
    now = datetime.now(UTC)
    period = ["--from", (now - timedelta(days=1)).isoformat(),
              "--to", (now + timedelta(days=1)).isoformat()]
    statement = word_after(run("statement", "create", channel, *period), "statement")
    run("statement", "approve", statement)
    assert "paid" in run("statement", "paid", statement).output
    out = tmp_path / "statement.xlsx"
    run("statement", "export", statement, "--out", str(out))
    rows = list(load_workbook(io.BytesIO(out.read_bytes())).active.iter_rows(values_only=True))
    assert rows[-1][0] == "合计 total" and rows[-1][4] == 2_000_000
    assert "0 signing(s) waiting" in run("review-queue").output


def test_a_user_error_prints_its_code_and_exits_1(run: Run) -> None:
    channel = word_after(run("channel", "add", "乙分销"), "channel")

    bad_mobile = run("register", channel, "王芳", "12345", code=1)
    no_statement = run("statement", "approve", "nope", code=1)

    assert "error: invalid_mobile" in bad_mobile.output
    assert "error: unknown_statement" in no_statement.output


def test_signing_photos_are_read_but_face_work_is_refused_with_the_module_off(
    run: Run, tmp_path: Path,
) -> None:
    photo = tmp_path / "live.jpg"
    photo.write_bytes(b"\xff\xd8 not really a photo")
    before = sorted(p.name for p in tmp_path.rglob("*"))

    result = run("sign", "王芳", ID17 + check_digit(ID17), "13800001111", "--price-fen", "1",
                 "--photo", str(photo), code=1)

    assert "error: face_module_disabled" in result.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written
