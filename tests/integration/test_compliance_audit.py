"""C17 on real stores: `verify_audit` (and `keyuan audit verify`) catches every tampering with
the audit table — edit, removal, reordering, and truncation against an anchor kept offline."""

from __future__ import annotations

import stat
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, update
from typer.testing import CliRunner

from keyuan.adapters.store.tables.checkin import audit_events
from keyuan.bootstrap import ANCHOR_FILE
from keyuan.cli.compliance import audit_cli
from keyuan.domain.compliance.audit import Anchor, AuditEvent, chain_problems
from keyuan.services.checkin import consent as consent_service
from keyuan.services.compliance.audit import export_audit, kept_anchor, take_anchor, verify_audit
from keyuan.services.compliance.inspection import inspect_vault
from keyuan.services.compliance.retention import RetentionScheduler

if TYPE_CHECKING:
    from .conftest import Kiosk


def some_history(k: Kiosk) -> None:
    """Enrollments, a phone visit and a withdrawal: a dozen or so audit entries."""
    for rgb in ((200, 150, 120), (90, 160, 200)):
        k.new_face_visitor(rgb)
        k.clock.advance(minutes=5)
    session, notice = k.start()
    visit = k.check_in_by_phone(session.id, notice.content_hash, "13800001111")
    consent_service.withdraw(visit.consent.id, k.deps)


def test_c17_an_untouched_log_verifies(store_kiosk: Kiosk) -> None:
    some_history(store_kiosk)

    report = verify_audit(store_kiosk.deps, take_anchor(store_kiosk.deps))

    assert report.intact and report.entries >= 10, report


def test_c17_an_edited_entry_is_detected(store_kiosk: Kiosk) -> None:
    some_history(store_kiosk)
    with store_kiosk.app.db.begin() as conn:
        conn.execute(update(audit_events).where(audit_events.c.seq == 5).values(actor="nobody"))

    assert verify_audit(store_kiosk.deps).problems == [
        "entry 5: content changed after it was written"]


def test_c17_a_removed_entry_is_detected(store_kiosk: Kiosk) -> None:
    some_history(store_kiosk)
    with store_kiosk.app.db.begin() as conn:
        conn.execute(delete(audit_events).where(audit_events.c.seq == 4))

    problems = verify_audit(store_kiosk.deps).problems

    assert "entry 5: expected sequence 4" in problems
    assert "entry 5: does not follow the entry before it" in problems


def test_c17_reordered_entries_are_detected(store_kiosk: Kiosk) -> None:
    some_history(store_kiosk)
    with store_kiosk.app.db.begin() as conn:  # swap entries 3 and 4 (seq is the primary key)
        for old, new in ((3, -3), (4, 3), (-3, 4)):
            conn.execute(update(audit_events).where(audit_events.c.seq == old).values(seq=new))

    problems = verify_audit(store_kiosk.deps).problems

    assert "entry 3: content changed after it was written" in problems
    assert "entry 4: content changed after it was written" in problems


def test_c17_truncation_is_detected_against_an_anchor(store_kiosk: Kiosk) -> None:
    some_history(store_kiosk)
    anchor = take_anchor(store_kiosk.deps)
    with store_kiosk.app.db.begin() as conn:
        conn.execute(delete(audit_events).where(audit_events.c.seq > anchor.seq - 3))

    assert verify_audit(store_kiosk.deps).intact  # a shorter log looks fine on its own...
    assert verify_audit(store_kiosk.deps, anchor).problems == [  # ...but not against the anchor
        f"log truncated: the anchor names entry {anchor.seq}, the log ends at entry "
        f"{anchor.seq - 3}"]


def test_c17_the_daily_run_keeps_an_anchor_in_an_append_only_file(kiosk: Kiosk) -> None:
    some_history(kiosk)
    scheduler = RetentionScheduler(kiosk.deps, interval=timedelta(hours=24))
    path = kiosk.settings.data_dir / ANCHOR_FILE
    scheduler.tick()
    first = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first.splitlines()) == 1
    kiosk.clock.advance(days=1)
    kiosk.new_face_visitor((40, 90, 220))
    scheduler.tick()

    lines = path.read_text().splitlines()
    assert len(lines) == 2 and path.read_text().startswith(first)  # appended, never rewritten
    kept = kept_anchor(kiosk.deps)
    assert kept is not None and kept[1] == kiosk.clock.now()
    assert str(kept[0]) in lines[1] and verify_audit(kiosk.deps, kept[0]).intact


def test_c17_the_inspection_catches_a_truncated_tail_by_the_kept_anchor(
    store_kiosk: Kiosk,
) -> None:
    k = store_kiosk
    some_history(k)
    assert inspect_vault(k.deps).anchor is None  # no anchor yet: nothing to compare with
    anchor = take_anchor(k.deps)
    with k.app.db.begin() as conn:
        conn.execute(delete(audit_events).where(audit_events.c.seq > anchor.seq - 3))

    report = inspect_vault(k.deps)

    assert report.anchor is not None and report.anchor[0] == anchor
    assert any(p.startswith("log truncated") for p in report.audit_problems)
    assert not report.clean


def test_c17_taking_an_anchor_is_itself_audited(kiosk: Kiosk) -> None:
    anchor = take_anchor(kiosk.deps, actor="dpo")

    with kiosk.deps.uow() as uow:
        last = uow.audit.all()[-1]
    assert (last.seq, last.actor, last.action) == (anchor.seq + 1, "dpo", "audit_anchored")
    assert last.detail == {"seq": anchor.seq, "hash": anchor.hash}


def test_c17_the_cli_prints_an_anchor_and_fails_on_a_truncated_log(kiosk: Kiosk) -> None:
    some_history(kiosk)
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key}
    runner = CliRunner()
    printed = runner.invoke(audit_cli, ["anchor"], env=env)
    anchor = Anchor.parse(printed.output)

    intact = runner.invoke(audit_cli, ["verify", "--anchor", str(anchor)], env=env)
    with kiosk.app.db.begin() as conn:
        conn.execute(delete(audit_events).where(audit_events.c.seq >= anchor.seq))
    truncated = runner.invoke(audit_cli, ["verify", "--anchor", str(anchor)], env=env)
    malformed = runner.invoke(audit_cli, ["verify", "--anchor", "12"], env=env)

    assert (printed.exit_code, intact.exit_code) == (0, 0), printed.output + intact.output
    assert "chain intact" in intact.output
    assert truncated.exit_code == 1 and "log truncated" in truncated.output
    assert malformed.exit_code == 2


def test_c25_an_audit_export_re_verifies_elsewhere_and_is_itself_audited(kiosk: Kiosk) -> None:
    some_history(kiosk)

    rows = export_audit(kiosk.deps, actor="dpo")

    rebuilt = [AuditEvent(seq=r["seq"], at=datetime.fromisoformat(r["at"]), actor=r["actor"],
                          action=r["action"], subject=r["subject"], detail=r["detail"],
                          prev_hash=r["prev_hash"], hash=r["hash"]) for r in rows]
    assert rebuilt and chain_problems(rebuilt) == []
    with kiosk.deps.uow() as uow:
        last = uow.audit.all()[-1]
    assert (last.action, last.actor, last.detail["entries"]) == ("audit_exported", "dpo", len(rows))
