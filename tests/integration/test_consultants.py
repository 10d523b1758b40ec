"""置业顾问 over real HTTP on SQLite and PostgreSQL: reception assigns a consultant to today's visit
(chosen, or the next in the 轮排 queue), once per visit and one turn per press also when
receptionists press at once; away consultants are skipped; the queue and its cursor survive a
restart; the consultant's page shows their visits and "your customer is back" only for returns
proven by mobile (never a face return); the decision at signing names the consultant who
received the first visit. Bad input answers with JSON error codes."""

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
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.checkin.consultants import alert_line, alert_purpose
from keyuan.domain.checkin.visit import Visit, VisitMethod
from keyuan.services.accounts.service import set_disabled
from keyuan.services.attribution import registration as reg
from support import auth
from support.devices import tablet_headers
from support.live import Live, live_server, mobile_check_in
from support.parallel import together
from support.sequences import fake_shots

OFFICE = "demo-office"
PRESSES = 4
_serial = itertools.count(300)


def fresh_mobile() -> str:
    return f"1360000{next(_serial):04d}"


@pytest.fixture
def reception(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, Role.reception) as http:
        yield http


def consultants(live: Live, *names: str) -> dict[str, str]:
    """Sales accounts (置业顾问) by username: username → user id."""
    for name in names:
        auth.make_user(live.app, Role.sales, username=name)
    with live.app.deps.uow() as uow:
        return {u.username: u.id for u in uow.accounts.all_users() if u.username in names}


def as_consultant(live: Live, name: str) -> httpx.Client:
    token = auth.login(name, auth.PASSWORD, "bearer", live.app.deps, auth.TEST_SESSIONS).token
    return httpx.Client(base_url=live.base_url, headers={"Authorization": f"Bearer {token}"},
                        timeout=30)


def visit_of(live: Live, mobile: str, name: str | None = None) -> str:
    return str(mobile_check_in(live, mobile, name=name)["visit_id"])


def assign(http: httpx.Client, visit: str, **body: Any) -> httpx.Response:
    return http.post(f"/api/offices/{OFFICE}/visits/{visit}/consultant", json=body)


def outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    return Counter((r.status_code, r.json().get("error", "ok")) for r in responses)


def audited(live: Live, action: str) -> list[Any]:
    with live.app.deps.uow() as uow:
        return [e for e in uow.audit.all() if e.action == action]


# --- the queue (轮排) ---

