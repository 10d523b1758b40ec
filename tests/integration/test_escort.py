"""扫码带访 over real HTTP on SQLite and PostgreSQL: an agent's pass for its own registration,
drawn as a QR code; reception's scan (or typed code) confirms the escorted visit once, through
the one 到访确认, with the escort in the visit's evidence and the audit log; replay, expiry,
another office's pass, a registration an escort can no longer validate and a forged signature
are refused with JSON error codes, nothing confirmed; parallel scans of one pass confirm once."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.idcard import check_digit
from support import auth
from support.live import Live
from support.offices import set_up_office
from support.parallel import together

OFFICE = "demo-office"
_serial = itertools.count(300)


def fresh_mobile() -> str:
    return f"1370001{next(_serial):04d}"


@pytest.fixture
def manager(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, Role.manager) as http:
        yield http


@pytest.fixture
def reception(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, Role.reception) as http:
        yield http


def channel(manager: httpx.Client, office: str = OFFICE, name: str = "甲分销") -> str:
    r = manager.post(f"/api/offices/{office}/channels", json={"kind": "distributor",
                                                              "name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["channel_id"])


def registered(manager: httpx.Client, cid: str, mobile: str) -> str:
    agent = manager.post(f"/api/channels/{cid}/agents", json={"name": "李四"}).json()
    r = manager.post(f"/api/channels/{cid}/registrations", json={
        "customer_name": "张伟", "mobile": mobile, "agent_id": agent["agent_id"]})
    assert r.status_code == 201, r.text
    return str(r.json()["registration_id"])


def agent_client(live: Live, cid: str) -> httpx.Client:
    return auth.client(live.base_url, live.app, Role.agent, channel=cid)


def issue(agent: httpx.Client, cid: str, rid: str) -> dict[str, Any]:
    r = agent.post(f"/api/channels/{cid}/registrations/{rid}/escort-pass")
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    return dict(r.json())


def scan(reception: httpx.Client, body: dict[str, Any],
         office: str = OFFICE) -> httpx.Response:
    return reception.post(f"/api/offices/{office}/reception/escorts", json=body)


def count(live: Live, sql: str) -> int:
    with live.app.db.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def audited(live: Live, action: str) -> list[Any]:
    with live.app.deps.uow() as uow:
        return [e for e in uow.audit.all() if e.action == action]


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"] == code and r.json()["message"]


@pytest.fixture
def pass_for(live: Live, manager: httpx.Client) -> Iterator[Any]:
    """(agent client, channel, registration, mobile, pass) for a fresh claim."""
    clients: list[httpx.Client] = []

    def make(office: str = OFFICE) -> tuple[httpx.Client, str, str, str, dict[str, Any]]:
        cid = channel(manager, office)
        mobile = fresh_mobile()
        rid = registered(manager, cid, mobile)
        agent = agent_client(live, cid)
        clients.append(agent)
        return agent, cid, rid, mobile, issue(agent, cid, rid)

    yield make
    for client in clients:
        client.close()


def test_the_agents_qr_scanned_at_reception_confirms_the_escorted_visit_with_its_evidence(
        live: Live, reception: httpx.Client, pass_for: Any) -> None:
    agent, cid, rid, mobile, issued = pass_for()
    assert issued["registration_id"] == rid and issued["office_id"] == OFFICE
    assert issued["masked_mobile"] == f"{mobile[:3]}****{mobile[-4:]}"
    assert issued["token"].startswith(f"KYE1.{issued['pass_id']}.")
    assert len(issued["code"]) == 9 and issued["code"][4] == "-"
    qr = agent.get(issued["qr_url"])
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in qr.text and qr.headers["cache-control"] == "no-store"

    live.clock.advance(minutes=2)
    done = scan(reception, {"token": issued["token"], "mobile": mobile})

    assert done.status_code == 201, done.text
    body = done.json()
    assert body["method"] == "staff" and body["via"] == "qr" and body["registration_id"] == rid
    assert body["agent"].startswith("agent:") and body["agent_name"] == "李四"
    assert mobile not in done.text
    with live.app.deps.uow() as uow:
        visit = uow.visits.get(body["visit_id"])
        assert visit is not None and visit.at == live.clock.now()
        escort = visit.evidence["escort"]
        assert escort["pass"] == issued["pass_id"] and escort["via"] == "qr"
        assert escort["agent"] == body["agent"] and escort["agent_name"] == "李四"
        used = uow.escort_passes.lock(issued["pass_id"])
        assert used is not None and used.visit_id == visit.id and used.used_at == visit.at
    confirmed = audited(live, "visit_confirmed")
    assert len(confirmed) == 1 and confirmed[0].detail["escort"] == issued["pass_id"]
    assert len(audited(live, "escort_pass_issued")) == 1
    claims = agent.get(f"/api/channels/{cid}/registrations").json()
    assert [(c["registration_id"], c["status"]) for c in claims] == [(rid, "valid")]


def test_the_typed_short_code_confirms_the_same_way(
        live: Live, reception: httpx.Client, pass_for: Any) -> None:
    _, _, rid, mobile, issued = pass_for()
    typed = issued["code"].lower().replace("-", " ")

    done = scan(reception, {"code": typed, "mobile": mobile})

    assert done.status_code == 201, done.text
    assert done.json()["via"] == "code" and done.json()["registration_id"] == rid


def test_a_replayed_pass_is_refused_and_audited_nothing_more_confirmed(
        live: Live, reception: httpx.Client, pass_for: Any) -> None:
    _, _, _, mobile, issued = pass_for()
    assert scan(reception, {"token": issued["token"], "mobile": mobile}).status_code == 201
    visits = count(live, "SELECT count(*) FROM visits")

    refused(scan(reception, {"token": issued["token"], "mobile": mobile}), 409,
            "escort_pass_used")
    refused(scan(reception, {"code": issued["code"], "mobile": mobile}), 409, "escort_pass_used")

    assert count(live, "SELECT count(*) FROM visits") == visits
    assert [e.detail["error"] for e in audited(live, "escort_pass_refused")] == [
        "escort_pass_used", "escort_pass_used"]


def test_an_expired_pass_is_refused(live: Live, reception: httpx.Client, pass_for: Any) -> None:
    _, _, _, mobile, issued = pass_for()
    live.clock.advance(minutes=5)

    refused(scan(reception, {"token": issued["token"], "mobile": mobile}), 410,
            "escort_pass_expired")
    refused(scan(reception, {"code": issued["code"], "mobile": mobile}), 410,
            "escort_pass_expired")
    assert count(live, "SELECT count(*) FROM visits") == 0
    assert count(live, "SELECT count(*) FROM escort_passes WHERE used_at IS NOT NULL") == 0


def test_another_offices_pass_is_refused(live: Live, reception: httpx.Client,
                                         pass_for: Any) -> None:
    set_up_office(live.app.deps, "north-office", name="北区售楼处")
    _, _, _, mobile, issued = pass_for("north-office")

    refused(scan(reception, {"token": issued["token"], "mobile": mobile}), 409,
            "escort_pass_other_office")
    assert count(live, "SELECT count(*) FROM visits") == 0
    assert scan(reception, {"token": issued["token"], "mobile": mobile},
                office="north-office").status_code == 201


def test_a_forged_or_altered_token_and_an_unknown_code_are_refused(
        live: Live, reception: httpx.Client, pass_for: Any) -> None:
    _, _, _, mobile, issued = pass_for()
    token = issued["token"]
    flipped = token[:-1] + ("0" if token[-1] != "0" else "1")
    stretched = token.replace(f".{token.split('.')[2]}.", f".{int(token.split('.')[2]) + 600}.")
    made_up = "KYE1." + "a" * 24 + f".{token.split('.')[2]}." + "b" * 32

    for bad in (flipped, stretched, made_up, "https://example.test/not-a-pass"):
        refused(scan(reception, {"token": bad, "mobile": mobile}), 422, "escort_pass_forged")
    refused(scan(reception, {"code": "ZZZZ-ZZZZ", "mobile": mobile}), 404,
            "escort_code_unknown")
    assert count(live, "SELECT count(*) FROM visits") == 0
    assert scan(reception, {"token": token, "mobile": mobile}).status_code == 201


def test_a_registration_an_escort_can_no_longer_validate_gets_no_pass_and_no_confirmation(
        live: Live, reception: httpx.Client, manager: httpx.Client) -> None:
    cid = channel(manager)
    mobile, late = fresh_mobile(), fresh_mobile()
    rid, lapsing = registered(manager, cid, mobile), registered(manager, cid, late)
    with agent_client(live, cid) as agent:
        live.clock.advance(hours=72, minutes=-2)
        issued = issue(agent, cid, lapsing)  # still inside its 72 h
        live.clock.advance(minutes=3)  # the window closes while the pass is still live
        refused(scan(reception, {"token": issued["token"], "mobile": late}), 409,
                "escort_registration_invalid")
        r = agent.post(f"/api/channels/{cid}/registrations/{rid}/escort-pass")
        refused(r, 409, "escort_registration_invalid")
        assert r.json()["details"]["reason"] == "expired"
    assert count(live, "SELECT count(*) FROM visits") == 0


def test_a_confirmed_registration_gets_no_new_pass_and_a_wrong_mobile_leaves_the_pass_usable(
        live: Live, reception: httpx.Client, pass_for: Any) -> None:
    agent, cid, rid, mobile, issued = pass_for()
    refused(scan(reception, {"token": issued["token"], "mobile": fresh_mobile()}), 422,
            "invalid_registration")
    assert scan(reception, {"token": issued["token"], "mobile": mobile}).status_code == 201

    again = agent.post(f"/api/channels/{cid}/registrations/{rid}/escort-pass")
    refused(again, 409, "escort_registration_invalid")
    assert again.json()["details"]["reason"] == "confirmed"


def test_whether_a_claim_is_confirmed_is_read_from_its_own_visits_not_the_offices(
        live: Live, manager: httpx.Client, reception: httpx.Client, pass_for: Any) -> None:
    """The pass asks the one 到访确认 lookup (the claim's indexed column), never scans every
    visit of the office: with another claim confirmed, issuing a pass reads visits by claim."""
    _, _, _, other_mobile, other_pass = pass_for()
    assert scan(reception, {"token": other_pass["token"], "mobile": other_mobile}
                ).status_code == 201
    cid = channel(manager)
    rid = registered(manager, cid, fresh_mobile())
    read: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        read.append(" ".join(statement.split()))

    event.listen(live.app.db, "before_cursor_execute", spy)
    try:
        with agent_client(live, cid) as agent:
            issue(agent, cid, rid)
    finally:
        event.remove(live.app.db, "before_cursor_execute", spy)
    of_visits = [s for s in read if s.startswith("SELECT") and "FROM visits" in s]
    assert of_visits and all("visits.registration_id IN" in s for s in of_visits), of_visits


def test_only_the_channels_own_accounts_get_a_pass_for_its_own_registrations(
        live: Live, manager: httpx.Client, reception: httpx.Client, pass_for: Any) -> None:
    _, cid, rid, _, issued = pass_for()
    other = channel(manager, name="乙分销")
    with agent_client(live, other) as stranger:
        refused(stranger.post(f"/api/channels/{cid}/registrations/{rid}/escort-pass"), 403,
                "forbidden")
        refused(stranger.post(f"/api/channels/{other}/registrations/{rid}/escort-pass"), 422,
                "invalid_registration")
        assert stranger.get(issued["qr_url"]).status_code == 403
    assert manager.post(f"/api/channels/{cid}/registrations/{rid}/escort-pass"
                        ).status_code == 403  # staff never ask for a pass
    assert reception.post(f"/api/channels/{cid}/registrations/{rid}/escort-pass"
                          ).status_code == 403


def test_bad_scan_bodies_answer_json_errors(live: Live, reception: httpx.Client,
                                            pass_for: Any) -> None:
    _, _, _, mobile, issued = pass_for()
    refused(scan(reception, {"mobile": mobile}), 422, "escort_input_invalid")
    refused(scan(reception, {"token": issued["token"], "code": issued["code"],
                             "mobile": mobile}), 422, "escort_input_invalid")
    assert scan(reception, {"token": issued["token"]}).status_code == 422
    assert scan(reception, {"token": "x" * 201, "mobile": mobile}).status_code == 422
    assert scan(reception, {"token": issued["token"], "mobile": mobile,
                            "visit_at": "2020-01-01T00:00:00Z"}).status_code == 422
    assert count(live, "SELECT count(*) FROM visits") == 0


def test_parallel_scans_of_one_pass_confirm_exactly_once(
        live: Live, reception: httpx.Client, pass_for: Any) -> None:
    _, _, _, mobile, issued = pass_for()
    headers = dict(reception.headers)
    bodies = [{"token": issued["token"], "mobile": mobile},
              {"code": issued["code"], "mobile": mobile}]

    answers = together(6, lambda http, i: http.post(
        f"/api/offices/{OFFICE}/reception/escorts", json=bodies[i % 2]), live.base_url,
        headers=headers)

    outcomes = Counter((r.status_code, r.json().get("error", "ok")) for r in answers)
    assert outcomes == Counter({(201, "ok"): 1, (409, "escort_pass_used"): 5}), outcomes
    assert count(live, "SELECT count(*) FROM visits") == 1
    assert count(live, "SELECT count(*) FROM escort_passes WHERE used_at IS NOT NULL") == 1
    assert len(audited(live, "visit_confirmed")) == 1


def test_the_escort_shows_in_the_signing_desks_evidence_and_the_rule_trace_in_words(
        live: Live, reception: httpx.Client, pass_for: Any) -> None:
    _, cid, rid, mobile, issued = pass_for()
    done = scan(reception, {"code": issued["code"], "mobile": mobile}).json()
    live.clock.advance(days=3)
    id17 = f"44030619900307{mobile[-3:]}"
    with auth.client(live.base_url, live.app, Role.signing) as desk:
        signed = desk.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "张伟", "id_number": id17 + check_digit(id17), "mobile": mobile,
            "contract_price_fen": 1_000_000_00})
        assert signed.status_code == 201, signed.text
        decision = signed.json()["decision"]
        card = desk.get(f"/desk/signing/{signed.json()['signing_id']}?lang=en",
                        headers={"Accept": "text/html"})

    assert decision["registration_id"] == rid and decision["channel_id"] == cid
    escorted = [line for line in decision["trace"] if "扫码带访 (QR escort)" in line]
    assert len(escorted) == 1 and done["visit_id"] in escorted[0]
    assert done["agent"] in escorted[0] and "(李四)" in escorted[0]
    assert "code typed by reception:" in escorted[0]
    assert decision["trace"][-1].startswith("decision: registration")
    assert card.status_code == 200
    assert "QR escort: agent 李四" in card.text and "reception typed its code" in card.text



def test_a_companys_own_registration_window_decides_whether_a_pass_is_given(
        live: Live, manager: httpx.Client) -> None:
    """The claim's own rules, as the signing judges it: a company that allows 2 h gets no pass
    3 h after its 报备, though the office allows 72 h."""
    cid = channel(manager)
    assert manager.put(f"/api/admin/channels/{cid}/rules",
                       json={"registration_valid_hours": 2}).status_code == 200
    rid = registered(manager, cid, fresh_mobile())
    with agent_client(live, cid) as agent:
        live.clock.advance(hours=1)
        issue(agent, cid, rid)
        live.clock.advance(hours=2)
        r = agent.post(f"/api/channels/{cid}/registrations/{rid}/escort-pass")
    refused(r, 409, "escort_registration_invalid")
    assert r.json()["details"]["reason"] == "expired"
