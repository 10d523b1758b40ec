"""Exactly once under parallel requests, on SQLite and PostgreSQL: real HTTP against a live
server, the requests of one race released together by a barrier. Each test is a race that paid
money twice, decided a status twice, crashed or joined two people before."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from keyuan.adapters.store.tables import attribution as attribution_tables
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services import idempotency
from support import auth
from support.devices import tablet_headers
from support.live import Live
from support.parallel import together
from support.sequences import fake_shots

OFFICE = "demo-office"
ALICE = (30, 200, 90)
PARALLEL = 4


@pytest.fixture
def admin(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, "admin") as http:
        yield http



def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def audit_actions(live: Live, subject: str) -> Counter[str]:
    with live.app.deps.uow() as uow:
        return Counter(e.action for e in uow.audit.all() if e.subject == subject)


def id_number(serial: int) -> str:
    first17 = f"44030619900307{serial:03d}"
    return first17 + check_digit(first17)


def channel(http: httpx.Client, name: str = "链家分销") -> str:
    r = http.post(f"/api/offices/{OFFICE}/channels", json={"kind": "distributor", "name": name})
    assert r.status_code == 201, r.text
    cid = str(r.json()["channel_id"])
    r = http.post(f"/api/channels/{cid}/agreements", json={
        "kind": "fixed", "value": 500_000, "effective_from": "2026-01-01T00:00:00+08:00"})
    assert r.status_code == 201, r.text
    return cid


def won_deal(live: Live, http: httpx.Client, cid: str, serial: int) -> str:
    """A registered, escorted and signed customer of the channel: the final signing's id."""
    mobile = f"1361234{serial:04d}"
    r = http.post(f"/api/channels/{cid}/registrations",
                  json={"customer_name": "李雷", "mobile": mobile})
    assert r.status_code == 201, r.text
    live.clock.advance(hours=1)
    r = http.post(f"/api/registrations/{r.json()['registration_id']}/visit-confirmation",
                  json={"mobile": mobile})
    assert r.status_code == 201, r.text
    live.clock.advance(hours=1)
    r = http.post(f"/api/offices/{OFFICE}/signings", json=signing_body(serial, mobile))
    assert r.status_code == 201 and r.json()["status"] == "final", r.text
    return str(r.json()["signing_id"])


def signing_body(serial: int, mobile: str, **extra: Any) -> dict[str, Any]:
    return {"buyer_name": "李雷", "id_number": id_number(serial), "mobile": mobile,
            "contract_price_fen": 2_800_000_00, **extra}


def statement(http: httpx.Client, cid: str, start: str, end: str) -> httpx.Response:
    return http.post(f"/api/channels/{cid}/statements",
                     json={"period_start": start, "period_end": end})


NOV = ("2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00")
MID_NOV = ("2026-11-15T00:00:00+08:00", "2026-12-15T00:00:00+08:00")


# --- statements ---------------------------------------------------------------------------