def test_the_queue_gives_turns_in_order_skips_the_away_and_wraps_round(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a", "gu-b", "gu-c")
    visits = [visit_of(live, fresh_mobile()) for _ in range(5)]
    away = reception.put(f"/api/offices/{OFFICE}/consultants/{ids['gu-b']}/away",
                         json={"away": True})
    assert away.status_code == 200 and away.json()["away_today"] is True

    given = [assign(reception, v, queue=True).json() for v in visits[:3]]
    assert [(g["consultant"], g["turn"], g["how"]) for g in given] == [
        ("gu-a", 1, "queue"), ("gu-c", 2, "queue"), ("gu-a", 3, "queue")]
    assert reception.put(f"/api/offices/{OFFICE}/consultants/{ids['gu-b']}/away",
                         json={"away": False}).status_code == 200
    assert assign(reception, visits[3], queue=True).json()["consultant"] == "gu-b"
    queue = reception.get(f"/api/offices/{OFFICE}/consultants").json()
    assert [c["username"] for c in queue["consultants"]] == ["gu-a", "gu-b", "gu-c"]
    assert queue["up_next"] == "gu-c" and queue["turns"] == 4
    chosen = assign(reception, visits[4], consultant_id=ids["gu-a"])
    assert chosen.status_code == 201 and chosen.json()["how"] == "chosen"
    assert chosen.json()["turn"] is None
    assert reception.get(f"/api/offices/{OFFICE}/consultants").json()["up_next"] == "gu-c"
    assert [e.detail["consultant"] for e in audited(live, "consultant_assigned")] == [
        "gu-a", "gu-c", "gu-a", "gu-b", "gu-a"]
    assert len(audited(live, "consultant_away")) == 1
    today = {v["visit_id"]: v["consultant"] for v in
             reception.get(f"/api/offices/{OFFICE}/reception/today").json()["visits"]}
    assert today[visits[1]] == "gu-c" and today[visits[4]] == "gu-a"


def test_parallel_presses_on_different_visits_give_consecutive_turns_once_each(
        live: Live, reception: httpx.Client) -> None:
    consultants(live, "gu-a", "gu-b", "gu-c")
    visits = [visit_of(live, fresh_mobile()) for _ in range(PRESSES)]
    headers = dict(reception.headers)

    answers = together(PRESSES, lambda http, i: assign(http, visits[i], queue=True),
                       live.base_url, headers)

    assert outcomes(answers) == {(201, "ok"): PRESSES}, [r.text for r in answers]
    turns = sorted((r.json()["turn"], r.json()["consultant"]) for r in answers)
    assert turns == [(1, "gu-a"), (2, "gu-b"), (3, "gu-c"), (4, "gu-a")]
    assert reception.get(f"/api/offices/{OFFICE}/consultants").json()["turns"] == PRESSES


def test_parallel_presses_on_one_visit_assign_it_once_and_take_one_turn(
        live: Live, reception: httpx.Client) -> None:
    consultants(live, "gu-a", "gu-b")
    visit = visit_of(live, fresh_mobile())
    headers = dict(reception.headers)

    answers = together(PRESSES, lambda http, i: assign(http, visit, queue=True),
                       live.base_url, headers)

    assert outcomes(answers) == {(201, "ok"): 1,
                                 (409, "consultant_already_assigned"): PRESSES - 1}
    queue = reception.get(f"/api/offices/{OFFICE}/consultants").json()
    assert queue["turns"] == 1 and queue["up_next"] == "gu-b"
    assert len(audited(live, "consultant_assigned")) == 1
    with live.app.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM visit_consultants")).scalar() == 1


def test_the_queue_order_and_whose_turn_it_is_survive_a_restart(
        store_url: str, tmp_path: Path) -> None:
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "live", engine=FakeEngine(FaceSettings()),
                     database_url=database_url) as live, \
            auth.client(live.base_url, live.app, Role.reception) as reception:
        ids = consultants(live, "gu-b", "gu-a")
        first = visit_of(live, fresh_mobile())
        assert assign(reception, first, queue=True).json()["consultant"] == "gu-a"
        auth.make_user(live.app, Role.sales, username="gu-0")  # joins at the end, not by name
        token = dict(reception.headers)
    with live_server(tmp_path / "live", engine=FakeEngine(FaceSettings()),
                     database_url=database_url, prepared=True) as again, \
            httpx.Client(base_url=again.base_url, headers=token, timeout=30) as reception:
        again.clock.advance(minutes=30)
        second = visit_of(again, fresh_mobile())
        given = assign(reception, second, queue=True).json()
        order = [c["username"] for c in
                 reception.get(f"/api/offices/{OFFICE}/consultants").json()["consultants"]]
    assert (given["consultant_id"], given["turn"]) == (ids["gu-b"], 2)
    assert order == ["gu-a", "gu-b", "gu-0"]


