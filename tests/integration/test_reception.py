"""The reception workspace over real HTTP on SQLite and PostgreSQL: today's visits (masked, how
each was established, first or return, the channel's claim; no biometric field), finding and
confirming an escorted visit (once, also under parallel requests), checking a visitor in on
their behalf (agreement first, nothing stored without it; once under parallel requests;
recorded and audited as such and visible in the attribution evidence), and the SMS fallback
when the gateway is down. Bad input answers with JSON error codes."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.config.sms import SmsSettings
from keyuan.domain.accounts.model import Role
from keyuan.domain.accounts.policy import POLICY, Kind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.checkin.receipt_code import format_code
from support import auth
from support.devices import kiosk_client
from support.live import Live, live_server, mobile_check_in
from support.offices import set_up_office
from support.parallel import parallel
from support.sms_gateways import ALIYUN_KEY_ID, ALIYUN_SECRET, FakeGateway, Step, fake_gateway

OFFICE = "demo-office"
BASE = f"/api/offices/{OFFICE}/reception"
TODAY_FIELDS = {"visit_id", "at", "method", "masked_mobile", "first_visit", "channel",
                "registration_id", "reason", "consultant"}
_serial = itertools.count(100)


def fresh_mobile() -> str:
    return f"1370000{next(_serial):04d}"


@pytest.fixture
def live(tmp_path: Path, store_url: str) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=FakeEngine(FaceSettings()),
                     database_url=None if store_url.startswith("sqlite") else store_url,
                     session_cookie_secure=False) as server:
        yield server


@pytest.fixture
def reception(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, Role.reception) as http:
        yield http


@pytest.fixture
def manager(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, Role.manager) as http:
        yield http


def registered(manager: httpx.Client, mobile: str, *, name: str = "张伟",
               channel: str = "甲分销") -> str:
    """A fresh channel's claim on `mobile`: its registration id."""
    cid = manager.post(f"/api/offices/{OFFICE}/channels", json={
        "kind": "distributor", "name": channel}).json()["channel_id"]
    r = manager.post(f"/api/channels/{cid}/registrations", json={
        "customer_name": name, "mobile": mobile})
    assert r.status_code == 201, r.text
    return str(r.json()["registration_id"])


def notice_hash(live: Live) -> str:
    return str(httpx.get(f"{live.base_url}/api/offices/{OFFICE}/notice").json()["content_hash"])


def behalf(mobile: str, live: Live, **extra: Any) -> dict[str, Any]:
    return {"mobile": mobile, "notice_hash": notice_hash(live), "agree": True,
            "reason": "no_phone", **extra}


def count(live: Live, table: str) -> int:
    with live.app.db.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)


def audited(live: Live, action: str) -> list[Any]:
    with live.app.deps.uow() as uow:
        return [e for e in uow.audit.all() if e.action == action]


def outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    return Counter((r.status_code, r.json().get("error", "ok")) for r in responses)


# --- today's visits ---

def test_todays_list_shows_how_each_visit_was_established_masked_and_without_biometrics(
        live: Live, reception: httpx.Client, manager: httpx.Client) -> None:
    kiosk_mobile, escorted = fresh_mobile(), fresh_mobile()
    mobile_check_in(live, kiosk_mobile)
    live.clock.advance(minutes=20)
    rid = registered(manager, escorted, channel="乙分销")
    assert reception.post(f"/api/registrations/{rid}/visit-confirmation",
                          json={"mobile": escorted}).status_code == 201

    today = reception.get(f"{BASE}/today")

    assert today.status_code == 200, today.text
    body = today.json()
    assert body["date"] == "2026-11-28" and body["office_id"] == OFFICE
    staff, phone = body["visits"]  # newest first
    assert all(set(v) == TODAY_FIELDS for v in body["visits"])
    assert phone["method"] == "phone" and phone["masked_mobile"] == kiosk_mobile[:3] + "****" \
        + kiosk_mobile[-4:] and phone["first_visit"] is True and phone["channel"] is None
    assert staff["method"] == "staff" and staff["channel"] == "乙分销"
    assert staff["registration_id"] == rid and staff["first_visit"] is True
    assert kiosk_mobile not in today.text and escorted not in today.text
    assert not {"template", "distance", "score", "image", "face"} & set(today.text.split('"'))
    assert body["sms"]["failing"] is False and body["sms"]["offline"] is True


