"""`keyuan attribution ...` end to end on a temp data dir with typer's CliRunner: 报备 → 到访 →
签约 → statement → dispute → approve → paid → export; user errors print a stable code and exit 1;
the CLI acts as the local operator (`cli:<os user>`), never as a name given on the command line."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from keyuan.cli.attribution import attribution_cli
from keyuan.domain.attribution.idcard import check_digit

if TYPE_CHECKING:
    from .conftest import Kiosk

ID17 = "11010519800101077"
OS_USER = "op-tester"  # getpass.getuser() reads LOGNAME first
Run = Callable[..., Result]


@pytest.fixture
def run(kiosk: Kiosk) -> Run:
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key, "LOGNAME": OS_USER}

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
    run("confirm-visit", registration, "13800001111")

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

    assert bad_mobile.stderr.startswith("error: invalid_mobile: ") and bad_mobile.stdout == ""
    assert no_statement.stderr.startswith("error: unknown_statement: ")


def test_signing_photos_are_read_but_face_work_is_refused_with_the_module_off(
    run: Run, tmp_path: Path,
) -> None:
    photo = tmp_path / "live.jpg"
    photo.write_bytes(b"\xff\xd8 not really a photo")
    before = sorted(p.name for p in tmp_path.rglob("*"))

    result = run("sign", "王芳", ID17 + check_digit(ID17), "13800001111", "--price-fen", "1",
                 "--photo", str(photo), code=1)

    assert result.stderr.startswith("error: face_module_disabled: ")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def audit_actors(kiosk: Kiosk, action: str) -> list[str]:
    with kiosk.deps.uow() as uow:
        return [e.actor for e in uow.audit.all() if e.action == action]


def signed_statement(run: Run) -> tuple[str, str]:
    """(channel id, statement id) of a draft statement with one 20,000 CNY deal."""
    channel = word_after(run("channel", "add", "争议分销"), "channel")
    run("agreement", "add", channel, "--kind", "fixed", "--value", "2000000",
        "--from", "2020-01-01")
    registration = word_after(run("register", channel, "李娜", "13900002222"), "registration")
    run("confirm-visit", registration, "13900002222")
    run("sign", "李娜", ID17 + check_digit(ID17), "13900002222", "--price-fen", "100000000")
    now = datetime.now(UTC)
    statement = word_after(run("statement", "create", channel, "--from",
                               (now - timedelta(days=1)).isoformat(), "--to",
                               (now + timedelta(days=1)).isoformat()), "statement")
    return channel, statement


def test_a_dispute_is_opened_and_decided_from_the_command_line_as_the_os_user(
    run: Run, kiosk: Kiosk,
) -> None:
    channel, statement = signed_statement(run)

    opened = run("dispute", "open", statement, "--channel", channel, "--reason", "bonus missing")
    dispute = word_after(opened, "dispute")
    blocked = run("statement", "approve", statement, code=1)
    decided = run("dispute", "decide", dispute, "--upheld", "--reason", "agreed by email",
                  "--adjustment-fen", "50000")
    approved = run("statement", "approve", statement)

    assert "open" in opened.output and "error: statement_state" in blocked.output
    assert f"upheld by cli:{OS_USER}" in decided.output
    assert "total_fen=2050000" in approved.output
    for action in ("dispute_opened", "dispute_decided", "statement_approved", "visit_confirmed",
                   "attribution_decided", "agreement_added"):
        assert audit_actors(kiosk, action) == [f"cli:{OS_USER}"], action
    with kiosk.deps.uow() as uow:
        record = uow.attribution.dispute(dispute)
        assert record is not None and record.decided_by == f"cli:{OS_USER}"


def test_a_rejected_dispute_leaves_the_total_and_bad_dispute_input_is_refused(run: Run) -> None:
    channel, statement = signed_statement(run)
    other = word_after(run("channel", "add", "别家分销"), "channel")

    foreign = run("dispute", "open", statement, "--channel", other, "--reason", "x", code=1)
    dispute = word_after(run("dispute", "open", statement, "--channel", channel,
                             "--reason", "price wrong"), "dispute")
    rejected = run("dispute", "decide", dispute, "--rejected", "--reason", "price as signed")
    unknown = run("dispute", "decide", "nope", "--rejected", "--reason", "x", code=1)

    assert "error: unknown_statement" in foreign.output
    assert "rejected" in rejected.output and "error: unknown_dispute" in unknown.output
    assert "total_fen=2000000" in run("statement", "approve", statement).output


def test_the_cli_takes_no_actor_name_and_says_it_acts_as_the_os_user(run: Run) -> None:
    _, statement = signed_statement(run)

    named = run("statement", "approve", statement, "--actor", "finance-boss", code=2)
    helped = run("dispute", "decide", "--help")

    assert "No such option" in named.output
    assert "cli:<os user>" in " ".join(helped.output.split())


def test_the_rules_are_shown_and_changed_from_the_command_line_audited(
        run: Run, kiosk: Kiosk) -> None:
    assert "conflicting 报备 refuse" in run("rules").output

    changed = run("rules", "--conflict-policy", "mark", "--protection-days", "45")
    bad = run("rules", "--protection-days", "0", code=1)

    assert "protection 45 days" in changed.output and "conflicting 报备 mark (changed)" \
        in changed.output
    assert bad.stderr.startswith("error: invalid_registration: ")
    assert "protection 45 days" in run("rules").output  # the refused change wrote nothing
    with kiosk.deps.uow() as uow:
        events = [(e.actor, e.detail["conflict_policy"], e.detail["protection_days"])
                  for e in uow.audit.all() if e.action == "attribution_rules_set"]
    assert events == [(f"cli:{OS_USER}", "mark", 45)]


def test_the_risk_thresholds_are_shown_and_changed_from_the_command_line_audited(
        run: Run, kiosk: Kiosk) -> None:
    shown = run("risk-thresholds").output
    assert "risk thresholds (the defaults)" in shown and "  never_visited_min 5\n" in shown

    changed = run("risk-thresholds", "--never-visited-min", "8", "--expiry-share", "70").output
    too_big = run("risk-thresholds", "--expiry-share", "101", "--expiry-min", "4", code=2)

    assert f"set by cli:{OS_USER}" in changed and "(changed)" in changed
    assert "  never_visited_min 8\n" in changed and "  expiry_share 70\n" in changed
    assert "expiry-share" in too_big.output
    again = run("risk-thresholds").output
    assert "  expiry_min 3\n" in again and "  never_visited_min 8\n" in again  # nothing written
    with kiosk.deps.uow() as uow:
        events = [(e.actor, e.detail["changed"]) for e in uow.audit.all()
                  if e.action == "risk_thresholds_set"]
    assert events == [(f"cli:{OS_USER}", {"never_visited_min": 8, "expiry_share": 70})]


def test_a_household_signs_from_the_command_line_and_the_wifes_visit_decides(
    run: Run, kiosk: Kiosk,
) -> None:
    """共同购房人 on the command line: the wife's own earlier visit makes the distributor's
    registration of her husband a known customer — natural, decided by co-buyer 1's visit."""
    # the CLI runs on the real clock: the wife's kiosk visit an hour ago, on the kiosk's own
    kiosk.clock.advance(seconds=(datetime.now(UTC) - timedelta(hours=1)
                                 - kiosk.clock.now()).total_seconds())
    session, notice = kiosk.start()
    kiosk.check_in_by_phone(session.id, notice.content_hash, "13900003333", name="李娜")
    channel = word_after(run("channel", "add", "丙分销"), "channel")
    registration = word_after(run("register", channel, "张伟", "13800004444"), "registration")
    run("confirm-visit", registration, "13800004444")
    wife17 = "11010519820202088"
    wife = f"李娜,{wife17 + check_digit(wife17)},13900003333,spouse"

    signed = run("sign", "张伟", ID17 + check_digit(ID17), "13800004444", "--price-fen",
                 "200000000", "--co-buyer", wife)
    bad = run("sign", "张伟", ID17 + check_digit(ID17), "13800004444", "--price-fen", "1",
              "--co-buyer", "李娜,only-two", code=2)

    assert "natural channel=-" in signed.output
    assert "decided by: visit of buyer co1" in signed.output
    assert "NAME,ID_NUMBER,MOBILE[,RELATION]" in bad.output