def test_bad_assignments_answer_with_error_codes_and_store_nothing(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a")
    visit = visit_of(live, fresh_mobile())
    assert assign(reception, visit).json()["error"] == "invalid_request"
    both = assign(reception, visit, queue=True, consultant_id=ids["gu-a"])
    assert both.status_code == 422
    assert assign(reception, "f" * 24, queue=True).json()["error"] == "unknown_visit"
    assert assign(reception, visit, consultant_id="nobody").json()["error"] == \
        "unknown_consultant"
    reception.put(f"/api/offices/{OFFICE}/consultants/{ids['gu-a']}/away", json={"away": True})
    assert assign(reception, visit, consultant_id=ids["gu-a"]).json()["error"] == \
        "consultant_away"
    assert assign(reception, visit, queue=True).json()["error"] == "no_consultant_available"
    live.clock.advance(days=1)  # away was for that day only; yesterday's visit is closed
    assert assign(reception, visit, queue=True).json()["error"] == "visit_not_today"
    with live.app.db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM visit_consultants")).scalar() == 0
    with as_consultant(live, "gu-a") as sales:
        assert assign(sales, visit, queue=True).status_code == 403


# --- the consultant's page: their visits, and their customers back (by mobile only) ---

def face_return(live: Live, receipt: str) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30, headers=tablet_headers(live)) as http:
        sid = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()["session_id"]
        back = http.post(f"/api/kiosk/sessions/{sid}/return", json={
            "receipt_id": receipt, **fake_shots(ALICE, seed=10).wire()})
        assert back.status_code == 201, back.text
        assert back.json()["method"] == "face_kiosk"


ALICE = (30, 200, 90)


def face_check_in(live: Live) -> tuple[str, str]:
    """A face check-in over the kiosk API: (visit id, receipt)."""
    with httpx.Client(base_url=live.base_url, timeout=30, headers=tablet_headers(live)) as http:
        s = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
        consent = http.post(f"/api/kiosk/sessions/{s['session_id']}/face-consent", json={
            "notice_hash": s["notice"]["content_hash"], "age_14_or_over": True, "agree": True})
        receipt = consent.json()["receipt_id"]
        r = http.post(f"/api/kiosk/sessions/{s['session_id']}/face-enrollment", json={
            "consent_id": receipt, **fake_shots(ALICE).wire()})
        assert r.status_code == 201, r.text
        return str(r.json()["visit_id"]), str(receipt)


def test_a_consultant_sees_their_visits_and_their_customer_back_by_mobile_never_by_face(
        live: Live, reception: httpx.Client) -> None:
    consultants(live, "gu-a", "gu-b")
    mobile = fresh_mobile()
    first = visit_of(live, mobile, name="王芳")
    assert assign(reception, first, queue=True).json()["consultant"] == "gu-a"
    face_first, receipt = face_check_in(live)
    assert assign(reception, face_first, queue=True).json()["consultant"] == "gu-b"
    live.clock.advance(hours=2)
    back = visit_of(live, mobile)
    face_return(live, receipt)

    with as_consultant(live, "gu-a") as gu_a, as_consultant(live, "gu-b") as gu_b:
        mine = gu_a.get("/api/consultant/today")
        theirs = gu_b.get("/api/consultant/today").json()
        page = gu_a.get("/consultant")
    assert mine.status_code == 200, mine.text
    day = mine.json()
    assert day["alerts_on"] is True
    assert [v["visit_id"] for v in day["assigned"]] == [first]
    assert [(v["visit_id"], v["name"], v["masked_mobile"], v["first_visit"])
            for v in day["returns"]] == [(back, "王芳", mobile[:3] + "****" + mobile[-4:], False)]
    assert mobile not in mine.text and "method" not in mine.text and "face" not in mine.text
    # gu-b received the face visitor's first visit: their face return alerts nobody
    assert [v["visit_id"] for v in theirs["assigned"]] == [face_first]
    assert theirs["returns"] == []
    assert page.status_code == 200 and "王芳" in page.text and mobile not in page.text


def test_alerts_wait_for_a_notice_that_tells_visitors_of_them(
        live: Live, reception: httpx.Client) -> None:
    consultants(live, "gu-a")
    mobile = fresh_mobile()
    assign(reception, visit_of(live, mobile), queue=True)
    live.clock.advance(hours=1)
    visit_of(live, mobile)
    with live.app.db.begin() as conn:  # a notice published before the alerts were told
        conn.execute(text("UPDATE notices SET processing = 'older words'"))
    with as_consultant(live, "gu-a") as gu_a:
        day = gu_a.get("/api/consultant/today").json()
    assert day["alerts_on"] is False and day["returns"] == []