def test_a_dispute_decided_four_times_in_parallel_adjusts_the_statement_once(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    won_deal(live, admin, cid, 1)
    sid = statement(admin, cid, *NOV).json()["statement_id"]
    r = admin.post(f"/api/channels/{cid}/statements/{sid}/disputes", json={"reason": "少算一单"})
    assert r.status_code == 201, r.text
    did = r.json()["dispute_id"]

    answers = together(PARALLEL, lambda http, _: http.post(
        f"/api/disputes/{did}/decision",
        json={"upheld": True, "reason": "核实", "adjustment_fen": 50_000}),
        live.base_url, admin.headers)

    assert statuses(answers) == {200: 1, 409: PARALLEL - 1}
    lines = admin.get(f"/api/statements/{sid}").json()["lines"]
    assert [line["amount_fen"] for line in lines if line["signing_id"] is None] == [50_000]
    assert audit_actions(live, did)["dispute_decided"] == 1


def test_approve_and_paid_in_parallel_each_happen_once_with_one_audit_entry(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    won_deal(live, admin, cid, 2)
    sid = statement(admin, cid, *NOV).json()["statement_id"]

    approved = together(PARALLEL, lambda http, _: http.post(f"/api/statements/{sid}/approve"),
                        live.base_url, admin.headers)
    paid = together(PARALLEL, lambda http, _: http.post(f"/api/statements/{sid}/paid"),
                    live.base_url, admin.headers)

    assert statuses(approved) == {200: 1, 409: PARALLEL - 1}
    assert statuses(paid) == {200: 1, 409: PARALLEL - 1}
    assert {r.json()["error"] for r in approved + paid if r.status_code == 409} == {
        "statement_state"}
    actions = audit_actions(live, sid)
    assert (actions["statement_approved"], actions["statement_paid"]) == (1, 1)


def test_overlapping_statements_of_one_channel_are_refused_and_a_deal_is_paid_once(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    deal = won_deal(live, admin, cid, 3)  # signed 2026-11-28, inside both periods

    answers = together(2, lambda http, i: statement(http, cid, *(NOV, MID_NOV)[i]),
                       live.base_url, admin.headers)

    assert statuses(answers) == {201: 1, 409: 1}
    refused = next(r for r in answers if r.status_code == 409).json()
    assert refused["error"] == "statement_period_overlap"
    first = next(r for r in answers if r.status_code == 201).json()
    assert [line["signing_id"] for line in first["lines"]] == [deal]
    assert refused["details"]["statement_id"] == first["statement_id"]


def test_one_period_built_in_parallel_is_one_statement_holding_each_deal_once(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    deal = won_deal(live, admin, cid, 11)

    answers = together(PARALLEL, lambda http, _: statement(http, cid, *NOV), live.base_url,
                       admin.headers)

    assert statuses(answers) == {201: PARALLEL}, [r.text for r in answers]
    assert len({r.json()["statement_id"] for r in answers}) == 1
    assert all([line["signing_id"] for line in r.json()["lines"]] == [deal] for r in answers)


def test_a_voided_statement_frees_its_deals_for_the_next_one(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    deal = won_deal(live, admin, cid, 4)
    first = statement(admin, cid, *NOV).json()["statement_id"]
    assert admin.post(f"/api/statements/{first}/approve").status_code == 200

    r = admin.post(f"/api/statements/{first}/void", json={"reason": "周期选错"})
    assert (r.status_code, r.json()["status"]) == (200, "void"), r.text
    for step, body in (("send-to-review", {"reason": "重新核对"}), ("review", {"reason": "维持"})):
        r = admin.post(f"/api/signings/{deal}/{step}", json=body)  # a void statement pays nothing
        assert r.status_code == 200, r.text
    second = statement(admin, cid, *MID_NOV)

    assert second.status_code == 201, second.text
    assert [line["signing_id"] for line in second.json()["lines"]] == [deal]
    again = admin.post(f"/api/statements/{first}/approve")
    assert (again.status_code, again.json()["error"]) == (409, "statement_state")
    assert audit_actions(live, first)["statement_voided"] == 1


def test_the_store_refuses_a_deal_on_two_statements(live: Live, admin: httpx.Client) -> None:
    cid = channel(admin)
    deal = won_deal(live, admin, cid, 5)
    assert [line["signing_id"] for line in statement(admin, cid, *NOV).json()["lines"]] == [deal]
    other = statement(admin, cid, "2026-12-01T00:00:00+08:00",
                      "2027-01-01T00:00:00+08:00").json()["statement_id"]

    with pytest.raises(IntegrityError), live.app.db.begin() as conn:
        conn.execute(insert(attribution_tables.statement_deals).values(
            signing_id=deal, statement_id=other))


# --- signings -----------------------------------------------------------------------------

def test_the_same_buyer_posted_in_parallel_signs_once(live: Live, admin: httpx.Client) -> None:
    body = signing_body(6, "13712340006", unit="3-1201")

    answers = together(PARALLEL, lambda http, _: http.post(f"/api/offices/{OFFICE}/signings",
                                                           json=body),
                       live.base_url, admin.headers)

    assert statuses(answers) == {201: 1, 409: PARALLEL - 1}
    signed = next(r for r in answers if r.status_code == 201).json()["signing_id"]
    for refused in (r.json() for r in answers if r.status_code == 409):
        assert refused["error"] == "duplicate_signing"
        assert refused["details"]["signing_id"] == signed


def test_the_same_buyer_posted_again_two_seconds_later_is_refused_with_the_first_signing(
    live: Live, admin: httpx.Client,
) -> None:
    body = signing_body(7, "13712340007")
    first = admin.post(f"/api/offices/{OFFICE}/signings", json=body)
    live.clock.advance(seconds=2)

    again = admin.post(f"/api/offices/{OFFICE}/signings", json=body)
    other_unit = admin.post(f"/api/offices/{OFFICE}/signings", json={**body, "unit": "5-0802"})
    live.clock.advance(seconds=live.app.settings.signing_duplicate_seconds + 1)
    later = admin.post(f"/api/offices/{OFFICE}/signings", json=body)

    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()["error"]) == (409, "duplicate_signing")
    assert again.json()["details"]["signing_id"] == first.json()["signing_id"]
    assert other_unit.status_code == 201  # a second flat is a second sale
    assert later.status_code == 201  # outside the window: a deliberate second signing


def test_send_to_review_and_the_review_in_parallel_each_happen_once(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    signing = won_deal(live, admin, cid, 10)

    sent = together(PARALLEL, lambda http, _: http.post(
        f"/api/signings/{signing}/send-to-review", json={"reason": "渠道有异议"}),
        live.base_url, admin.headers)
    reviewed = together(PARALLEL, lambda http, i: http.post(
        f"/api/signings/{signing}/review", json={"reason": f"复核 {i}", "confirm": True}),
        live.base_url, admin.headers)

    assert statuses(sent) == {200: 1, 409: PARALLEL - 1}
    assert statuses(reviewed) == {200: 1, 409: PARALLEL - 1}
    assert {r.json()["error"] for r in reviewed if r.status_code == 409} == {
        "review_not_pending"}
    actions = audit_actions(live, signing)
    assert (actions["attribution_sent_to_review"], actions["attribution_reviewed"]) == (1, 1)


# --- kiosk --------------------------------------------------------------------------------

def kiosk_session(http: httpx.Client) -> tuple[str, str]:
    r = http.post("/api/kiosk/sessions", json={"office_id": OFFICE})
    assert r.status_code == 201, r.text
    return r.json()["session_id"], r.json()["notice"]["content_hash"]


def code_for(live: Live, http: httpx.Client, sid: str, mobile: str) -> str:
    r = http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": mobile})
    assert r.status_code == 202, r.text
    return live.last_code()


def persons_with_visits(live: Live) -> dict[str, int]:
    with live.app.deps.uow() as uow:
        return dict(Counter(v.person_id for v in uow.visits.for_office(OFFICE)))


def test_a_new_mobile_from_parallel_sessions_is_one_person_with_one_visit(live: Live) -> None:
    mobile = "13912345678"
    with httpx.Client(base_url=live.base_url, timeout=30, headers=tablet_headers(live)) as http:
        sessions = [kiosk_session(http) for _ in range(PARALLEL)]
        codes = [code_for(live, http, sid, mobile) for sid, _ in sessions]

    answers = together(PARALLEL, lambda http, i: http.post(
        f"/api/kiosk/sessions/{sessions[i][0]}/phone-check-in", json={
            "mobile": mobile, "code": codes[i], "notice_hash": sessions[i][1], "agree": True}),
        live.base_url, tablet_headers(live))

    assert statuses(answers) == {201: PARALLEL}, [r.text for r in answers]
    assert len({r.json()["visit_id"] for r in answers}) == 1
    with live.app.deps.uow() as uow:
        person = uow.persons.by_mobile_hash(live.app.deps.hasher.mobile(mobile))
    assert person is not None and persons_with_visits(live) == {person.id: 1}


def enrolled_face(http: httpx.Client) -> tuple[str, str]:
    """A face check-in over the kiosk API: (session id, receipt id)."""
    sid, notice = kiosk_session(http)
    consent = http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
        "notice_hash": notice, "age_14_or_over": True, "agree": True})
    assert consent.status_code == 201, consent.text
    receipt = consent.json()["receipt_id"]
    r = http.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
        "consent_id": receipt, **fake_shots(ALICE).wire()})
    assert r.status_code == 201, r.text
    return sid, receipt


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_ten_returns_within_a_moment_are_one_visit(live: Live) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30, headers=tablet_headers(live)) as http:
        _, receipt = enrolled_face(http)
        live.clock.advance(hours=2)
        sessions = [kiosk_session(http)[0] for _ in range(10)]

    answers = together(10, lambda http, i: http.post(
        f"/api/kiosk/sessions/{sessions[i]}/return",
        json={"receipt_id": receipt, **fake_shots(ALICE).wire()}), live.base_url,
        tablet_headers(live))

    assert statuses(answers) == {201: 10}, [r.text for r in answers]
    assert len({r.json()["visit_id"] for r in answers}) == 1
    assert list(persons_with_visits(live).values()) == [2]  # the enrollment and one return


