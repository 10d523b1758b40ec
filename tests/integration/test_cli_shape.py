"""One CLI shape on a real store: every area's command refuses with `error: <code>: <message>`
on stderr and exit 1 (nothing on stdout, no traceback), and whatever a command records in the
audit log (C17) is recorded as the operator, `cli:<os user>`, never a name given on the command
line. The `keyuan` entry point itself is run as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import typer
from typer.testing import CliRunner, Result

from keyuan.cli.accounts import user_cli
from keyuan.cli.attribution import attribution_cli
from keyuan.cli.capture import capture_cli
from keyuan.cli.compliance import audit_cli, filing_cli, notice_cli, pia_cli
from keyuan.cli.main import cli
from keyuan.domain.compliance.pia import demo_content

if TYPE_CHECKING:
    from .conftest import Kiosk

OS_USER = "shape-op"  # getpass.getuser() reads LOGNAME first
OPERATOR = f"cli:{OS_USER}"
Run = Callable[..., Result]


@pytest.fixture
def run(kiosk: Kiosk) -> Run:
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key, "LOGNAME": OS_USER}

    def invoke(app: typer.Typer, *args: str, code: int = 0, stdin: str | None = None) -> Result:
        result = CliRunner().invoke(app, list(args), env=env, input=stdin)
        assert result.exit_code == code, result.output
        return result

    return invoke


def refused(result: Result, code: str) -> bool:
    return (result.exit_code == 1 and result.stderr.startswith(f"error: {code}: ")
            and result.stdout == "" and "Traceback" not in result.output)


@pytest.mark.parametrize(("app", "args", "code"), [
    (user_cli, ("disable", "no-such-user"), "unknown_account"),
    (attribution_cli, ("statement", "approve", "nope"), "unknown_statement"),
    (capture_cli, ("camera", "switch", "cam_nope", "--on"), "unknown_camera"),
    (filing_cli, ("pack", "无此公司"), "unknown_office"),
    (notice_cli, ("publish", "999999"), "unknown_notice"),
    (cli, ("attribution", "dispute", "decide", "nope", "--rejected", "--reason", "x"),
     "unknown_dispute"),
], ids=["accounts", "attribution", "capture", "compliance", "notices", "main"])
def test_a_refusal_is_an_error_line_on_stderr_with_exit_1(
    run: Run, app: typer.Typer, args: tuple[str, ...], code: str,
) -> None:
    assert refused(run(app, *args, code=1), code)


def test_an_incomplete_impact_assessment_is_refused_with_its_problems(
    run: Run, tmp_path: Path,
) -> None:
    content = tmp_path / "pia.json"
    content.write_text(json.dumps({**demo_content("示范"), "impact_risks": ""}), "utf-8")

    result = run(pia_cli, "record", str(content), "--assessor", "李敏", code=1)

    assert refused(result, "impact_assessment_incomplete")
    assert "  PROBLEM: missing impact_risks" in result.stderr


def test_an_unreadable_input_file_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "notice.json"
    broken.write_text("{not json", "utf-8")

    result = run(notice_cli, "draft", str(broken), code=2)

    assert "cannot read" in result.stderr and "Traceback" not in result.output


def audit_actors(kiosk: Kiosk, *actions: str) -> dict[str, set[str]]:
    with kiosk.deps.uow() as uow:
        entries = [e for e in uow.audit.all() if e.action in actions]
    return {action: {e.actor for e in entries if e.action == action} for action in actions}


def test_account_changes_are_audited_as_the_operator(run: Run, kiosk: Kiosk) -> None:
    run(user_cli, "add", "desk-zhou", "--role", "signing", stdin="a-long-passw0rd\n")
    run(user_cli, "disable", "desk-zhou")
    run(user_cli, "enable", "desk-zhou")
    run(user_cli, "passwd", "desk-zhou", stdin="another-passw0rd\n")

    assert audit_actors(kiosk, "account.user_added", "account.disabled", "account.enabled",
                        "account.password_changed") == {
        "account.user_added": {OPERATOR}, "account.disabled": {OPERATOR},
        "account.enabled": {OPERATOR}, "account.password_changed": {OPERATOR}}


def test_compliance_records_are_audited_as_the_operator_and_the_assessor_kept_apart(
    run: Run, kiosk: Kiosk, tmp_path: Path,
) -> None:
    content = tmp_path / "pia.json"
    content.write_text(json.dumps(demo_content("示范置业有限公司")), "utf-8")

    run(pia_cli, "record", str(content), "--assessor", "李敏")
    run(audit_cli, "anchor")
    run(audit_cli, "export")
    run(filing_cli, "pack", "示范置业有限公司")
    run(cli, "inspect")  # an empty vault is clean; the inspection itself is audited

    assert audit_actors(kiosk, "pia_recorded", "audit_anchored", "audit_exported",
                        "filing_pack_generated", "vault_inspected") == {
        "pia_recorded": {"合规负责人 (test)", OPERATOR},  # the fixture's PIA, then ours
        "audit_anchored": {OPERATOR}, "audit_exported": {OPERATOR},
        "filing_pack_generated": {OPERATOR}, "vault_inspected": {OPERATOR}}
    with kiosk.deps.uow() as uow:
        latest = uow.compliance.latest_assessment()
    assert latest is not None and latest.assessor == "李敏"  # business data, not the actor


def test_the_keyuan_entry_point_refuses_on_stderr_without_a_traceback(kiosk: Kiosk) -> None:
    env = {**os.environ, "KEYUAN_DATA_DIR": str(kiosk.settings.data_dir),
           "KEYUAN_FACE_MODULE": "off", "KEYUAN_SECRET_KEY": kiosk.settings.secret_key}

    done = subprocess.run([sys.executable, "-m", "keyuan.cli", "user", "disable", "nobody"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == "error: unknown_account: No account has that username.\n"
