"""Logins over real HTTP: cookie sessions with CSRF, bearer tokens, expiry, logout, throttling,
secrets kept out of logs, responses and the store; `keyuan user add`; fail-closed routes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.cli.accounts import user_cli
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.errors import (
    LoginFailed,
    LoginThrottled,
    UnknownAccount,
    UsernameTaken,
    WeakPassword,
)
from keyuan.domain.accounts.model import Role
from keyuan.services.accounts.service import (
    AddUserCmd,
    SessionConfig,
    add_user,
    authenticate,
    change_password,
    has_users,
    login,
    logout,
    set_disabled,
)
from keyuan.web.app import create_app
from support import auth
from support.live import Live, live_server

from .conftest import Kiosk

RULES = "/api/offices/demo-office/attribution-rules"
NEW_RULES = {"registration_valid_hours": 48, "protection_days": 30, "known_lookback_days": 90}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("sessions"), engine=FakeEngine(FaceSettings()),
                     session_cookie_secure=False, login_max_failures=3) as server:
        yield server


@pytest.fixture
def browser(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        yield http


def test_a_cookie_login_is_httponly_samesite_strict_and_needs_csrf_to_change_anything(
    live: Live, browser: httpx.Client,
) -> None:
    name = auth.make_user(live.app, "manager")
    r = browser.post("/api/auth/login", json={"username": name, "password": auth.PASSWORD})
    assert r.status_code == 200, r.text
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("keyuan_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("keyuan_csrf="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    assert "HttpOnly" not in csrf_cookie and "SameSite=strict" in csrf_cookie
    csrf = r.json()["csrf_token"]

    assert browser.get(RULES).status_code == 200  # reading needs no CSRF token
    refused = browser.put(RULES, json=NEW_RULES)
    wrong = browser.put(RULES, json=NEW_RULES, headers={"X-CSRF-Token": "0" * 64})
    done = browser.put(RULES, json=NEW_RULES, headers={"X-CSRF-Token": csrf})

    assert (refused.status_code, refused.json()["error"]) == (403, "csrf_failed")
    assert (wrong.status_code, wrong.json()["error"]) == (403, "csrf_failed")
    assert done.status_code == 200
    me = browser.get("/api/auth/me").json()
    assert me == {"username": name, "role": "manager", "channel_id": None}


def test_cookies_are_secure_by_default(make_kiosk: Callable[..., Kiosk]) -> None:
    k = make_kiosk()
    name = auth.make_user(k.app, "finance")
    with TestClient(create_app(k.app), base_url="https://testserver") as http:
        r = http.post("/api/auth/login", json={"username": name, "password": auth.PASSWORD})
    assert all("Secure" in c for c in r.headers.get_list("set-cookie"))


def test_a_bearer_token_needs_no_csrf_and_dies_at_logout(live: Live) -> None:
    name = auth.make_user(live.app, "manager")
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        issued = http.post("/api/auth/token", json={"username": name,
                                                    "password": auth.PASSWORD})
        assert issued.status_code == 200 and "set-cookie" not in issued.headers
        bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
        assert http.put(RULES, json=NEW_RULES, headers=bearer).status_code == 200
        assert http.post("/api/auth/logout", headers=bearer).status_code == 204
        after = http.get(RULES, headers=bearer)
    assert (after.status_code, after.json()["error"]) == (401, "not_authenticated")


def test_a_session_expires(live: Live) -> None:
    name = auth.make_user(live.app, "reception")
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        token = http.post("/api/auth/token", json={"username": name,
                                                   "password": auth.PASSWORD}).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert http.get(RULES, headers=bearer).status_code == 200
        live.clock.advance(seconds=live.app.settings.session_ttl_seconds)
        assert http.get(RULES, headers=bearer).status_code == 401


def test_a_cookie_token_sent_as_bearer_is_refused(live: Live, browser: httpx.Client) -> None:
    """A stolen cookie cannot be replayed as a bearer header to skip the CSRF check."""
    name = auth.make_user(live.app, "manager")
    browser.post("/api/auth/login", json={"username": name, "password": auth.PASSWORD})
    cookie = browser.cookies["keyuan_session"]
    with httpx.Client(base_url=live.base_url, timeout=30) as other:
        r = other.put(RULES, json=NEW_RULES, headers={"Authorization": f"Bearer {cookie}"})
    assert r.status_code == 401


def test_a_wrong_password_is_refused_and_throttled_after_n_tries(live: Live) -> None:
    name = auth.make_user(live.app, "finance")
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        def attempt(password: str) -> httpx.Response:
            return http.post("/api/auth/token", json={"username": name, "password": password})

        wrong = [attempt("not the password") for _ in range(3)]
        locked = attempt(auth.PASSWORD)
        live.clock.advance(seconds=int(locked.headers["Retry-After"]))
        unlocked = attempt(auth.PASSWORD)

    assert [(r.status_code, r.json()["error"]) for r in wrong] == [(401, "login_failed")] * 3
    assert (locked.status_code, locked.json()["error"]) == (429, "login_throttled")
    assert unlocked.status_code == 200


def test_unknown_users_get_the_same_answer_as_wrong_passwords(live: Live) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        r = http.post("/api/auth/token", json={"username": "nobody-here", "password": "x" * 12})
    assert (r.status_code, r.json()["error"]) == (401, "login_failed")


def test_no_password_or_token_in_logs_responses_or_the_store(
    live: Live, caplog: pytest.LogCaptureFixture,
) -> None:
    access = logging.getLogger("uvicorn.access")
    access.addHandler(caplog.handler)
    access.setLevel(logging.INFO)
    caplog.set_level(logging.DEBUG)
    secret_password = "s3cret-Pa55word-under-test"
    name = auth.make_user(live.app, "compliance", password=secret_password)
    try:
        with httpx.Client(base_url=live.base_url, timeout=30) as http:
            failed = http.post("/api/auth/token", json={"username": name,
                                                        "password": secret_password + "x"})
            issued = http.post("/api/auth/token", json={"username": name,
                                                        "password": secret_password})
            token = issued.json()["token"]
            bearer = {"Authorization": f"Bearer {token}"}
            later = [http.get("/api/auth/me", headers=bearer),
                     http.get("/api/compliance/audit", headers=bearer),
                     http.get("/api/compliance/audit", headers={"Authorization": "Bearer x"})]
            page = http.post("/login", data={"username": name, "password": secret_password + "y",
                                             "csrf_token": "x", "next": "/"})
    finally:
        access.removeHandler(caplog.handler)

    assert any("/api/auth/token" in m for m in caplog.messages)  # the access log was captured
    for r in [failed, issued, *later, page]:
        assert secret_password not in r.text
    for r in [failed, *later, page]:
        assert token not in r.text
    assert secret_password not in caplog.text and token not in caplog.text
    with live.app.db.connect() as conn:
        dump = " ".join(str(row) for table in ("users", "account_sessions", "audit_events")
                        for row in conn.execute(text(f"SELECT * FROM {table}")))
    assert secret_password not in dump and token not in dump and "$argon2id$" in dump


def test_the_login_page_is_zh_cn_by_default_with_english_and_labelled_inputs(
    live: Live,
) -> None:
    name = auth.make_user(live.app, "reception")
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        zh = http.get("/login")
        en = http.get("/login?lang=en")
        stale = http.post("/login", data={"username": name, "password": auth.PASSWORD,
                                          "csrf_token": "forged"})
        csrf = stale.cookies["keyuan_login_csrf"]  # every rendered form carries a new one
        ok = http.post("/login", data={"username": name, "password": auth.PASSWORD,
                                       "csrf_token": csrf, "next": "https://evil.example/"})
    assert 'lang="zh-CN"' in zh.text and "员工登录" in zh.text and "Staff login" in en.text
    assert 'for="username"' in zh.text and 'for="password"' in zh.text
    assert stale.status_code == 403
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # never an open redirect
    assert "keyuan_session=" in ok.headers["set-cookie"]


def test_a_route_added_without_a_policy_entry_is_refused_to_everyone(live: Live) -> None:
    api = create_app(live.app)

    @api.post("/api/new-feature")
    def new_feature() -> dict[str, str]:
        return {"did": "something"}

    with TestClient(api) as http:
        anonymous = http.post("/api/new-feature")
        admin = http.post("/api/new-feature", headers=auth.bearer(live.app, "admin"))
    assert anonymous.status_code == 401
    assert (admin.status_code, admin.json()["error"]) == (403, "forbidden")


def test_user_add_reads_the_password_from_stdin_and_never_prints_it(
    live: Live, tmp_path: Path,
) -> None:
    env = {"KEYUAN_DATA_DIR": str(live.app.settings.data_dir), "KEYUAN_ENVIRONMENT": "test",
           "KEYUAN_SECRET_KEY": live.app.settings.secret_key, "KEYUAN_FACE_MODULE": "off"}
    secret_password = "from-stdin-passw0rd"
    result = CliRunner().invoke(user_cli, ["add", "desk-li", "--role", "signing"],
                                input=secret_password + "\n", env=env)
    refused = CliRunner().invoke(user_cli, ["add", "agent-x", "--role", "agent"],
                                 input=secret_password + "\n", env=env)

    assert result.exit_code == 0, result.output
    assert "added signing 'desk-li'" in result.output and secret_password not in result.output
    assert refused.exit_code == 1 and "--channel" in refused.stderr
    assert refused.stderr.startswith("error: invalid_account: ")
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        r = http.post("/api/auth/token", json={"username": "desk-li",
                                               "password": secret_password})
    assert r.status_code == 200

    listed = CliRunner().invoke(user_cli, ["list"], env=env)
    assert listed.exit_code == 0 and "desk-li\tsigning\t-\tactive" in listed.output
    assert "$argon2" not in listed.output
    off = CliRunner().invoke(user_cli, ["disable", "desk-li"], env=env)
    assert off.exit_code == 0 and "disabled 'desk-li'" in off.output
    new_password = "another-passw0rd-x"
    changed = CliRunner().invoke(user_cli, ["passwd", "desk-li"], input=new_password + "\n",
                                 env=env)
    assert changed.exit_code == 0 and new_password not in changed.output
    missing = CliRunner().invoke(user_cli, ["disable", "no-such-user"], env=env)
    assert missing.exit_code == 1
    assert missing.stderr == "error: unknown_account: No account has that username.\n"
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        disabled = http.post("/api/auth/token", json={"username": "desk-li",
                                                      "password": new_password})
        assert CliRunner().invoke(user_cli, ["enable", "desk-li"], env=env).exit_code == 0
        enabled = http.post("/api/auth/token", json={"username": "desk-li",
                                                     "password": new_password})
    assert (disabled.status_code, enabled.status_code) == (401, 200)


def test_init_creates_no_account_and_so_no_default_password(kiosk: Kiosk) -> None:
    assert has_users(kiosk.deps) is False


def test_accounts_sessions_and_the_throttle_on_each_store(store_kiosk: Kiosk) -> None:
    deps, cfg = store_kiosk.deps, SessionConfig(max_failures=2, lockout_seconds=60)
    add_user(AddUserCmd("fin-wang", Role.finance, auth.PASSWORD), deps)
    with pytest.raises(UsernameTaken):
        add_user(AddUserCmd("fin-wang", Role.manager, auth.PASSWORD), deps)
    logged = login("fin-wang", auth.PASSWORD, "bearer", deps, cfg)
    who = authenticate(logged.token, deps)
    assert who is not None and (who.username, who.role, who.via_cookie) == (
        "fin-wang", Role.finance, False)
    logout(who, deps)
    assert authenticate(logged.token, deps) is None
    for _ in range(2):
        with pytest.raises(LoginFailed):
            login("fin-wang", "wrong password!", "bearer", deps, cfg)
    with pytest.raises(LoginThrottled):
        login("fin-wang", auth.PASSWORD, "bearer", deps, cfg)


def test_logins_logouts_and_account_changes_are_audited_and_end_sessions(
        store_kiosk: Kiosk) -> None:
    deps, cfg = store_kiosk.deps, SessionConfig(max_failures=5)
    user = add_user(AddUserCmd("mgr-zhao", Role.manager, auth.PASSWORD), deps)
    with pytest.raises(LoginFailed):
        login("mgr-zhao", "wrong password!", "cookie", deps, cfg)
    with pytest.raises(LoginFailed):
        login("nobody-here", "wrong password!", "cookie", deps, cfg)
    logged = login("mgr-zhao", auth.PASSWORD, "cookie", deps, cfg)
    who = authenticate(logged.token, deps)
    assert who is not None
    logout(who, deps)
    other = login("mgr-zhao", auth.PASSWORD, "bearer", deps, cfg)
    set_disabled("mgr-zhao", True, deps, actor="admin:root")
    assert authenticate(other.token, deps) is None  # disabling ends the session at once
    with pytest.raises(LoginFailed):
        login("mgr-zhao", auth.PASSWORD, "bearer", deps, cfg)
    set_disabled("mgr-zhao", False, deps)
    again = login("mgr-zhao", auth.PASSWORD, "bearer", deps, cfg)
    change_password("mgr-zhao", "a brand new passphrase", deps)
    assert authenticate(again.token, deps) is None  # a new password ends every session
    with pytest.raises(WeakPassword):
        change_password("mgr-zhao", "short", deps)
    with pytest.raises(UnknownAccount):
        set_disabled("nobody-here", True, deps)
    assert login("mgr-zhao", "a brand new passphrase", "bearer", deps, cfg).user.id == user.id

    with deps.uow() as uow:
        events = [(e.actor, e.action, e.subject, e.detail) for e in uow.audit.all()
                  if e.action.startswith("account.") and e.action != "account.user_added"]
    assert events == [
        ("accounts", "account.login_failed", user.id, {"known_account": True}),
        ("accounts", "account.login_failed", None, {"known_account": False}),
        ("manager:mgr-zhao", "account.login", user.id, {"kind": "cookie"}),
        ("manager:mgr-zhao", "account.logout", user.id, {}),
        ("manager:mgr-zhao", "account.login", user.id, {"kind": "bearer"}),
        ("admin:root", "account.disabled", user.id, {}),
        ("accounts", "account.login_failed", user.id, {"known_account": True}),
        ("accounts", "account.enabled", user.id, {}),
        ("manager:mgr-zhao", "account.login", user.id, {"kind": "bearer"}),
        ("accounts", "account.password_changed", user.id, {}),
        ("manager:mgr-zhao", "account.login", user.id, {"kind": "bearer"}),
    ]
    # the audit never holds a password or a session token
    blob = repr(events)
    assert auth.PASSWORD not in blob and "brand new" not in blob and other.token not in blob
