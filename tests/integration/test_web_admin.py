"""The admin workspace (issue 16 item 2): `/admin` and `/admin/accounts` with their API
(`/api/admin/accounts…`), over real HTTP on SQLite and PostgreSQL. Only the admin role opens
them; a temporary password is shown once and works; disabling ends sessions; bad input is a
one-line JSON refusal that writes nothing; the last enabled admin stays enabled even when two
admins disable each other at the same moment."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from keyuan.domain.accounts.model import Role
from keyuan.services.accounts.service import users
from keyuan.services.attribution.registration import create_channel
from support import auth
from support.live import Live, live_server

HTML = {"accept": "text/html"}
ADMIN_PAGES = ("/admin", "/admin/accounts")


@pytest.fixture
def live(tmp_path: Path, store_url: str) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off", database_url=store_url,
                     session_cookie_secure=False) as server:
        yield server


def admin_client(live: Live) -> tuple[httpx.Client, str]:
    name = auth.make_user(live.app, Role.admin)
    http = httpx.Client(base_url=live.base_url, timeout=30)
    csrf = auth.cookie_login(http, name)
    http.headers["X-CSRF-Token"] = csrf
    return http, name


def names(http: httpx.Client) -> list[str]:
    return [a["username"] for a in http.get("/api/admin/accounts").json()]


def test_only_the_admin_opens_the_admin_pages_and_api(live: Live) -> None:
    channel = create_channel("demo-office", "distributor", "星河分销", live.app.deps)
    for role, scope in ((Role.manager, None), (Role.reception, None), (Role.finance, None),
                        (Role.compliance, None), (Role.distributor, channel.id)):
        with auth.client(live.base_url, live.app, role, channel=scope) as other:
            for path in ADMIN_PAGES:
                page = other.get(path, headers=HTML)
                assert page.status_code == 403, (role, path)
                assert "<html" in page.text and "Traceback" not in page.text
            assert other.get("/api/admin/accounts").status_code == 403
            refused = other.post("/api/admin/accounts", json={"username": "sneaky",
                                                              "role": "admin"})
            assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
            assert other.post("/api/admin/accounts/sneaky/password-reset").status_code == 403
    anonymous = httpx.Client(base_url=live.base_url, timeout=30)
    assert anonymous.get("/api/admin/accounts").status_code == 401
    page = anonymous.get("/admin/accounts", headers=HTML)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    admin = auth.client(live.base_url, live.app, Role.admin)
    assert "sneaky" not in names(admin)


def test_each_role_lands_on_its_own_page(live: Live) -> None:
    landings = {Role.admin: "/admin", Role.manager: "/dashboard",
                Role.signing: "/desk/signing", Role.compliance: "/compliance"}
    for role, path in landings.items():
        with auth.client(live.base_url, live.app, role) as http:
            home = http.get("/", headers=HTML)
            assert home.status_code == 303 and home.headers["location"] == path, role


def test_admin_adds_disables_enables_and_resets_an_account(live: Live) -> None:
    admin, admin_name = admin_client(live)
    added = admin.post("/api/admin/accounts", json={"username": "desk.li", "role": "reception"})
    assert added.status_code == 201, added.text
    assert added.headers["cache-control"] == "no-store"
    first = added.json()["temporary_password"]
    assert len(first) == 19 and first.count("-") == 3
    assert added.json()["account"] == {**added.json()["account"], "username": "desk.li",
                                       "role": "reception", "disabled": False}
    assert "temporary_password" not in admin.get("/api/admin/accounts").text

    desk = httpx.Client(base_url=live.base_url, timeout=30)
    desk_csrf = auth.cookie_login(desk, "desk.li", first)
    assert desk.get("/api/auth/me").json()["role"] == "reception"

    off = admin.put("/api/admin/accounts/desk.li/disabled", json={"disabled": True})
    assert off.status_code == 200 and off.json()["disabled"] is True
    assert desk.get("/api/auth/me").status_code == 401  # the session ended at once
    refused = desk.post("/api/auth/login", json={"username": "desk.li", "password": first})
    assert refused.status_code == 401
    on = admin.put("/api/admin/accounts/desk.li/disabled", json={"disabled": False})
    assert on.status_code == 200 and on.json()["disabled"] is False
    desk_csrf = auth.cookie_login(desk, "desk.li", first)
    assert desk_csrf

    reset = admin.post("/api/admin/accounts/desk.li/password-reset")
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    second = reset.json()["temporary_password"]
    assert second != first
    assert desk.get("/api/auth/me").status_code == 401  # a reset ends every session
    assert desk.post("/api/auth/login", json={"username": "desk.li",
                                              "password": first}).status_code == 401
    assert auth.cookie_login(desk, "desk.li", second)

    with live.app.deps.uow() as uow:
        user = uow.accounts.user_by_name("desk.li")
        assert user is not None
        done = [(e.actor, e.action) for e in uow.audit.all() if e.subject == user.id
                and e.action.startswith("account.") and "login" not in e.action]
    actor = f"admin:{admin_name}"
    assert done == [(actor, "account.user_added"), (actor, "account.disabled"),
                    (actor, "account.enabled"), (actor, "account.password_changed")]


def test_bad_account_input_is_refused_in_one_line_and_writes_nothing(live: Live) -> None:
    admin, _ = admin_client(live)
    before = names(admin)
    channel = create_channel("demo-office", "distributor", "星河分销", live.app.deps)
    cases = [
        ({"username": "Bad Name", "role": "sales"}, 422, "invalid_account"),
        ({"username": "x", "role": "sales"}, 422, "invalid_account"),
        ({"username": "agent.wu", "role": "agent"}, 422, "invalid_account"),
        ({"username": "sales.wu", "role": "sales", "channel_id": channel.id}, 422,
         "invalid_account"),
        ({"username": "agent.wu", "role": "agent", "channel_id": "nosuchchannel"}, 404,
         "unknown_channel"),
        ({"username": "boss", "role": "owner"}, 422, None),
        ({"username": "boss", "role": "admin", "password": "chosen-by-me"}, 422, None),
        ({"role": "admin"}, 422, None),
    ]
    for body, status, code in cases:
        r = admin.post("/api/admin/accounts", json=body)
        assert r.status_code == status, (body, r.text)
        assert set(r.json()) >= {"error", "message"} and "Traceback" not in r.text
        assert "\n" not in r.json()["message"]
        if code:
            assert r.json()["error"] == code
    assert names(admin) == before
    assert admin.post("/api/admin/accounts", json={"username": "agent.wu", "role": "agent",
                                                   "channel_id": channel.id}).status_code == 201
    taken = admin.post("/api/admin/accounts", json={"username": "agent.wu", "role": "sales"})
    assert taken.status_code == 409 and taken.json()["error"] == "username_taken"
    for path in ("/api/admin/accounts/nobody/password-reset",):
        assert admin.post(path).json()["error"] == "unknown_account"
    missing = admin.put("/api/admin/accounts/nobody/disabled", json={"disabled": True})
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_account"
    wrong = admin.put("/api/admin/accounts/agent.wu/disabled", json={"disabled": "soon"})
    assert wrong.status_code == 422

    no_csrf = httpx.Client(base_url=live.base_url, cookies=admin.cookies, timeout=30)
    forged = no_csrf.post("/api/admin/accounts", json={"username": "forged", "role": "admin"})
    assert forged.status_code == 403 and forged.json()["error"] == "csrf_failed"
    assert "forged" not in names(admin)


def enabled_admins(live: Live) -> list[str]:
    return [u.username for u in users(live.app.deps) if u.role is Role.admin and not u.disabled]


def test_the_last_enabled_admin_stays_enabled_even_when_two_disable_each_other(
        live: Live) -> None:
    one, one_name = admin_client(live)
    two, two_name = admin_client(live)
    clients = {one_name: one, two_name: two}
    assert sorted(enabled_admins(live)) == sorted(clients)
    for _ in range(3):
        with ThreadPoolExecutor(2) as pool:
            a = pool.submit(one.put, f"/api/admin/accounts/{two_name}/disabled",
                            json={"disabled": True})
            b = pool.submit(two.put, f"/api/admin/accounts/{one_name}/disabled",
                            json={"disabled": True})
            statuses = sorted(f.result().status_code for f in (a, b))
        # the loser is refused as the last admin, or its session already ended with it
        [survivor] = enabled_admins(live)
        assert statuses in ([200, 401], [200, 409]), statuses
        [back] = [name for name in clients if name != survivor]
        assert clients[survivor].put(f"/api/admin/accounts/{back}/disabled",
                                     json={"disabled": False}).status_code == 200
        clients[back].headers["X-CSRF-Token"] = auth.cookie_login(clients[back], back)

    assert one.put(f"/api/admin/accounts/{two_name}/disabled",
                   json={"disabled": True}).status_code == 200
    last = one.put(f"/api/admin/accounts/{one_name}/disabled", json={"disabled": True})
    assert last.status_code == 409 and last.json()["error"] == "last_admin"
    assert enabled_admins(live) == [one_name]


def test_parallel_adds_of_one_username_store_it_once(live: Live) -> None:
    admin = auth.client(live.base_url, live.app, Role.admin)

    def add(_: int) -> int:
        with httpx.Client(base_url=live.base_url, headers=admin.headers, timeout=60) as http:
            return http.post("/api/admin/accounts", json={"username": "fin.zhou",
                                                          "role": "finance"}).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(add, range(6)))
    assert statuses == [201] + [409] * 5
    assert names(admin).count("fin.zhou") == 1
    with live.app.deps.uow() as uow:
        added = [e for e in uow.audit.all() if e.action == "account.user_added"]
        fin = uow.accounts.user_by_name("fin.zhou")
    assert fin is not None and [e.subject for e in added].count(fin.id) == 1


def test_the_admin_pages_list_accounts_in_both_languages(live: Live) -> None:
    admin = auth.client(live.base_url, live.app, Role.admin)
    admin.post("/api/admin/accounts", json={"username": "mgr.qian", "role": "manager"})
    admin.put("/api/admin/accounts/mgr.qian/disabled", json={"disabled": True})
    home = admin.get("/admin", headers=HTML)
    assert home.status_code == 200
    for link in ('href="/admin/accounts"', 'href="/admin/offices"', 'href="/admin/tls"'):
        assert link in home.text
    zh = admin.get("/admin/accounts", headers=HTML)
    assert zh.status_code == 200 and "mgr.qian" in zh.text
    assert "经理" in zh.text and "已停用" in zh.text and "重置密码" in zh.text
    assert "password_hash" not in zh.text and "$argon2" not in zh.text
    en = admin.get("/admin/accounts?lang=en", headers=HTML)
    assert "Manager" in en.text and "Disabled" in en.text and "Reset password" in en.text