# --- the decision names the consultant who received the first visit (自访 commission) ---

def id_number(serial: int) -> str:
    body = f"11010119800101{serial:03d}"
    return body + check_digit(body)


def test_the_signing_decision_names_the_consultant_of_the_first_visit(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a", "gu-b")
    mobile = fresh_mobile()
    assign(reception, visit_of(live, mobile, name="李雷"), consultant_id=ids["gu-b"])
    live.clock.advance(hours=3)
    assign(reception, visit_of(live, mobile), queue=True)  # gu-a: a later visit
    with auth.client(live.base_url, live.app, Role.signing) as desk:
        signed = desk.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "李雷", "id_number": id_number(11), "mobile": mobile,
            "contract_price_fen": 1_000_000_00})
        assert signed.status_code == 201, signed.text
        card = desk.get(f"/desk/signing/{signed.json()['signing_id']}?lang=en")
    body = signed.json()["decision"]
    assert body["evidence"]["first_visit"]["consultant"] == "gu-b"
    assert [v.get("consultant") for v in body["evidence"]["visits"]] == ["gu-b", "gu-a"]
    assert any("first visit received by consultant gu-b" in line for line in body["trace"])
    assert card.status_code == 200
    first = card.text.split('id="card-first-consultant">')[1].split("<")[0]
    assert first == "gu-b" and "(consultant: gu-a)" in card.text


def test_an_escorted_customer_is_given_a_consultant_though_nobody_is_kept_on_file(
        live: Live, reception: httpx.Client) -> None:
    """到访确认 keeps the visit on the channel's claim, with no person (PIPL 13, 14): the
    consultant is assigned to the visit all the same."""
    consultants(live, "gu-escort")
    deps = live.app.deps
    channel = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "带看分销", deps).id
    mobile = fresh_mobile()
    claim = reg.register(reg.RegisterCmd(channel, "李雷", mobile), deps).id
    visit = reg.confirm_visit(reg.ConfirmVisitCmd(claim, mobile, staff="reception:t"), deps)

    given = assign(reception, visit.id, queue=True)

    assert given.status_code == 201, given.text
    assert given.json()["consultant"] == "gu-escort" and visit.person_id is None


def test_reception_and_the_consultant_agree_on_the_first_visit_when_two_share_a_time(
        live: Live, reception: httpx.Client) -> None:
    """One lookup of a customer's first visit (by time, then id) serves reception's list and the
    consultant's page, so a tie in time never makes each call another visit the first."""
    consultants(live, "gu-a")
    checked = mobile_check_in(live, fresh_mobile())
    with live.app.deps.uow() as uow:
        visit = uow.visits.get(str(checked["visit_id"]))
        assert visit is not None
        uow.visits.add(Visit(id="0" * 24, person_id=visit.person_id, office_id=OFFICE,
                             at=visit.at, method=VisitMethod.RECEPTION, evidence={}))
        uow.commit()
    assign(reception, visit.id, queue=True)
    assign(reception, "0" * 24, queue=True)

    rows = reception.get(f"/api/offices/{OFFICE}/reception/today").json()["visits"]
    with as_consultant(live, "gu-a") as gu_a:
        mine = gu_a.get("/api/consultant/today").json()["assigned"]
    firsts = {r["visit_id"]: r["first_visit"] for r in rows}
    assert firsts == {"0" * 24: True, visit.id: False}
    assert {v["visit_id"]: v["first_visit"] for v in mine} == firsts


# --- the notice: a republished notice tells of the alerts in its purpose too (told = done) ---