def test_a_return_visit_is_marked_and_yesterdays_visits_are_not_listed(
        live: Live, reception: httpx.Client) -> None:
    mobile = fresh_mobile()
    mobile_check_in(live, mobile)
    live.clock.advance(days=1)
    mobile_check_in(live, mobile)

    [visit] = reception.get(f"{BASE}/today").json()["visits"]

    assert visit["first_visit"] is False and visit["method"] == "phone"


# --- 到访确认 ---

def test_reception_finds_a_claim_by_last_four_masked_full_mobile_or_id(
        live: Live, reception: httpx.Client, manager: httpx.Client) -> None:
    mobile = fresh_mobile()
    rid = registered(manager, mobile)

    found = {q: reception.get(f"{BASE}/registrations", params={"q": q}).json()
             for q in (mobile[-4:], f"{mobile[:3]}****{mobile[-4:]}", mobile, rid)}
    other = reception.get(f"{BASE}/registrations", params={"q": "0000"})

    for q, rows in found.items():
        assert [r["registration_id"] for r in rows] == [rid], q
        assert rows[0]["masked_mobile"] == f"{mobile[:3]}****{mobile[-4:]}"
        assert rows[0]["channel"] == "甲分销" and rows[0]["confirmed_today"] is False
    assert other.status_code == 200 and other.json() == []
    assert mobile not in str(list(found.values()))


@pytest.mark.parametrize("query", ["12", "abc", "138****", "1381234567", "<script>"])
def test_a_search_reception_cannot_use_is_refused_in_words(
        reception: httpx.Client, query: str) -> None:
    r = reception.get(f"{BASE}/registrations", params={"q": query})
    assert r.status_code == 422 and r.json()["error"] == "reception_query_invalid", r.text


def test_a_visit_is_confirmed_once_and_a_wrong_mobile_is_refused(
        live: Live, reception: httpx.Client, manager: httpx.Client) -> None:
    mobile = fresh_mobile()
    rid = registered(manager, mobile)
    url = f"/api/registrations/{rid}/visit-confirmation"

    wrong = reception.post(url, json={"mobile": fresh_mobile()})
    bad = reception.post(url, json={"mobile": "12"})
    first = reception.post(url, json={"mobile": mobile})
    again = reception.post(url, json={"mobile": mobile})
    unknown = reception.post("/api/registrations/0123456789abcdef01234567/visit-confirmation",
                             json={"mobile": mobile})

    assert (wrong.status_code, wrong.json()["error"]) == (422, "invalid_registration")
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_mobile")
    assert first.status_code == 201, first.text
    assert (again.status_code, again.json()["error"]) == (409, "visit_already_confirmed")
    assert again.json()["details"]["visit_id"] == first.json()["visit_id"]
    assert unknown.status_code == 422 and unknown.json()["error"] == "invalid_registration"
    found = reception.get(f"{BASE}/registrations", params={"q": rid}).json()
    assert found[0]["confirmed_today"] is True
    assert len(audited(live, "visit_confirmed")) == 1


def test_parallel_confirmations_of_one_claim_record_one_visit(
        live: Live, reception: httpx.Client, manager: httpx.Client) -> None:
    mobile = fresh_mobile()
    rid = registered(manager, mobile)
    before = count(live, "visits")

    answers = parallel(6, lambda _: reception.post(
        f"/api/registrations/{rid}/visit-confirmation", json={"mobile": mobile}))

    assert outcomes(answers) == Counter({(201, "ok"): 1, (409, "visit_already_confirmed"): 5})
    assert count(live, "visits") == before + 1
    assert len(audited(live, "visit_confirmed")) == 1