def test_a_session_that_checked_in_a_face_does_not_join_a_mobile_to_it(live: Live) -> None:
    known = "13812340001"
    with httpx.Client(base_url=live.base_url, timeout=30, headers=tablet_headers(live)) as http:
        sid, notice = kiosk_session(http)  # someone else checked in by mobile earlier
        r = http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
            "mobile": known, "code": code_for(live, http, sid, known), "notice_hash": notice,
            "agree": True})
        assert r.status_code == 201, r.text
        face_sid, receipt = enrolled_face(http)
        answers = [http.post(f"/api/kiosk/sessions/{face_sid}/phone-check-in", json={
            "mobile": mobile, "code": code_for(live, http, face_sid, mobile),
            "notice_hash": notice, "agree": True}) for mobile in ("13812349999", known)]

    assert [(r.status_code, r.json()["error"]) for r in answers] == [
        (409, "session_person_mismatch")] * 2
    with live.app.deps.uow() as uow:
        face_person = uow.consents.get(receipt)
        assert face_person is not None
        person = uow.persons.get(face_person.person_id)
        assert person is not None and person.mobile is None  # no code for /me goes elsewhere
        assert uow.persons.by_mobile_hash(live.app.deps.hasher.mobile("13812349999")) is None


# --- Idempotency-Key ----------------------------------------------------------------------

