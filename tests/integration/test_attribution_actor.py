"""Who acts comes from the session, never from the request body: over real HTTP, every audit
entry and review/dispute record names the logged-in account ("<role>:<username>"), and a body
that tries to name somebody else is refused (422) before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.attribution.adjudication import Decision, Evidence, Signing
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.checkin.person import Person
from keyuan.services.accounts.service import login
from support import auth
from support.live import Live, live_server

OFFICE = "demo-office"
PERIOD = {"period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("actor"), engine=FakeEngine(FaceSettings())) as s:
        yield s


class Account:
    """A logged-in account whose username the test knows."""

    def __init__(self, live: Live, role: str, *, channel: str | None = None) -> None:
        self.username = auth.make_user(live.app, role, channel=channel)
        self.actor = f"{role}:{self.username}"
        token = login(self.username, auth.PASSWORD, "bearer", live.app.deps,
                      auth.TEST_SESSIONS).token
        self.http = httpx.Client(base_url=live.base_url, timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})


def audit(live: Live, action: str) -> list[tuple[str, str | None]]:
    with live.app.deps.uow() as uow:
        return [(e.actor, e.subject) for e in uow.audit.all() if e.action == action]


def audit_count(live: Live) -> int:
    with live.app.deps.uow() as uow:
        return len(uow.audit.all())


def refused(r: httpx.Response, field: str) -> bool:
    return r.status_code == 422 and field in r.text


_serial = iter(range(100, 999))


def registered(live: Live, manager: Account) -> tuple[str, str, str]:
    """(channel id, registration id, mobile) of a fresh channel's claim."""
    mobile = f"13900{next(_serial):03d}111"
    cid = manager.http.post(f"/api/offices/{OFFICE}/channels", json={
        "kind": "distributor", "name": "分销"}).json()["channel_id"]
    rid = manager.http.post(f"/api/channels/{cid}/registrations", json={
        "customer_name": "张伟", "mobile": mobile}).json()["registration_id"]
    return cid, rid, mobile


def signing_body(mobile: str, **extra: Any) -> dict[str, Any]:
    id17 = f"44030619900307{mobile[5:8]}"
    return {"buyer_name": "张伟", "id_number": id17 + check_digit(id17), "mobile": mobile,
            "contract_price_fen": 1_000_000_00, **extra}


@pytest.fixture
def manager(live: Live) -> Iterator[Account]:
    account = Account(live, "manager")
    yield account
    account.http.close()


def test_visit_confirmation_is_recorded_as_the_logged_in_receptionist(
    live: Live, manager: Account,
) -> None:
    _, rid, mobile = registered(live, manager)
    reception = Account(live, "reception")
    before = audit_count(live)

    claimed = reception.http.post(f"/api/registrations/{rid}/visit-confirmation",
                                  json={"mobile": mobile, "staff": "reception:somebody-else"})
    assert refused(claimed, "staff") and audit_count(live) == before
    r = reception.http.post(f"/api/registrations/{rid}/visit-confirmation",
                            json={"mobile": mobile})

    assert r.status_code == 201, r.text
    actors = [a for a, _ in audit(live, "visit_confirmed")]
    assert actors[-1] == reception.actor and "reception:somebody-else" not in actors
    with live.app.deps.uow() as uow:
        visit = uow.visits.get(r.json()["visit_id"])
        assert visit is not None and visit.evidence["confirmed_by"] == reception.actor


def test_a_signing_is_decided_in_the_name_of_the_logged_in_desk(
    live: Live, manager: Account,
) -> None:
    _, _, mobile = registered(live, manager)
    desk = Account(live, "signing")

    claimed = desk.http.post(f"/api/offices/{OFFICE}/signings",
                             json=signing_body(mobile, actor="signing:the-boss"))
    assert refused(claimed, "actor")
    r = desk.http.post(f"/api/offices/{OFFICE}/signings", json=signing_body(mobile))

    assert r.status_code == 201, r.text
    assert (desk.actor, r.json()["signing_id"]) in audit(live, "attribution_decided")
    assert all(a != "signing:the-boss" for a, _ in audit(live, "attribution_decided"))


def pending_signing(live: Live) -> str:
    """A signing waiting for review (as a face-band match would leave it)."""
    now = live.clock.now()
    decision = Decision(channel_id=None, channel_kind="natural", registration_id=None,
                        reason_codes=("no_valid_registration", "face_match_needs_review"),
                        trace=(), evidence=Evidence(signed_at=now), needs_review=True)
    with live.app.deps.uow() as uow:
        person = Person.new(now=now, name="赵敏")
        uow.persons.add(person)
        signing = Signing.record(office_id=OFFICE, person_id=person.id, buyer_name="赵敏",
                                 id_hash="h" * 64, id_masked="4403**********123X",
                                 contract_price_fen=1, signed_at=now, decision=decision)
        uow.attribution.add(signing)
        uow.commit()
        return signing.id