def test_a_masked_claim_is_confirmed_once_whichever_fitting_number_is_given(
        live: Live, reception: httpx.Client, manager: httpx.Client) -> None:
    """A masked 报备 fits many full numbers: two at once (or one after the other) still confirm
    the one claim once."""
    mobile = fresh_mobile()
    other = mobile[:3] + ("0000" if mobile[3:7] != "0000" else "1111") + mobile[7:]
    rid = registered(manager, f"{mobile[:3]}****{mobile[-4:]}")
    before = count(live, "visits")

    answers = parallel(2, lambda i: reception.post(
        f"/api/registrations/{rid}/visit-confirmation", json={"mobile": (mobile, other)[i]}))
    again = reception.post(f"/api/registrations/{rid}/visit-confirmation",
                           json={"mobile": other})

    assert outcomes(answers) == Counter({(201, "ok"): 1, (409, "visit_already_confirmed"): 1})
    assert again.status_code == 409 and again.json()["error"] == "visit_already_confirmed"
    assert count(live, "visits") == before + 1
    assert len(audited(live, "visit_confirmed")) == 1


# --- 前台代登记 ---

def test_a_visitor_without_a_phone_is_checked_in_by_reception_recorded_and_audited(
        live: Live, reception: httpx.Client) -> None:
    mobile = fresh_mobile()

    done = reception.post(f"{BASE}/check-ins", json=behalf(mobile, live, name="李雷"))

    assert done.status_code == 201, done.text
    body = done.json()
    assert (body["method"], body["reason"]) == ("reception", "no_phone")
    assert body["masked_mobile"] == f"{mobile[:3]}****{mobile[-4:]}"
    with live.app.deps.uow() as uow:
        visit = uow.visits.get(body["visit_id"])
        consent = uow.consents.get(body["receipt_id"])
    assert visit is not None and consent is not None
    assert visit.evidence["reason"] == "no_phone" and visit.evidence["by"].startswith(
        "reception:")
    assert consent.method == "reception_no_phone" and consent.scope.value == "phone"
    [entry] = audited(live, "visit_checked_in_by_reception")
    assert entry.actor.startswith("reception:") and entry.detail["visit"] == visit.id
    [row] = reception.get(f"{BASE}/today").json()["visits"]
    assert (row["method"], row["reason"], row["first_visit"]) == ("reception", "no_phone", True)
    assert body["receipt_code"] == format_code(consent.receipt_code)  # the print link's name
    receipt = httpx.get(f"{live.base_url}/api/receipts/{body['receipt_id']}")
    assert receipt.status_code == 200
    printed = httpx.get(f"{live.base_url}/api/receipts/{body['receipt_code']}/print")
    assert printed.status_code == 200


def test_a_number_that_agreed_before_gets_no_receipt_handed_out_at_the_desk(
        live: Live, reception: httpx.Client) -> None:
    """Anyone may state a number at the desk and no SMS code proves it: the number's earlier
    receipt (its code opens and withdraws that consent) stays with its owner."""
    mobile = fresh_mobile()
    own = mobile_check_in(live, mobile)  # the owner checked in at the kiosk with an SMS code

    done = reception.post(f"{BASE}/check-ins", json=behalf(mobile, live))

    assert done.status_code == 201, done.text
    assert done.json()["receipt_id"] is None and done.json()["receipt_code"] is None
    assert own["receipt"]["receipt_code"] not in done.text
    assert own["receipt"]["receipt_id"] not in done.text


