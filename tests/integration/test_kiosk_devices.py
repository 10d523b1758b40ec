"""Paired kiosk devices over real HTTP on SQLite and PostgreSQL: every kiosk route refuses an
unpaired (or since unpaired) caller; a pairing code pairs exactly one tablet, once, for ten
minutes, even when redeemed in parallel; a session belongs to the tablet that opened it; the
limits per device and per number stop the SMS bombing of issue 13 (100 codes to one number
through new sessions; 50 numbers from one session or one tablet), counted exactly under
parallel requests; demo mode pairs a labelled demo tablet for loopback callers only.

Client addresses are varied through X-Forwarded-For from a trusted proxy (the loopback peer)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.api.guard import DEVICE_HEADER
from keyuan.cli.main import cli
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.policy import POLICY, Kind
from keyuan.services.checkin import devices
from support import auth
from support.devices import pair_device
from support.live import Live, live_server
from support.offices import set_up_office
from support.parallel import parallel

OFFICE = "demo-office"
MOBILE = "13912345678"
HTML = {"Accept": "text/html"}
TRUST_LOOPBACK = {"trusted_proxies": ["127.0.0.1"]}
ROOMY = {"kiosk_sessions_per_address": {"limit": 10_000, "window_seconds": 60},
         "sms_per_address": {"limit": 10_000, "window_seconds": 3600}}


@pytest.fixture
def live_on(store_url: str, tmp_path: Path) -> Iterator[Callable[..., Live]]:
    """A live server on this test's store with `limits` overrides (one per test)."""
    servers: list[Any] = []

    def start(demo: bool = False, **limits: object) -> Live:
        context = live_server(tmp_path / "data", engine=FakeEngine(FaceSettings()),
                              database_url=None if store_url.startswith("sqlite") else store_url,
                              session_cookie_secure=False, demo=demo,
                              limits={**TRUST_LOOPBACK, **limits})
        servers.append(context)
        return context.__enter__()

    yield start
    for context in servers:
        context.__exit__(None, None, None)



def post(live: Live, path: str, body: dict[str, Any] | None = None, *,
         token: str | None = None, address: str = "198.51.100.1") -> httpx.Response:
    headers = {"X-Forwarded-For": address, **({DEVICE_HEADER: token} if token else {})}
    with httpx.Client(base_url=live.base_url, timeout=60) as http:
        return http.post(path, json=body or {}, headers=headers)


def outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    return Counter((r.status_code, r.json().get("error", "ok")) for r in responses)


def scalar(live: Live, sql: str) -> int:
    with live.app.db.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def audited(live: Live, action: str) -> int:
    with live.app.deps.uow() as uow:
        return sum(e.action == action for e in uow.audit.all())


def session(live: Live, token: str, address: str = "198.51.100.1") -> str:
    r = post(live, "/api/kiosk/sessions", {"office_id": OFFICE}, token=token, address=address)
    assert r.status_code == 201, r.text
    return str(r.json()["session_id"])


def send_code(live: Live, token: str, sid: str, mobile: str = MOBILE,
              address: str = "198.51.100.1") -> httpx.Response:
    return post(live, f"/api/kiosk/sessions/{sid}/phone-code", {"mobile": mobile}, token=token,
                address=address)


def offer(live: Live, admin: httpx.Client, name: str = "前台平板") -> dict[str, Any]:
    r = admin.post("/api/admin/devices/pairing-codes", json={"office_id": OFFICE, "name": name})
    assert r.status_code == 201, r.text
    return dict(r.json())


KIOSK_ROUTES = sorted(key for key, rule in POLICY.items() if rule.kind is Kind.kiosk)


# --- refusal ------------------------------------------------------------------------------------

