"""The purge (C18) over a simulated year with a fake clock: templates end with their purpose,
non-buyers' visits and mobiles have their own period, every purge is audited, processing
records (audit log, impact assessments) stay (C23)."""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from keyuan.cli.compliance import purge_command
from keyuan.domain.compliance.audit import chain_problems
from keyuan.domain.compliance.retention import NO_DEAL, DealStatus, RetentionPolicy
from keyuan.services.checkin import devices
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin.receipts import check_receipt, signed_receipt
from keyuan.services.compliance.retention import RetentionScheduler, purge
from support.sequences import fake_shots

from .conftest import START

if TYPE_CHECKING:
    from .conftest import Kiosk

ANN, BEN, DAN = (200, 150, 120), (90, 160, 200), (150, 200, 90)


class FakeDeals:
    """Stands in for the deals read from the signings."""

    def __init__(self) -> None:
        self.deals: dict[str, DealStatus] = {}

    def status(self, person_id: str) -> DealStatus:
        return self.deals.get(person_id, NO_DEAL)


def day(k: Kiosk) -> int:
    return (k.clock.now() - START).days


def test_c18_a_simulated_year_of_purges(store_kiosk: Kiosk) -> None:
    k, deals = store_kiosk, FakeDeals()
    ann = k.new_face_visitor(ANN).consent.person_id
    ben = k.new_face_visitor(BEN)
    dan = k.new_face_visitor(DAN).consent.person_id
    session, notice = k.start()
    cai = k.check_in_by_phone(session.id, notice.content_hash, "13800004444").consent.person_id
    gone: dict[str, int] = {}
    for _ in range(37):  # ten-day steps through a year and ten days
        k.clock.advance(days=10)
        if day(k) == 100:  # Ben comes back: his 180 days start again
            again, _ = k.start()
            face_service.return_with_face(face_service.ReturnCmd(
                again.id, receipt_id=ben.consent.id, **fake_shots(BEN).cmd()), k.deps)
        if day(k) == 20:
            deals.deals[dan] = DealStatus(signed=True)
        if day(k) == 200:
            deals.deals[dan] = DealStatus(signed=True, settled_at=k.clock.now())
        report = purge(k.deps, deals=deals)
        gone.update({p: day(k) for p in report.templates})
        if report.identities:
            gone["cai-identity"] = day(k)

    assert gone == {ann: 180, ben.consent.person_id: 280, dan: 290, "cai-identity": 370}
    with k.deps.uow() as uow:
        assert uow.vault.count() == 0
        assert uow.visits.for_person(cai) == [] and uow.visits.for_person(dan) != []
        person = uow.persons.get(cai)
        assert person is not None and (person.mobile, person.mobile_hash) == (None, None)
        events = uow.audit.all()
        assert uow.compliance.latest_assessment() is not None  # processing records stay (C23)
    purged = [e for e in events if e.actor == "retention" and e.action == "template_deleted"]
    assert sorted(e.subject or "" for e in purged) == sorted([ann, ben.consent.person_id, dan])
    assert {"visits_purged", "identity_erased"} <= {e.action for e in events}
    assert events[0].at == START and chain_problems(events) == []
    assert len(k.deps.gallery) == 0


def test_c18_a_purged_template_ends_the_consent_shown_on_the_receipt(kiosk: Kiosk) -> None:
    consent = kiosk.new_face_visitor(ANN).consent
    kiosk.clock.advance(days=181)

    purge(kiosk.deps)

    check = check_receipt(signed_receipt(consent.id, kiosk.deps).document, kiosk.deps)
    assert check.consent_status == "withdrawn"


def test_c18_a_dry_run_reports_the_same_and_changes_nothing(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ANN)
    kiosk.clock.advance(days=400)
    with kiosk.deps.uow() as uow:
        before = (uow.vault.count(), len(uow.audit.all()))

    dry = purge(kiosk.deps, dry_run=True)

    with kiosk.deps.uow() as uow:
        assert (uow.vault.count(), len(uow.audit.all())) == before
    real = purge(kiosk.deps)
    assert (dry.templates, dry.visits, dry.identities) == (
        real.templates, real.visits, real.identities)
    assert len(dry.templates) == 1 and dry.lines()[0].startswith("DRY RUN")


def test_c18_nothing_is_purged_before_its_time(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ANN)
    kiosk.clock.advance(days=179)

    report = purge(kiosk.deps, policy=RetentionPolicy())

    assert report.templates == {} and report.visits == 0 and report.identities == 0