def test_without_the_visitors_agreement_nothing_about_them_is_stored(
        live: Live, reception: httpx.Client) -> None:
    tables = ("persons", "consents", "visits")
    before = {t: count(live, t) for t in tables}

    refused = reception.post(f"{BASE}/check-ins",
                             json=behalf(fresh_mobile(), live, agree=False))

    assert (refused.status_code, refused.json()["error"]) == (403, "consent_missing")
    assert {t: count(live, t) for t in tables} == before


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"mobile": "12345"}, 422, "invalid_mobile"),
    ({"notice_hash": "0" * 64}, 409, "notice_mismatch"),
    ({"notice_hash": "short"}, 422, "invalid_request"),
    ({"reason": "because"}, 422, "invalid_request"),
    ({"agree": "maybe"}, 422, "invalid_request"),
    ({"by": "reception:someone-else"}, 422, "invalid_request"),
    ({"name": "x" * 200}, 422, "invalid_request"),
])
def test_bad_check_in_input_is_refused_with_a_json_code_and_stores_nothing(
        live: Live, reception: httpx.Client, change: dict[str, Any], status: int,
        code: str) -> None:
    before = count(live, "persons")
    r = reception.post(f"{BASE}/check-ins", json={**behalf(fresh_mobile(), live), **change})
    assert (r.status_code, r.json()["error"]) == (status, code), r.text
    assert count(live, "persons") == before


def test_an_unknown_office_is_refused(live: Live, reception: httpx.Client) -> None:
    r = reception.post("/api/offices/nowhere/reception/check-ins",
                       json=behalf(fresh_mobile(), live))
    today = reception.get("/api/offices/nowhere/reception/today")
    assert (r.status_code, r.json()["error"]) == (404, "unknown_office")
    assert (today.status_code, today.json()["error"]) == (404, "unknown_office")


def test_parallel_check_ins_on_behalf_of_one_visitor_record_one_visit_and_one_consent(
        live: Live, reception: httpx.Client) -> None:
    body = behalf(fresh_mobile(), live)
    before = {t: count(live, t) for t in ("persons", "consents", "visits")}

    answers = parallel(6, lambda _: reception.post(f"{BASE}/check-ins", json=body))

    assert outcomes(answers) == Counter({(201, "ok"): 6})
    assert len({a.json()["visit_id"] for a in answers}) == 1
    assert len({a.json()["receipt_id"] for a in answers}) == 1
    assert {t: count(live, t) - before[t] for t in before} == {
        "persons": 1, "consents": 1, "visits": 1}
    assert len(audited(live, "visit_checked_in_by_reception")) == 1


def test_a_reception_check_in_shows_as_such_in_the_signing_desks_evidence(
        live: Live, reception: httpx.Client, manager: httpx.Client) -> None:
    mobile = fresh_mobile()
    reception.post(f"{BASE}/check-ins", json=behalf(mobile, live, name="韩梅梅"))
    id17 = f"44030619900307{mobile[-3:]}"
    with auth.client(live.base_url, live.app, Role.signing) as desk:
        signed = desk.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "韩梅梅", "id_number": id17 + check_digit(id17), "mobile": mobile,
            "contract_price_fen": 1_000_000_00})
    assert signed.status_code == 201, signed.text
    visits = signed.json()["decision"]["evidence"]["visits"]
    assert [v["method"] for v in visits] == ["reception"]


# --- who may ---

def test_only_reception_and_admin_use_the_workspace(live: Live) -> None:
    # 扫码带访 confirms a visit as 到访确认 does, so it follows that rule (the desk roles)
    escorts = "POST /api/offices/{office_id}/reception/escorts"
    assert POLICY[escorts] == POLICY["POST /api/registrations/{registration_id}/visit-confirmation"]
    reception_routes = [key for key in POLICY if "/reception" in key and key != escorts]
    assert sorted(reception_routes) == sorted([
        "GET /reception", "GET /api/offices/{office_id}/reception/today",
        "GET /api/offices/{office_id}/reception/registrations",
        "POST /api/offices/{office_id}/reception/check-ins"])
    for key in reception_routes:
        rule = POLICY[key]
        assert rule.kind is Kind.staff and rule.staff == {Role.reception, Role.admin}, key
        assert not rule.biometric
    for role in (Role.sales, Role.manager, Role.compliance):
        with auth.client(live.base_url, live.app, role) as http:
            assert http.get(f"{BASE}/today").status_code == 403
    assert httpx.get(f"{live.base_url}{BASE}/today").status_code == 401
    with auth.client(live.base_url, live.app, Role.admin) as admin:
        assert admin.get(f"{BASE}/today").status_code == 200