def test_every_kiosk_route_refuses_a_caller_without_a_paired_device(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    token = pair_device(live.app.deps)
    sid = session(live, token)
    assert len(KIOSK_ROUTES) == 10  # the return check and the liveness challenge included
    assert "POST /api/kiosk/sessions/{session_id}/return-check" in KIOSK_ROUTES
    assert "POST /api/kiosk/sessions/{session_id}/liveness-challenge" in KIOSK_ROUTES
    for key in KIOSK_ROUTES:
        method, path = key.split(" ", 1)
        url = path.replace("{session_id}", sid)
        for headers in ({}, {DEVICE_HEADER: "not-a-token"}):
            with httpx.Client(base_url=live.base_url, timeout=30) as http:
                r = http.request(method, url, json={"office_id": OFFICE}, headers=headers)
            assert (r.status_code, r.json()["error"]) == (401, "device_not_paired"), key
            assert "administrator" in r.json()["message"]
    with httpx.Client(base_url=live.base_url, timeout=30) as browser:
        page = browser.get(f"/kiosk/{OFFICE}", headers=HTML)
        home = browser.get("/kiosk", headers=HTML)
    for answer in (page, home):
        assert answer.status_code == 401 and 'data-error="device_not_paired"' in answer.text
        assert "此平板尚未配对" in answer.text and "This tablet is not paired" in answer.text
    assert scalar(live, "SELECT count(*) FROM kiosk_sessions") == 1  # nothing was started


def test_unpairing_refuses_the_next_request_and_refusals_are_audited_once_an_hour(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    with auth.client(live.base_url, live.app, "admin") as admin:
        paired = post(live, "/api/kiosk/pairing", {"code": offer(live, admin)["code"]})
        token, device_id = paired.json()["device_token"], paired.json()["device_id"]
        sid = session(live, token)
        listed = admin.get("/api/admin/devices").json()
        assert [d["device_id"] for d in listed] == [device_id]
        assert token not in str(listed) and devices.token_hash(token) not in str(listed)

        gone = admin.post(f"/api/admin/devices/{device_id}/unpair")
        assert gone.status_code == 200 and gone.json()["unpaired_at"]
        twice = admin.post(f"/api/admin/devices/{device_id}/unpair")
        assert (twice.status_code, twice.json()["error"]) == (409, "device_already_unpaired")
        unknown = admin.post("/api/admin/devices/dev_nope/unpair")
        assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_device")
    refused = [send_code(live, token, sid) for _ in range(5)] + [
        post(live, "/api/kiosk/sessions", {"office_id": OFFICE}, token=token)]
    assert outcomes(refused) == {(401, "device_not_paired"): 6}
    with httpx.Client(base_url=live.base_url, headers={DEVICE_HEADER: token}) as tablet:
        assert tablet.get(f"/kiosk/{OFFICE}", headers=HTML).status_code == 401
    assert (audited(live, "device_pairing_offered"), audited(live, "device_paired"),
            audited(live, "device_unpaired"), audited(live, "kiosk_device_refused")) == (1, 1, 1, 1)
    assert len(live.sender.sent) == 0


def test_a_session_belongs_to_the_tablet_that_opened_it_and_of_its_office(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    set_up_office(live.app.deps, "sales-2", name="二号售楼处")
    mine, other, elsewhere = (pair_device(live.app.deps), pair_device(live.app.deps),
                              pair_device(live.app.deps, "sales-2"))
    sid = session(live, mine)
    stolen = send_code(live, other, sid)
    assert (stolen.status_code, stolen.json()["error"]) == (404, "unknown_session")
    wrong_office = post(live, "/api/kiosk/sessions", {"office_id": OFFICE}, token=elsewhere)
    assert (wrong_office.status_code, wrong_office.json()["error"]) == (
        403, "device_other_office")
    with httpx.Client(base_url=live.base_url, headers={DEVICE_HEADER: elsewhere}) as tablet:
        sent_on = tablet.get(f"/kiosk/{OFFICE}", headers=HTML)
    assert sent_on.status_code == 303 and sent_on.headers["location"] == "/kiosk/sales-2"
    assert send_code(live, mine, sid).status_code == 202
    assert len(live.sender.sent) == 1


# --- pairing --------------------------------------------------------------------------------------

def test_a_pairing_code_pairs_one_tablet_once_within_ten_minutes(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    with auth.client(live.base_url, live.app, "admin") as admin:
        first = offer(live, admin)
        assert first["url"] == f"{live.base_url}/kiosk/pair?code={first['code']}"
        with httpx.Client(base_url=live.base_url) as tablet:
            page = tablet.get(f"/kiosk/pair?code={first['code']}", headers=HTML)
            assert page.status_code == 200 and f'value="{first["code"]}"' in page.text
            paired = tablet.post("/api/kiosk/pairing",
                                 json={"code": first["code"].lower().replace("-", " ")})
            assert paired.status_code == 201, paired.text
            cookie = paired.headers["set-cookie"]
            assert "keyuan_device=" in cookie and "HttpOnly" in cookie
            assert "SameSite=strict" in cookie and "Secure" not in cookie  # plain HTTP here
            assert tablet.get(f"/kiosk/{OFFICE}", headers=HTML).status_code == 200  # cookie
        again = post(live, "/api/kiosk/pairing", {"code": first["code"]})
        assert (again.status_code, again.json()["error"]) == (400, "pairing_code_invalid")

        late = offer(live, admin)
        live.clock.advance(minutes=10)
        expired = post(live, "/api/kiosk/pairing", {"code": late["code"]})
        assert (expired.status_code, expired.json()["error"]) == (400, "pairing_code_invalid")
        for bad in ("", "x" * 32, "ABCD-EFG0", "\u00e9" * 8):
            r = post(live, "/api/kiosk/pairing", {"code": bad}, address="10.9.9.9")
            assert r.status_code in (400, 422), r.text
    assert scalar(live, "SELECT count(*) FROM kiosk_devices") == 1
    assert scalar(live, "SELECT count(*) FROM kiosk_devices WHERE token_hash = "
                  f"'{devices.token_hash(paired.json()['device_token'])}'") == 1


def test_parallel_redemptions_of_one_code_pair_exactly_one_tablet(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    code = devices.offer_pairing(OFFICE, "前台平板", live.app.deps, actor="test").code
    answers = parallel(8, lambda i: post(live, "/api/kiosk/pairing", {"code": code},
                                         address=f"10.1.0.{i}"))
    assert outcomes(answers) == {(201, "ok"): 1, (400, "pairing_code_invalid"): 7}
    assert scalar(live, "SELECT count(*) FROM kiosk_devices") == 1
    assert audited(live, "device_paired") == 1


def test_wrong_pairing_codes_are_limited_per_address_and_audited_once(
    live_on: Callable[..., Live],
) -> None:
    live = live_on()
    limit = live.app.settings.limits.pairing_failures_per_address.limit
    answers = parallel(limit + 5, lambda i: post(live, "/api/kiosk/pairing",
                                                 {"code": "ABCD-EFGH"}, address="203.0.113.9"))
    assert outcomes(answers) == {(400, "pairing_code_invalid"): limit,
                                 (429, "pairing_rate_limited"): 5}
    assert all(int(r.headers["Retry-After"]) >= 1 for r in answers if r.status_code == 429)
    code = devices.offer_pairing(OFFICE, "前台平板", live.app.deps, actor="test").code
    blocked = post(live, "/api/kiosk/pairing", {"code": code}, address="203.0.113.9")
    assert blocked.status_code == 429  # even the right code, from that address
    assert post(live, "/api/kiosk/pairing", {"code": code}, address="10.0.0.1").status_code == 201
    assert audited(live, "device_pairing_refused") == 1


# --- the SMS bombing of issue 13, and the limits per device -------------------------------------

def test_100_codes_to_one_number_through_new_sessions_send_only_the_per_number_limits(
    live_on: Callable[..., Live],
) -> None:
    live = live_on(**ROOMY)
    limits = live.app.settings.limits
    tablets = [pair_device(live.app.deps, name=f"平板 {i}") for i in range(4)]
    sessions = [session(live, tablets[i % 4], address=f"10.2.{i}.1") for i in range(100)]

    answers = parallel(100, lambda i: send_code(live, tablets[i % 4], sessions[i],
                                                address=f"10.2.{i}.1"))

    per_hour = limits.sms_per_mobile.limit
    assert outcomes(answers) == {(202, "ok"): per_hour, (429, "sms_rate_limited"): 100 - per_hour}
    assert len(live.sender.sent) == per_hour
    for _ in range(6):  # hour after hour, the day's limit holds
        live.clock.advance(hours=2)
        send_code(live, tablets[0], session(live, tablets[0]))
    assert len(live.sender.sent) == limits.sms_per_mobile_day.limit


def test_50_numbers_from_one_session_or_one_tablet_stop_at_the_session_and_device_limits(
    live_on: Callable[..., Live],
) -> None:
    live = live_on(**ROOMY)
    limits = live.app.settings.limits
    tablet = pair_device(live.app.deps)
    sid = session(live, tablet)
    one_session = parallel(50, lambda i: send_code(live, tablet, sid, f"1371234{i:04d}",
                                                   address=f"10.3.{i}.1"))
    per_session = limits.sms_per_session.limit
    assert outcomes(one_session)[(202, "ok")] == per_session

    sessions = [session(live, tablet, address=f"10.4.{i}.1") for i in range(50)]
    new_sessions = parallel(50, lambda i: send_code(live, tablet, sessions[i],
                                                    f"1381234{i:04d}", address=f"10.4.{i}.1"))
    left = limits.sms_per_device.limit - per_session
    assert outcomes(new_sessions) == {(202, "ok"): left, (429, "sms_rate_limited"): 50 - left}
    assert all(int(r.headers["Retry-After"]) >= 1 for r in new_sessions if r.status_code == 429)
    assert len(live.sender.sent) == limits.sms_per_device.limit
    other = pair_device(live.app.deps, name="二号平板")  # another tablet is not held up
    assert send_code(live, other, session(live, other), "13912340000").status_code == 202


def test_sessions_and_wrong_codes_per_tablet_are_counted_exactly(
    live_on: Callable[..., Live],
) -> None:
    live = live_on(kiosk_sessions_per_device={"limit": 12, "window_seconds": 3600},
                   code_failures_per_device={"limit": 6, "window_seconds": 3600}, **ROOMY)
    tablet = pair_device(live.app.deps)
    started = parallel(20, lambda i: post(live, "/api/kiosk/sessions", {"office_id": OFFICE},
                                          token=tablet, address=f"10.5.{i}.1"))
    assert outcomes(started) == {(201, "ok"): 12, (429, "kiosk_sessions_rate_limited"): 8}

    other = pair_device(live.app.deps, name="二号平板")
    sessions = [session(live, other, address=f"10.6.{i}.1") for i in range(8)]
    for i, sid in enumerate(sessions):
        assert send_code(live, other, sid, f"1361234{i:04d}", f"10.6.{i}.1").status_code == 202
    notice = post(live, "/api/kiosk/sessions", {"office_id": OFFICE}, token=other).json()[
        "notice"]["content_hash"]
    guesses = parallel(8, lambda i: post(live, f"/api/kiosk/sessions/{sessions[i]}/phone-check-in",
                                         {"mobile": f"1361234{i:04d}", "code": "000000",
                                          "agree": True, "notice_hash": notice},
                                         token=other, address=f"10.7.{i}.1"))
    assert outcomes(guesses) == {(400, "code_invalid"): 6, (429, "code_locked_out"): 2}


# --- demo mode ----------------------------------------------------------------------------------

def test_demo_mode_pairs_a_labelled_demo_tablet_for_loopback_callers_only(
    live_on: Callable[..., Live],
) -> None:
    live = live_on(demo=True)
    with httpx.Client(base_url=live.base_url, timeout=30) as proxied:
        far = proxied.get(f"/kiosk/{OFFICE}", headers={**HTML, "X-Forwarded-For": "10.0.0.8"})
    assert far.status_code == 401 and scalar(live, "SELECT count(*) FROM kiosk_devices") == 0
    with httpx.Client(base_url=live.base_url, timeout=30) as browser:
        assert browser.get("/kiosk", headers=HTML).headers["location"] == f"/kiosk/{OFFICE}"
        page = browser.get(f"/kiosk/{OFFICE}", headers=HTML)
        assert page.status_code == 200 and "keyuan_device" in browser.cookies
        started = browser.post("/api/kiosk/sessions", json={"office_id": OFFICE})
        assert started.status_code == 201, started.text
        assert browser.get(f"/kiosk/{OFFICE}", headers=HTML).status_code == 200  # same tablet
    [device] = devices.devices(live.app.deps)
    assert device.demo and "Demo" in device.name and device.paired_by == "demo"
    assert audited(live, "device_paired") == 1


def test_outside_demo_mode_nothing_is_paired_automatically(live_on: Callable[..., Live]) -> None:
    live = live_on()
    with httpx.Client(base_url=live.base_url, timeout=30) as browser:
        assert browser.get(f"/kiosk/{OFFICE}", headers=HTML).status_code == 401
        assert browser.get("/kiosk", headers=HTML).status_code == 401
    assert scalar(live, "SELECT count(*) FROM kiosk_devices") == 0


# --- the command line ----------------------------------------------------------------------------

def test_the_cli_pairs_lists_and_unpairs(live_on: Callable[..., Live], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    live = live_on()
    settings = live.app.settings
    monkeypatch.setenv("KEYUAN_ENVIRONMENT", "test")
    monkeypatch.setenv("KEYUAN_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("KEYUAN_FACE_MODULE", "off")
    monkeypatch.delenv("KEYUAN_DEMO", raising=False)
    if settings.database_url:
        monkeypatch.setenv("KEYUAN_DATABASE_URL", settings.database_url)
    data = ["--data-dir", str(settings.data_dir)]
    runner = CliRunner()

    done = runner.invoke(cli, ["device", "pair", "--office", OFFICE, "--name", "前台平板 1",
                               "--url", live.base_url, *data])
    assert done.exit_code == 0, done.stdout + done.stderr
    url = next(line.split(": ", 1)[1] for line in done.stdout.splitlines()
               if "open on the tablet" in line)
    assert url.startswith(f"{live.base_url}/kiosk/pair?code=")
    assert "█" in done.stdout or "▀" in done.stdout or "▄" in done.stdout  # the QR code
    paired = post(live, "/api/kiosk/pairing", {"code": url.split("code=")[1]})
    assert paired.status_code == 201, paired.text
    device_id = paired.json()["device_id"]

    listed = runner.invoke(cli, ["device", "list", *data])
    assert device_id in listed.stdout and "前台平板 1" in listed.stdout and "\tpaired" in \
        listed.stdout
    gone = runner.invoke(cli, ["device", "unpair", device_id, *data])
    assert gone.exit_code == 0 and device_id in gone.stdout
    assert session_refused(live, paired.json()["device_token"])
    unknown = runner.invoke(cli, ["device", "unpair", "dev_nope", *data])
    assert unknown.exit_code == 1 and "unknown_device" in unknown.stderr


def session_refused(live: Live, token: str) -> bool:
    r = post(live, "/api/kiosk/sessions", {"office_id": OFFICE}, token=token)
    return (r.status_code, r.json()["error"]) == (401, "device_not_paired")
