"""Throttles and one-time codes under attack, over real HTTP on SQLite and PostgreSQL: parallel
requests take exactly the slots there are, codes and tokens are used once, refusals are 429 with
a code and `Retry-After`, nobody can lock an account out for others, and the kiosk's return
answer is the same for an unknown mobile as for a known one without a face check-in.

Client addresses are varied through X-Forwarded-For from a trusted proxy (the loopback peer):
that is also the test that the header is believed only from one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.services.compliance.retention import purge
from support import auth
from support.devices import tablet_headers
from support.live import Live, live_server, mobile_check_in
from support.parallel import parallel
from support.sequences import fake_shots

MOBILE = "13912345678"
OFFICE = "demo-office"
TRUST_LOOPBACK = {"trusted_proxies": ["127.0.0.1"]}


@pytest.fixture
def live_on(store_url: str, tmp_path: Path) -> Iterator[Callable[..., Live]]:
    """Start a live server on this test's store with `limits` overrides (one per test)."""
    servers: list[Any] = []

    def start(**limits: object) -> Live:
        context = live_server(tmp_path / "data", engine=FakeEngine(FaceSettings()),
                              database_url=None if store_url.startswith("sqlite") else store_url,
                              session_cookie_secure=False,
                              limits={**TRUST_LOOPBACK, **limits})
        servers.append(context)
        return context.__enter__()

    yield start
    for context in servers:
        context.__exit__(None, None, None)



def post(live: Live, path: str, body: dict[str, Any] | None = None, *,
         address: str = "198.51.100.1", tablet: str = "reception",
         **headers: str) -> httpx.Response:
    """From the paired `tablet` (one for the whole test unless named) at client `address`."""
    with httpx.Client(base_url=live.base_url, timeout=60) as http:
        return http.post(path, json=body or {}, headers={
            "X-Forwarded-For": address, **tablet_headers(live, tablet), **headers})


def outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    return Counter((r.status_code, r.json().get("error", "ok")) for r in responses)


def new_session(live: Live, address: str = "198.51.100.1") -> dict[str, Any]:
    r = post(live, "/api/kiosk/sessions", {"office_id": OFFICE}, address=address)
    assert r.status_code == 201, r.text
    return dict(r.json())


def send_code(live: Live, session: dict[str, Any], mobile: str = MOBILE,
              address: str = "198.51.100.1") -> httpx.Response:
    return post(live, f"/api/kiosk/sessions/{session['session_id']}/phone-code",
                {"mobile": mobile}, address=address)


def check_in(live: Live, session: dict[str, Any], code: str, mobile: str = MOBILE,
             address: str = "198.51.100.1") -> httpx.Response:
    return post(live, f"/api/kiosk/sessions/{session['session_id']}/phone-check-in", {
        "mobile": mobile, "code": code, "agree": True,
        "notice_hash": session["notice"]["content_hash"]}, address=address)


def scalar(live: Live, sql: str) -> int:
    with live.app.db.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- one-time codes: used once, every guess counted ----------------------------------------------