def test_reception_lands_on_its_workspace_and_its_menu_has_no_visitor_kiosk(live: Live) -> None:
    name = auth.make_user(live.app, Role.reception)
    with httpx.Client(base_url=live.base_url, timeout=30,
                      headers={"Accept": "text/html"}) as browser:
        auth.cookie_login(browser, name)
        home = browser.get("/", follow_redirects=False)
        page = browser.get("/reception")
    assert home.status_code in (302, 303, 307) and home.headers["location"] == "/reception"
    assert page.status_code == 200 and 'href="/reception"' in page.text
    assert 'href="/kiosk"' not in page.text
    assert 'id="behalf-form"' in page.text and 'id="rights-form"' in page.text


def test_the_page_says_so_when_the_office_has_no_notice_to_show(tmp_path: Path) -> None:
    with live_server(tmp_path / "bare", engine=None, face_module="off", office=False,
                     assess=False, session_cookie_secure=False) as bare:
        set_up_office(bare.app.deps, "second-office", "第二售楼处")
        with bare.app.deps.uow() as uow:
            has_notice = uow.notices.active("second-office", "zh-CN") is not None
        headers = {**auth.bearer(bare.app, Role.reception), "Accept": "text/html"}
        page = httpx.get(f"{bare.base_url}/reception", headers=headers)
    assert page.status_code == 200 and "第二售楼处" in page.text
    assert ('id="behalf-form"' in page.text) is has_notice


# --- the SMS fallback ---

@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with fake_gateway("aliyun") as fake:
        yield fake


@pytest.fixture
def live_sms(tmp_path: Path, store_url: str, gateway: FakeGateway) -> Iterator[Live]:
    settings = SmsSettings(provider="aliyun", sign_name="客源", template_check_in="SMS_4712",
                           template_rights="SMS_4713", endpoint=gateway.base_url,
                           access_key_id=ALIYUN_KEY_ID,  # type: ignore[arg-type]
                           access_key_secret=ALIYUN_SECRET,  # type: ignore[arg-type]
                           timeout_seconds=0.5, attempts=2, backoff_seconds=0)
    with live_server(tmp_path / "sms", engine=None, face_module="off",
                     database_url=None if store_url.startswith("sqlite") else store_url,
                     configured_sender=True, sms=settings) as server:
        yield server


def test_when_the_gateway_is_down_the_kiosk_sends_the_visitor_to_reception_who_checks_them_in(
        live_sms: Live, gateway: FakeGateway) -> None:
    mobile = fresh_mobile()
    with auth.client(live_sms.base_url, live_sms.app, Role.reception) as desk:
        healthy = desk.get(f"{BASE}/today").json()["sms"]
        gateway.script = [Step("sleep", seconds=1.5)] * 2
        with kiosk_client(live_sms, timeout=30) as tablet:
            sid = tablet.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()[
                "session_id"]
            sent = tablet.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": mobile})
        failing = desk.get(f"{BASE}/today").json()["sms"]
        done = desk.post(f"{BASE}/check-ins", json=behalf(mobile, live_sms,
                                                           reason="sms_unavailable"))
        [row] = desk.get(f"{BASE}/today").json()["visits"]

    assert (healthy["failing"], healthy["offline"], healthy["provider"]) == (False, False,
                                                                            "aliyun")
    assert (sent.status_code, sent.json()["error"]) == (503, "sms_gateway_unavailable")
    assert failing["failing"] is True and failing["recent"][0]["outcome"] == "unavailable"
    assert done.status_code == 201 and done.json()["reason"] == "sms_unavailable"
    assert (row["method"], row["reason"]) == ("reception", "sms_unavailable")


def test_the_kiosk_page_tells_the_visitor_to_ask_reception_when_codes_fail() -> None:
    from keyuan.web.i18n import catalog

    for lang, word in (("zh-CN", "前台"), ("en", "reception")):
        assert word in catalog()[lang]["errors.sms_gateway_unavailable"]