OLD_PURPOSE = {  # the default purposes before the consultant alerts existed
    "zh-CN": "确认您首次到访本售楼处的时间和到访次数，用于判定带您来访的渠道（分销、老业主推荐或"
             "自然到访）并据此结算佣金（判客）。不用于其他目的。",
    "en": "To establish when you first visited this sales office and how often, so as to decide "
          "which channel brought you (distributor, referring owner, or nobody) and settle "
          "commissions. No other purpose.",
}
NO_OTHER = {"zh-CN": "不用于其他目的", "en": "No other purpose"}


def test_a_republished_notice_with_the_alert_paragraph_never_says_it_has_no_other_purpose(
        live: Live, reception: httpx.Client) -> None:
    consultants(live, "gu-a")
    mobile = fresh_mobile()
    assign(reception, visit_of(live, mobile), queue=True)
    live.clock.advance(hours=1)
    visit_of(live, mobile)
    with live.app.db.begin() as conn:  # notices published before the alerts were told of
        for lang, purpose in OLD_PURPOSE.items():
            conn.execute(text("UPDATE notices SET purpose = :p WHERE language = :l"),
                         {"p": purpose, "l": lang})
    with as_consultant(live, "gu-a") as gu_a:  # the purpose says "no other": no alerts
        assert gu_a.get("/api/consultant/today").json()["alerts_on"] is False

    with auth.client(live.base_url, live.app, Role.compliance) as dpo:
        done = dpo.post(f"/api/offices/{OFFICE}/notices/republish")
    assert done.status_code in (200, 201), done.text

    for lang in ("zh-CN", "en"):
        notice = reception.get(f"/api/offices/{OFFICE}/notice?lang={lang}").json()["sections"]
        assert alert_line(lang) in notice["processing"]
        before_no_other = notice["purpose"].split(NO_OTHER[lang])[0]
        assert alert_purpose(lang) in before_no_other, notice["purpose"]
        assert notice["purpose"].startswith(OLD_PURPOSE[lang].split("。")[0].split(". ")[0])
    with as_consultant(live, "gu-a") as gu_a:
        day = gu_a.get("/api/consultant/today").json()
    assert day["alerts_on"] is True and len(day["returns"]) == 1


# --- reception reorders the queue and gives a visit to another consultant ---

def place(http: httpx.Client, consultant: str, where: int) -> httpx.Response:
    return http.put(f"/api/offices/{OFFICE}/consultants/{consultant}/place", json={"place": where})


def reassign(http: httpx.Client, visit: str, consultant: str,
             reason: str = "customer_asked") -> httpx.Response:
    return http.post(f"/api/offices/{OFFICE}/visits/{visit}/consultant/reassign",
                     json={"consultant_id": consultant, "reason": reason})


def order(http: httpx.Client) -> list[str]:
    return [c["username"] for c in
            http.get(f"/api/offices/{OFFICE}/consultants").json()["consultants"]]