def test_one_code_confirmed_by_8_parallel_requests_records_one_visit(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    session = new_session(live)
    assert send_code(live, session).status_code == 202
    code = live.last_code()

    answers = parallel(8, lambda _: check_in(live, session, code))

    assert outcomes(answers) == {(201, "ok"): 1, (410, "code_expired"): 7}
    assert scalar(live, "SELECT count(*) FROM visits") == 1


def test_40_parallel_wrong_guesses_count_exactly_the_limit_and_the_right_code_dies(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    limit = live.app.deps.otp_max_attempts
    session = new_session(live)
    send_code(live, session)
    code = live.last_code()

    answers = parallel(40, lambda _: check_in(live, session, wrong(code)))
    right = check_in(live, session, code)

    assert outcomes(answers) == {(400, "code_invalid"): limit - 1,
                                 (429, "too_many_attempts"): 40 - limit + 1}
    assert scalar(live, "SELECT attempts FROM one_time_codes") == limit
    assert (right.status_code, right.json()["error"]) == (429, "too_many_attempts")
    assert scalar(live, "SELECT count(*) FROM visits") == 0


def test_the_portal_issues_one_token_per_code(live_on: Callable[..., Live]) -> None:
    live = live_on()
    receipt = mobile_check_in(live, MOBILE)["receipt"]["receipt_id"]
    assert post(live, "/api/rights/code", {"receipt_id": receipt}).status_code == 202
    code = live.last_code()

    answers = parallel(8, lambda _: post(live, "/api/rights/verify",
                                         {"receipt_id": receipt, "code": code}))

    assert outcomes(answers) == {(200, "ok"): 1, (410, "code_expired"): 7}
    assert scalar(live, "SELECT count(*) FROM rights_access WHERE token_hash IS NOT NULL") == 1


# --- SMS sends: per number, per session, per address ---------------------------------------------

def test_100_codes_to_one_number_through_new_sessions_send_only_the_per_number_limit(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    limit = live.app.settings.limits.sms_per_mobile.limit
    sessions = [new_session(live, address=f"10.1.{i // 250}.{i % 250}") for i in range(100)]

    answers = parallel(100, lambda i: send_code(live, sessions[i], address=f"10.1.0.{i}"))

    assert outcomes(answers) == {(202, "ok"): limit, (429, "sms_rate_limited"): 100 - limit}
    assert len(live.sender.sent) == limit
    refused = next(r for r in answers if r.status_code == 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600 + 1


def test_50_numbers_from_one_session_send_only_the_per_session_limit(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    limit = live.app.settings.limits.sms_per_session.limit
    session = new_session(live)

    answers = parallel(50, lambda i: send_code(live, session, mobile=f"1391234{i:04d}"))

    assert outcomes(answers) == {(202, "ok"): limit, (429, "sms_rate_limited"): 50 - limit}
    assert len(live.sender.sent) == limit


def test_codes_from_one_address_stop_at_the_per_address_limit(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    limit = live.app.settings.limits.sms_per_address.limit
    sessions = [new_session(live, address=f"10.2.0.{i}") for i in range(limit + 10)]

    answers = parallel(limit + 10, lambda i: send_code(
        live, sessions[i], mobile=f"1371234{i:04d}", address="203.0.113.7"))

    assert outcomes(answers) == {(202, "ok"): limit, (429, "sms_rate_limited"): 10}


# --- the cumulative lockout per number ----------------------------------------------------------

def test_wrong_codes_across_fresh_sessions_lock_the_number_even_for_the_right_code(
    live_on: Callable[..., Live],
) -> None:
    live = live_on(sms_per_mobile={"limit": 100, "window_seconds": 3600})
    limit = live.app.settings.limits.code_failures_per_mobile.limit
    per_code = live.app.deps.otp_max_attempts
    sessions = [new_session(live, address=f"10.3.0.{i}") for i in range(7)]
    codes = []
    for i, session in enumerate(sessions):
        assert send_code(live, session, address=f"10.3.0.{i}").status_code == 202
        codes.append(live.last_code())

    answers = parallel(6 * per_code, lambda i: check_in(
        live, sessions[i % 6], wrong(codes[i % 6]), address=f"10.4.{i}.1"))
    right = check_in(live, sessions[6], codes[6], address="10.5.0.1")  # never guessed wrong

    counted = sum(n for (status, error), n in outcomes(answers).items()
                  if error in ("code_invalid", "too_many_attempts"))
    assert counted == limit
    assert outcomes(answers)[(429, "code_locked_out")] == 6 * per_code - limit
    assert scalar(live, "SELECT sum(attempts) FROM one_time_codes") == limit
    assert (right.status_code, right.json()["error"]) == (429, "code_locked_out")
    assert int(right.headers["Retry-After"]) >= 1
    sent = len(live.sender.sent)
    again = send_code(live, new_session(live, address="10.5.0.2"), address="10.5.0.2")
    assert (again.status_code, again.json()["error"]) == (429, "code_locked_out")  # no SMS
    assert len(live.sender.sent) == sent


# --- the rights portal: per receipt over a window, not per code ----------------------------------

def test_the_portal_gives_no_fresh_guesses_per_resent_code(live_on: Callable[..., Live]) -> None:
    live = live_on()
    limits = live.app.settings.limits
    receipt = mobile_check_in(live, MOBILE)["receipt"]["receipt_id"]
    answers = []
    for _ in range(limits.rights_failures_per_receipt.limit // 5 + 1):
        sent = post(live, "/api/rights/code", {"receipt_id": receipt})
        assert sent.status_code == 202, sent.text
        code = live.last_code()
        answers += [post(live, "/api/rights/verify", {"receipt_id": receipt,
                                                      "code": wrong(code)}) for _ in range(5)]
        live.clock.advance(seconds=live.app.deps.otp_resend_seconds)
    right = post(live, "/api/rights/verify", {"receipt_id": receipt, "code": code})

    refused = outcomes(answers)[(429, "rights_rate_limited")]
    assert len(answers) - refused == limits.rights_failures_per_receipt.limit
    assert (right.status_code, right.json()["error"]) == (429, "rights_rate_limited")


def test_portal_codes_per_receipt_are_limited(live_on: Callable[..., Live]) -> None:
    live = live_on()
    limit = live.app.settings.limits.rights_codes_per_receipt.limit
    receipt = mobile_check_in(live, MOBILE)["receipt"]["receipt_id"]
    answers = []
    for i in range(limit + 3):
        answers.append(post(live, "/api/rights/code", {"receipt_id": receipt},
                            address=f"10.6.0.{i}"))
        live.clock.advance(seconds=live.app.deps.otp_resend_seconds)

    assert outcomes(answers) == {(202, "ok"): limit, (429, "rights_rate_limited"): 3}


# --- logins: per address and account, nobody locks an account for others -------------------------

def test_32_parallel_wrong_passwords_check_exactly_the_limit_and_never_fail(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    limit = live.app.settings.login_max_failures
    name = auth.make_user(live.app, "admin")

    answers = parallel(32, lambda _: post(live, "/api/auth/token",
                                          {"username": name, "password": "not the password"}))

    assert outcomes(answers) == {(401, "login_failed"): limit, (429, "login_throttled"): 32 - limit}
    assert all("Retry-After" in r.headers for r in answers if r.status_code == 429)


def test_an_admin_still_logs_in_from_a_clean_address_after_anonymous_wrong_passwords(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    name = auth.make_user(live.app, "admin")
    body = {"username": name, "password": "not the password"}
    attack = [post(live, "/api/auth/token", body, address="203.0.113.66") for _ in range(7)]
    from_attacker = post(live, "/api/auth/token", {"username": name, "password": auth.PASSWORD},
                         address="203.0.113.66")
    from_office = post(live, "/api/auth/token", {"username": name, "password": auth.PASSWORD},
                       address="192.0.2.10")

    assert outcomes(attack)[(429, "login_throttled")] == 2
    assert (from_attacker.status_code, from_attacker.json()["error"]) == (429, "login_throttled")
    assert from_office.status_code == 200, from_office.text


# --- kiosk sessions: per address, and purged when empty and expired ------------------------------

def test_kiosk_sessions_per_address_are_limited_and_empty_expired_ones_purged(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    limits = live.app.settings.limits
    limit = limits.kiosk_sessions_per_address.limit

    answers = parallel(limit + 8, lambda _: post(live, "/api/kiosk/sessions",
                                                 {"office_id": OFFICE}))
    assert outcomes(answers) == {(201, "ok"): limit, (429, "kiosk_sessions_rate_limited"): 8}
    assert scalar(live, "SELECT count(*) FROM kiosk_sessions") == limit

    live.clock.advance(seconds=limits.kiosk_session_ttl_seconds + 1)
    starts = parallel(12, lambda i: post(live, "/api/kiosk/sessions", {"office_id": OFFICE},
                                         address=f"10.11.0.{i}"))  # each purging, in parallel
    assert outcomes(starts) == {(201, "ok"): 12}
    assert scalar(live, "SELECT count(*) FROM kiosk_sessions") == 12


# --- face: one answer for unknown and not consented, attempts per claim, busy, frames ------------

def _return(live: Live, mobile: str, address: str = "198.51.100.1") -> httpx.Response:
    session = new_session(live, address=address)
    return post(live, f"/api/kiosk/sessions/{session['session_id']}/return", {
        "mobile": mobile, **fake_shots((200, 150, 120)).wire()}, address=address)


def test_the_return_answer_is_the_same_for_an_unknown_and_a_known_mobile_without_face(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    mobile_check_in(live, MOBILE)  # known, phone consent only

    unknown, known = _return(live, "13800000000"), _return(live, MOBILE)

    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert known.json()["error"] == "not_verified"


def test_face_attempts_per_claim_are_limited_whether_or_not_anyone_is_known(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    limit = live.app.settings.limits.face_attempts_per_claim.limit

    answers = [_return(live, "13800000000", address=f"10.7.0.{i}") for i in range(limit + 2)]

    assert outcomes(answers) == {(401, "not_verified"): limit,
                                 (429, "face_attempts_rate_limited"): 2}


def test_face_work_is_refused_with_503_while_every_slot_is_taken_and_too_many_frames_422(
    live_on: Callable[..., Live],
) -> None:
    live = live_on(face_workers=1, face_queue_seconds=0)
    session = new_session(live)
    sid = session["session_id"]
    consent = post(live, f"/api/kiosk/sessions/{sid}/face-consent", {
        "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True, "agree": True})
    assert consent.status_code == 201, consent.text
    consent = consent.json()
    enroll = {"consent_id": consent["receipt_id"], **fake_shots((90, 160, 200)).wire()}

    with live.app.deps.face_slots.hold():  # another request's face work in progress
        busy = post(live, f"/api/kiosk/sessions/{sid}/face-enrollment", enroll)
    too_many = post(live, f"/api/kiosk/sessions/{sid}/face-enrollment",
                    {**enroll, **fake_shots((90, 160, 200),
                                            live.app.settings.limits.max_frames + 1).wire()})
    done = post(live, f"/api/kiosk/sessions/{sid}/face-enrollment", enroll)

    assert (busy.status_code, busy.json()["error"]) == (503, "face_busy")
    assert int(busy.headers["Retry-After"]) >= 1
    assert (too_many.status_code, too_many.json()["error"]) == (422, "too_many_frames")
    assert done.status_code == 201, done.text


def test_wrong_codes_from_one_address_stop_at_the_per_address_limit_whatever_the_number(
    live_on: Callable[..., Live],
) -> None:
    live = live_on(code_failures_per_address={"limit": 6, "window_seconds": 3600})
    sessions, codes = [], []
    for i in range(8):  # each number its own session, sent from its own address
        session = new_session(live, address=f"10.8.0.{i}")
        assert send_code(live, session, mobile=f"1361234{i:04d}",
                         address=f"10.8.0.{i}").status_code == 202
        sessions.append(session)
        codes.append(live.last_code())

    answers = parallel(8, lambda i: check_in(live, sessions[i], wrong(codes[i]),
                                             mobile=f"1361234{i:04d}", address="203.0.113.50"))
    elsewhere = check_in(live, sessions[7], codes[7], mobile="13612340007", address="10.9.0.1")

    assert outcomes(answers) == {(400, "code_invalid"): 6, (429, "code_locked_out"): 2}
    assert elsewhere.status_code == 201, elsewhere.text  # the address stopped, not the number


def test_the_login_page_answers_429_with_retry_after_once_the_pair_is_spent(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    name = auth.make_user(live.app, "manager")
    address = {"X-Forwarded-For": "203.0.113.77"}
    with httpx.Client(base_url=live.base_url, timeout=30, headers=address) as browser:
        browser.get("/login")
        tries = []
        for _ in range(live.app.settings.login_max_failures + 1):
            csrf = browser.cookies["keyuan_login_csrf"]  # each page sets a new one
            tries.append(browser.post("/login", data={
                "username": name, "password": "not the password", "csrf_token": csrf}))

    assert [r.status_code for r in tries] == [401] * live.app.settings.login_max_failures + [429]
    assert int(tries[-1].headers["Retry-After"]) >= 1
    assert tries[-1].headers["content-type"].startswith("text/html")


def _face_only_visitor(live: Live, rgb: tuple[int, int, int]) -> str:
    session = new_session(live)
    sid = session["session_id"]
    receipt = post(live, f"/api/kiosk/sessions/{sid}/face-consent", {
        "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True,
        "agree": True}).json()["receipt_id"]
    enrolled = post(live, f"/api/kiosk/sessions/{sid}/face-enrollment",
                    {"consent_id": receipt, **fake_shots(rgb).wire()})
    assert enrolled.status_code == 201, enrolled.text
    return str(receipt)


def test_in_person_face_checks_against_one_receipt_are_limited(
    live_on: Callable[..., Live],
) -> None:
    live = live_on(face_attempts_per_claim={"limit": 3, "window_seconds": 3600})
    receipt = _face_only_visitor(live, (200, 150, 120))
    stranger = fake_shots((90, 160, 200)).wire()
    headers = auth.bearer(live.app, "reception")

    answers = [post(live, "/api/rights/in-person", {"receipt_id": receipt, **stranger},
                    address=f"10.10.0.{i}", **headers) for i in range(5)]

    assert outcomes(answers) == {(403, "rights_face_not_verified"): 3,
                                 (429, "face_attempts_rate_limited"): 2}


def test_the_retention_purge_drops_old_kiosk_sessions_but_keeps_refusals_and_spent_counts_go(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    checked_in = mobile_check_in(live, MOBILE)  # a session with a person and a code
    declined = new_session(live)
    refused = post(live, f"/api/kiosk/sessions/{declined['session_id']}/decline-face")
    assert refused.status_code == 200
    assert checked_in and scalar(live, "SELECT count(*) FROM throttle_counters") > 0
    live.clock.advance(days=live.app.settings.retention.transient_days + 1)

    purge(live.app.deps)

    assert scalar(live, "SELECT count(*) FROM kiosk_sessions") == 1  # the refusal (dashboard)
    assert scalar(live, "SELECT count(*) FROM kiosk_sessions WHERE face_declined") == 1
    assert scalar(live, "SELECT count(*) FROM one_time_codes") == 0
    assert scalar(live, "SELECT count(*) FROM throttle_counters") == 0
