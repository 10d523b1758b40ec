"""The filing counter on a real store (C24): distinct people per legal entity across offices,
thresholds driven by a fake count source, and the generated filing pack (JSON + HTML)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest

from keyuan.domain.compliance import filing as filing_rules
from keyuan.domain.compliance.filing import FilingState
from keyuan.domain.errors import UnknownOffice
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.compliance.filing import filing_overview, filing_pack
from keyuan.services.compliance.pia import record_demo_pia
from keyuan.web.printing import page
from support.offices import set_up_office

from .conftest import START

if TYPE_CHECKING:
    from .conftest import Kiosk

ENTITY = "示范置业有限公司"


class FakeCounts:
    def __init__(self, people: int) -> None:
        self.people = people

    def by_legal_entity(self) -> dict[str, int]:
        return {ENTITY: self.people}


def enroll_at(k: Kiosk, office_id: str, rgb: tuple[int, int, int]) -> None:
    session, notice = kiosk_service.start_session(office_id, k.deps)
    consent = k.consent_face(session.id, notice.content_hash)
    k.enroll(session.id, consent.id, rgb)


def test_c24_the_live_count_is_distinct_people_per_legal_entity(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    set_up_office(k.deps, "second", "二号售楼处", ENTITY)
    set_up_office(k.deps, "other", "别家", "别家地产")
    set_up_office(k.deps, "empty", "空壳", "空壳公司")
    k.new_face_visitor((200, 150, 120))
    k.new_face_visitor((90, 160, 200))
    enroll_at(k, "second", (40, 90, 220))  # the same entity, another office
    enroll_at(k, "other", (220, 40, 90))
    session, notice = k.start()
    k.check_in_by_phone(session.id, notice.content_hash, "13800005555")  # no template

    statuses = {s.legal_entity: s for s in filing_overview(k.deps)}

    assert statuses[ENTITY].people == 3 and statuses[ENTITY].state is FilingState.OK
    assert statuses["别家地产"].people == 1 and statuses["空壳公司"].people == 0


def test_c24_the_crossing_is_recorded_at_the_enrollment_that_makes_it(
    store_kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch,
) -> None:
    k = store_kiosk
    monkeypatch.setattr(filing_rules, "FILING_AT", 2)  # two people stand for 100,000
    set_up_office(k.deps, "second", "二号售楼处", ENTITY)
    k.new_face_visitor((200, 150, 120))
    with k.deps.uow() as uow:
        assert uow.compliance.filing_reached() == {}
    k.clock.advance(hours=3)
    enroll_at(k, "second", (40, 90, 220))  # nobody opens a dashboard

    with k.deps.uow() as uow:
        assert uow.compliance.filing_reached() == {ENTITY: k.clock.now()}
        due = [e for e in uow.audit.all() if e.action == "filing_due"]
    assert len(due) == 1 and due[0].detail == {"legal_entity": ENTITY, "people": 2}
    assert due[0].at == k.clock.now()
    k.clock.advance(days=1)
    enroll_at(k, "second", (220, 40, 90))
    [status] = [s for s in filing_overview(k.deps) if s.legal_entity == ENTITY]
    assert status.due_since is not None and status.due_since == k.clock.now() - timedelta(days=1)
    with k.deps.uow() as uow:
        assert [e.action for e in uow.audit.all()].count("filing_due") == 1


def test_c24_warning_then_filing_due_with_its_deadline(kiosk: Kiosk) -> None:
    [warning] = filing_overview(kiosk.deps, FakeCounts(80_000))
    [due] = filing_overview(kiosk.deps, FakeCounts(100_000))
    kiosk.clock.advance(days=20)
    [later] = filing_overview(kiosk.deps, FakeCounts(99_000))

    assert warning.state is FilingState.WARNING
    assert due.state is FilingState.FILING_DUE and due.due_since == START
    assert due.deadline == date(2025, 7, 14)  # Mon 2 June 2025 + 30 Mon-Fri days
    assert later.state is FilingState.FILING_DUE and later.deadline == due.deadline
    with kiosk.deps.uow() as uow:
        assert [e.action for e in uow.audit.all()].count("filing_due") == 1


def test_c24_the_filing_pack_holds_what_the_filing_asks_for(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor((200, 150, 120))

    pack = filing_pack(ENTITY, kiosk.deps, counts=FakeCounts(100_000))
    html = page("filing.html", p=pack)

    assert pack["basic_information"]["offices"] == [kiosk.office_id]
    assert pack["basic_information"]["responsible_person"]
    assert pack["purpose_and_method"]["purpose"] and pack["rules"]["retention"]
    assert pack["count"]["state"] == "filing_due" and pack["count"]["deadline"] == "2025-07-14"
    assert pack["impact_assessment"]["demo"] is False and pack["security_measures"]
    assert ENTITY in html and "2025-07-14" in html and "演示评估" not in html

    kiosk.clock.advance(minutes=1)
    record_demo_pia(kiosk.deps, legal_entity=ENTITY)  # a demonstration is flagged as one
    demo = filing_pack(ENTITY, kiosk.deps, counts=FakeCounts(100_000))
    assert demo["impact_assessment"]["demo"] is True
    assert "演示评估" in page("filing.html", p=demo)


def test_c24_a_pack_for_an_unknown_entity_is_refused(kiosk: Kiosk) -> None:
    with pytest.raises(UnknownOffice):
        filing_pack("无此公司", kiosk.deps)