def test_reception_reorders_the_queue_and_the_turn_goes_on_from_whoever_took_the_last(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a", "gu-b", "gu-c")
    visits = [visit_of(live, fresh_mobile()) for _ in range(3)]
    assert assign(reception, visits[0], queue=True).json()["consultant"] == "gu-a"

    moved = place(reception, ids["gu-c"], 1)

    assert moved.status_code == 200, moved.text
    assert [c["username"] for c in moved.json()["consultants"]] == ["gu-c", "gu-a", "gu-b"]
    assert [c["position"] for c in moved.json()["consultants"]] == [1, 2, 3]
    assert moved.json()["up_next"] == "gu-b"  # after gu-a, who took the last turn
    assert assign(reception, visits[1], queue=True).json()["consultant"] == "gu-b"
    assert place(reception, ids["gu-a"], 3).json()["up_next"] == "gu-a"  # c, b, a: after b
    assert assign(reception, visits[2], queue=True).json()["consultant"] == "gu-a"
    assert order(reception) == ["gu-c", "gu-b", "gu-a"]
    assert [e.detail for e in audited(live, "consultant_queue_moved")] == [
        {"consultant": "gu-c", "from": 3, "to": 1}, {"consultant": "gu-a", "from": 2, "to": 3}]
    assert place(reception, ids["gu-a"], 4).json()["error"] == "queue_place_invalid"
    assert place(reception, ids["gu-a"], 0).status_code == 422
    assert place(reception, "nobody", 1).json()["error"] == "unknown_consultant"
    with as_consultant(live, "gu-a") as sales:
        assert place(sales, ids["gu-a"], 1).status_code == 403
    assert order(reception) == ["gu-c", "gu-b", "gu-a"]


def test_the_turn_stays_with_whoever_was_next_when_the_last_taker_moves_to_the_back(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a", "gu-b", "gu-c", "gu-d")
    visits = [visit_of(live, fresh_mobile()) for _ in range(6)]
    assert [assign(reception, v, queue=True).json()["consultant"] for v in visits[:2]] == [
        "gu-a", "gu-b"]

    moved = place(reception, ids["gu-b"], 4)  # a, c, d, b: c was next and stays next

    assert moved.json()["up_next"] == "gu-c"
    assert [assign(reception, v, queue=True).json()["consultant"] for v in visits[2:]] == [
        "gu-c", "gu-d", "gu-b", "gu-a"]


def test_a_consultant_disabled_while_the_queue_moved_comes_back_at_the_end_and_gets_turns(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a", "gu-b", "gu-c", "gu-d")
    visits = [visit_of(live, fresh_mobile()) for _ in range(5)]
    assert assign(reception, visits[0], queue=True).json()["consultant"] == "gu-a"
    set_disabled("gu-b", True, live.app.deps, actor="test")

    assert place(reception, ids["gu-d"], 1).status_code == 200  # d, a, c
    set_disabled("gu-b", False, live.app.deps, actor="test")

    assert order(reception) == ["gu-d", "gu-a", "gu-c", "gu-b"]
    assert [assign(reception, v, queue=True).json()["consultant"] for v in visits[1:]] == [
        "gu-c", "gu-b", "gu-d", "gu-a"]  # gu-b shares no place with anyone: a turn each


def test_parallel_presses_of_one_move_move_the_consultant_once(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a", "gu-b", "gu-c")
    headers = dict(reception.headers)

    answers = together(PRESSES, lambda http, i: place(http, ids["gu-c"], 1),
                       live.base_url, headers)

    assert outcomes(answers) == {(200, "ok"): PRESSES}, [r.text for r in answers]
    assert order(reception) == ["gu-c", "gu-a", "gu-b"]
    assert len(audited(live, "consultant_queue_moved")) == 1


def test_a_reassigned_visit_leaves_the_first_consultant_and_the_alerts_follow_the_new_one(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a", "gu-b")
    mobile = fresh_mobile()
    first = visit_of(live, mobile, name="王芳")
    assert assign(reception, first, queue=True).json()["consultant"] == "gu-a"

    moved = reassign(reception, first, ids["gu-b"])

    assert moved.status_code == 200, moved.text
    assert (moved.json()["consultant"], moved.json()["reassigned_from"], moved.json()["reason"],
            moved.json()["how"], moved.json()["turn"]) == ("gu-b", "gu-a", "customer_asked",
                                                           "queue", 1)
    live.clock.advance(hours=2)
    back = visit_of(live, mobile)  # the customer returns, by mobile
    with as_consultant(live, "gu-a") as gu_a, as_consultant(live, "gu-b") as gu_b:
        lost, kept = gu_a.get("/api/consultant/today").json(), \
            gu_b.get("/api/consultant/today").json()
    assert lost["assigned"] == [] and lost["returns"] == []
    assert [v["visit_id"] for v in kept["assigned"]] == [first]
    assert [v["visit_id"] for v in kept["returns"]] == [back]
    today = {v["visit_id"]: v["consultant"] for v in
             reception.get(f"/api/offices/{OFFICE}/reception/today").json()["visits"]}
    assert today[first] == "gu-b"
    assert [e.detail for e in audited(live, "consultant_reassigned")] == [
        {"from": "gu-a", "consultant": "gu-b", "reason": "customer_asked"}]
    with live.app.db.connect() as conn:
        row = conn.execute(text("SELECT consultant, reassigned_from, reassign_reason, "
                                "reassigned_by FROM visit_consultants")).one()
    assert tuple(row[:3]) == ("gu-b", "gu-a", "customer_asked") and row[3].startswith("reception")
    assert reception.get(f"/api/offices/{OFFICE}/consultants").json()["turns"] == 1


def test_parallel_reassignments_of_one_visit_reassign_it_once(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a", "gu-b")
    visit = visit_of(live, fresh_mobile())
    assign(reception, visit, consultant_id=ids["gu-a"])
    headers = dict(reception.headers)

    answers = together(PRESSES, lambda http, i: reassign(http, visit, ids["gu-b"]),
                       live.base_url, headers)

    assert outcomes(answers) == {(200, "ok"): 1, (409, "consultant_unchanged"): PRESSES - 1}
    assert len(audited(live, "consultant_reassigned")) == 1
    with live.app.db.connect() as conn:
        assert conn.execute(text("SELECT consultant FROM visit_consultants")).scalar() == "gu-b"


def test_two_receptionists_reassigning_one_visit_to_different_consultants_one_wins(
        live: Live, reception: httpx.Client) -> None:
    """Both pages showed gu-a on the visit: one gives it to gu-b, the other to gu-c, at once.
    One reassignment happens; the other is told the visit changed hands (nothing overwritten)."""
    ids = consultants(live, "gu-a", "gu-b", "gu-c")
    visit = visit_of(live, fresh_mobile())
    assign(reception, visit, consultant_id=ids["gu-a"])
    headers = dict(reception.headers)

    answers = together(PRESSES, lambda http, i: http.post(
        f"/api/offices/{OFFICE}/visits/{visit}/consultant/reassign",
        json={"consultant_id": ids["gu-b" if i % 2 else "gu-c"], "reason": "correction",
              "from_consultant": "gu-a"}), live.base_url, headers)

    assert outcomes(answers)[(200, "ok")] == 1, [r.text for r in answers]
    assert set(outcomes(answers)) <= {(200, "ok"), (409, "consultant_changed"),
                                      (409, "consultant_unchanged")}
    [done] = audited(live, "consultant_reassigned")
    with live.app.db.connect() as conn:
        holder = conn.execute(text("SELECT consultant FROM visit_consultants")).scalar()
    assert done.detail["from"] == "gu-a" and holder == done.detail["consultant"]


def test_bad_reassignments_answer_with_error_codes_and_change_nothing(
        live: Live, reception: httpx.Client) -> None:
    ids = consultants(live, "gu-a", "gu-b")
    visit = visit_of(live, fresh_mobile())
    assert reassign(reception, visit, ids["gu-b"]).json()["error"] == "consultant_not_assigned"
    assign(reception, visit, consultant_id=ids["gu-a"])
    assert reassign(reception, visit, ids["gu-b"], reason="because").status_code == 422
    assert reassign(reception, visit, "nobody").json()["error"] == "unknown_consultant"
    assert reassign(reception, "f" * 24, ids["gu-b"]).json()["error"] == "unknown_visit"
    reception.put(f"/api/offices/{OFFICE}/consultants/{ids['gu-b']}/away", json={"away": True})
    assert reassign(reception, visit, ids["gu-b"]).json()["error"] == "consultant_away"
    with as_consultant(live, "gu-b") as sales:
        assert reassign(sales, visit, ids["gu-b"]).status_code == 403
    live.clock.advance(days=1)
    assert reassign(reception, visit, ids["gu-b"]).json()["error"] == "visit_not_today"
    assert audited(live, "consultant_reassigned") == []
    with live.app.db.connect() as conn:
        assert conn.execute(text("SELECT consultant FROM visit_consultants")).scalar() == "gu-a"