def test_c18_the_purge_deletes_expired_unused_pairing_codes(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    devices.offer_pairing(k.office_id, "过期平板", k.deps, actor="admin")
    used = devices.offer_pairing(k.office_id, "已配对平板", k.deps, actor="admin").code
    devices.redeem(used, k.deps, client="10.0.0.1")
    k.clock.advance(minutes=11)  # both offers now past their ten minutes
    devices.offer_pairing(k.office_id, "新平板", k.deps, actor="admin")

    report = purge(k.deps)

    with k.app.db.connect() as conn:
        left = set(conn.execute(text("SELECT device_name FROM pairing_codes")).scalars())
    assert left == {"已配对平板", "新平板"}  # the used one names its device; the live one waits
    assert report.transient == 1
    with k.deps.uow() as uow:
        purged = [e.detail for e in uow.audit.all() if e.action == "transient_purged"]
    assert purged == [{"rows": 1}]


def test_c18_keyuan_purge_dry_run_prints_a_report(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ANN)
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key}
    app = typer.Typer()
    app.command()(purge_command)

    result = CliRunner().invoke(app, ["--dry-run", "--no-deal-days", "1"], env=env)

    # The CLI runs on the system clock: years after the fake clock's enrollment.
    assert result.exit_code == 0, result.output
    assert "DRY RUN" in result.output and "face templates: 1" in result.output
    with kiosk.deps.uow() as uow:
        assert uow.vault.count() == 1


def test_c18_the_scheduler_purges_in_the_background(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ANN)
    kiosk.clock.advance(days=200)

    scheduler = RetentionScheduler(kiosk.deps, interval=timedelta(hours=1),
                                   poll=timedelta(milliseconds=20)).start()
    deadline = time.monotonic() + 10
    while scheduler.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert scheduler.running
    scheduler.stop()

    with kiosk.deps.uow() as uow:
        assert uow.vault.count() == 0
    assert scheduler.state.last_success_at == kiosk.clock.now() and scheduler.state.failures == 0


def test_c18_repeat_runs_follow_the_clock(kiosk: Kiosk) -> None:
    scheduler = RetentionScheduler(kiosk.deps, interval=timedelta(hours=24))
    assert scheduler.tick() is not None and scheduler.runs == 1
    kiosk.clock.advance(hours=23)
    assert scheduler.tick() is None and scheduler.runs == 1  # not due yet

    kiosk.new_face_visitor(ANN)
    for _ in range(8):  # a day at a time, as `serve` would run it
        kiosk.clock.advance(days=25)
        scheduler.tick()
    assert scheduler.runs == 9
    with kiosk.deps.uow() as uow:
        assert uow.vault.count() == 0  # 200 days after the visit: purged by a later run


class FailingStore:
    """The store fails for the next `n` units of work (a locked or unreachable database)."""

    def __init__(self, k: Kiosk, n: int) -> None:
        self.k, self.n = k, n

    def __call__(self) -> object:
        if self.n > 0:
            self.n -= 1
            raise RuntimeError("database is locked: 13800138000")  # messages may carry data
        return self.k.deps.uow()


def test_c18_a_failing_run_is_logged_counted_and_retried(
    kiosk: Kiosk, caplog: pytest.LogCaptureFixture,
) -> None:
    kiosk.new_face_visitor(ANN)
    kiosk.clock.advance(days=200)
    store = FailingStore(kiosk, 2)
    scheduler = RetentionScheduler(dataclasses.replace(kiosk.deps, uow=store),
                                   interval=timedelta(hours=24), retry=timedelta(minutes=15))

    with caplog.at_level(logging.INFO, logger="keyuan.retention"):
        assert scheduler.tick() is None
    state = scheduler.state
    assert (state.runs, state.failures, state.consecutive_failures) == (1, 1, 1)
    assert state.last_error == "RuntimeError" and state.last_success_at is None
    assert "retention purge failed (RuntimeError)" in caplog.text
    assert "13800138000" not in caplog.text  # the type only: never the message

    kiosk.clock.advance(minutes=14)
    assert scheduler.tick() is None and scheduler.runs == 1  # the retry is not due yet
    kiosk.clock.advance(minutes=1)
    assert scheduler.tick() is None and scheduler.state.consecutive_failures == 2
    kiosk.clock.advance(minutes=15)
    assert scheduler.tick() is not None
    state = scheduler.state
    assert (state.failures, state.consecutive_failures) == (2, 0)
    assert state.last_success_at == kiosk.clock.now()
    with kiosk.deps.uow() as uow:
        assert uow.vault.count() == 0


def test_c18_the_background_thread_outlives_failing_runs(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ANN)
    kiosk.clock.advance(days=200)
    store = FailingStore(kiosk, 3)
    scheduler = RetentionScheduler(dataclasses.replace(kiosk.deps, uow=store),
                                   interval=timedelta(hours=24), retry=timedelta(minutes=15),
                                   poll=timedelta(milliseconds=10)).start()
    deadline = time.monotonic() + 10
    while scheduler.state.last_success_at is None and time.monotonic() < deadline:
        kiosk.clock.advance(minutes=15)  # the fake clock makes each retry due
        time.sleep(0.03)
    assert scheduler.running
    scheduler.stop()
    assert scheduler.state.failures == 3 and scheduler.state.last_success_at is not None
    with kiosk.deps.uow() as uow:
        assert uow.vault.count() == 0


def test_c23_processing_records_outlive_every_purge(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ANN)
    kiosk.clock.advance(days=4 * 365)
    with kiosk.deps.uow() as uow:
        first_audit: datetime = uow.audit.all()[0].at

    purge(kiosk.deps)

    with kiosk.deps.uow() as uow:
        assert uow.audit.all()[0].at == first_audit
        assert len(uow.compliance.assessments()) == 1