def test_a_retried_signing_with_its_idempotency_key_gets_the_first_answer(
    live: Live, admin: httpx.Client,
) -> None:
    body = signing_body(8, "13712340008")
    key = {"Idempotency-Key": "desk-7f3a-0001"}

    first = admin.post(f"/api/offices/{OFFICE}/signings", json=body, headers=key)
    live.clock.advance(seconds=5)
    again = admin.post(f"/api/offices/{OFFICE}/signings", json=body, headers=key)
    other = admin.post(f"/api/offices/{OFFICE}/signings", json={**body, "unit": "9-0101"},
                       headers=key)

    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
    assert again.json() == first.json()
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")
    assert audit_actions(live, first.json()["signing_id"])["attribution_decided"] == 1


def test_parallel_posts_with_one_idempotency_key_run_once(
    live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    won_deal(live, admin, cid, 9)
    sid = statement(admin, cid, *NOV).json()["statement_id"]
    key = {**admin.headers, "Idempotency-Key": f"approve-{sid}"}

    answers = together(PARALLEL, lambda http, _: http.post(f"/api/statements/{sid}/approve"),
                       live.base_url, key)

    assert statuses(answers) == {200: PARALLEL}, [r.text for r in answers]
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == PARALLEL - 1
    assert len({r.content for r in answers}) == 1
    assert audit_actions(live, sid)["statement_approved"] == 1


def test_an_idempotency_key_is_kept_per_caller(live: Live, admin: httpx.Client) -> None:
    cid = channel(admin)
    key = {"Idempotency-Key": "same-key"}
    mine = statement_with(admin, cid, key)
    with auth.client(live.base_url, live.app, "finance") as finance:
        theirs = statement_with(finance, cid, key, period=MID_NOV)

    assert mine.status_code == 201
    assert (theirs.status_code, theirs.json()["error"]) == (409, "statement_period_overlap")
    assert "idempotent-replayed" not in theirs.headers


def statement_with(http: httpx.Client, cid: str, headers: dict[str, str],
                   period: tuple[str, str] = NOV) -> httpx.Response:
    return http.post(f"/api/channels/{cid}/statements", headers=headers,
                     json={"period_start": period[0], "period_end": period[1]})


def test_a_session_whose_face_consent_checked_nobody_in_may_return_as_someone_on_file(
    live: Live,
) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30, headers=tablet_headers(live)) as http:
        _, receipt = enrolled_face(http)
        live.clock.advance(hours=2)
        sid, notice = kiosk_session(http)  # the kiosk's "possibly checked in before" path
        consent = http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": notice, "age_14_or_over": True, "agree": True})
        assert consent.status_code == 201, consent.text

        back = http.post(f"/api/kiosk/sessions/{sid}/return",
                         json={"receipt_id": receipt, **fake_shots(ALICE).wire()})

    assert back.status_code == 201, back.text


def test_a_claim_left_running_by_a_stopped_server_is_taken_over_after_a_while(
    live: Live,
) -> None:
    deps = live.app.deps
    assert idempotency.claim("caller", "k1", "body", deps) is idempotency.Claim.RUN

    waiting = idempotency.claim("caller", "k1", "body", deps)
    live.clock.advance(seconds=idempotency.STALE.total_seconds() + 1)
    retried = idempotency.claim("caller", "k1", "body", deps)

    assert (waiting, retried) == (idempotency.Claim.RUNNING, idempotency.Claim.RUN)