def test_a_review_names_the_logged_in_manager_not_a_claimed_reviewer(
    live: Live, manager: Account,
) -> None:
    sid = pending_signing(live)

    claimed = manager.http.post(f"/api/signings/{sid}/review",
                                json={"reviewer": "manager:someone-else", "reason": "ok"})
    assert refused(claimed, "reviewer")
    r = manager.http.post(f"/api/signings/{sid}/review", json={"reason": "checked the video"})

    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["reviewed_by"]) == ("final", manager.actor)
    assert (manager.actor, sid) in audit(live, "attribution_reviewed")


def statement_with_deal(live: Live, manager: Account) -> tuple[str, str]:
    """(channel id, statement id) of a draft statement with one deal."""
    cid, rid, mobile = registered(live, manager)
    manager.http.post(f"/api/channels/{cid}/agreements", json={
        "kind": "fixed", "value": 1_000_000, "effective_from": "2026-01-01T00:00:00Z"})
    manager.http.post(f"/api/registrations/{rid}/visit-confirmation", json={"mobile": mobile})
    manager.http.post(f"/api/offices/{OFFICE}/signings", json=signing_body(mobile))
    st = manager.http.post(f"/api/channels/{cid}/statements", json=PERIOD).json()
    assert st["total_fen"] == 1_000_000, st
    return cid, st["statement_id"]


def test_statement_approval_and_payment_are_recorded_as_the_logged_in_finance_user(
    live: Live, manager: Account,
) -> None:
    _, sid = statement_with_deal(live, manager)
    finance = Account(live, "finance")

    claimed = finance.http.post(f"/api/statements/{sid}/approve",
                                json={"actor": "finance:cfo"})
    assert refused(claimed, "actor")
    assert manager.http.get(f"/api/statements/{sid}").json()["status"] == "draft"
    approved = finance.http.post(f"/api/statements/{sid}/approve")
    paid = finance.http.post(f"/api/statements/{sid}/paid", json={})

    assert (approved.json()["status"], paid.json()["status"]) == ("approved", "paid")
    assert (finance.actor, sid) in audit(live, "statement_approved")
    assert (finance.actor, sid) in audit(live, "statement_paid")


def test_a_dispute_is_opened_and_decided_in_the_names_of_the_logged_in_accounts(
    live: Live, manager: Account,
) -> None:
    cid, sid = statement_with_deal(live, manager)
    distributor = Account(live, "distributor", channel=cid)
    d = distributor.http.post(f"/api/channels/{cid}/statements/{sid}/disputes",
                              json={"reason": "bonus missing"})
    assert d.status_code == 201, d.text
    did = d.json()["dispute_id"]

    claimed = manager.http.post(f"/api/disputes/{did}/decision", json={
        "upheld": True, "manager": "manager:the-ceo", "reason": "agreed", "adjustment_fen": 1})
    assert refused(claimed, "manager")
    r = manager.http.post(f"/api/disputes/{did}/decision", json={
        "upheld": True, "reason": "agreed by email", "adjustment_fen": 50_000})

    assert r.status_code == 200 and r.json()["status"] == "upheld", r.text
    assert (distributor.actor, did) in audit(live, "dispute_opened")
    assert (manager.actor, did) in audit(live, "dispute_decided")
    assert all(a != "manager:the-ceo" for a, _ in audit(live, "dispute_decided"))
    with live.app.deps.uow() as uow:
        dispute = uow.attribution.dispute(did)
        assert dispute is not None and dispute.decided_by == manager.actor


def test_rules_corrections_and_agreements_take_no_actor_from_the_body(
    live: Live, manager: Account,
) -> None:
    cid, rid, mobile = registered(live, manager)
    rules = {"registration_valid_hours": 72, "protection_days": 30, "known_lookback_days": 90}

    assert refused(manager.http.put(f"/api/offices/{OFFICE}/attribution-rules",
                                    json={**rules, "actor": "x"}), "actor")
    assert refused(manager.http.post(f"/api/channels/{cid}/agreements", json={
        "kind": "fixed", "value": 1, "effective_from": "2026-01-01T00:00:00Z", "actor": "x"}),
        "actor")
    vid = manager.http.post(f"/api/registrations/{rid}/visit-confirmation",
                            json={"mobile": mobile}).json()["visit_id"]
    assert refused(manager.http.post(f"/api/visits/{vid}/corrections", json={
        "corrected_at": "2026-11-01T00:00:00Z", "reason": "typo", "actor": "x"}), "actor")
    assert manager.http.put(f"/api/offices/{OFFICE}/attribution-rules",
                            json=rules).status_code == 200
    assert manager.http.post(f"/api/visits/{vid}/corrections", json={
        "corrected_at": "2026-11-01T00:00:00Z", "reason": "typo"}).status_code == 201

    assert audit(live, "attribution_rules_set")[-1][0] == manager.actor
    assert audit(live, "visit_time_corrected")[-1][0] == manager.actor
