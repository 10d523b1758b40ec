"""The admin workspace (issue 16 item 2): `/admin` and `/admin/accounts` with their API
(`/api/admin/accounts…`), over real HTTP on SQLite and PostgreSQL. Only the admin role opens
them; a temporary password is shown once and works; disabling ends sessions; bad input is a
one-line JSON refusal that writes nothing; the last enabled admin stays enabled even when two
admins disable each other at the same moment."""

from __future__ import annotations

import threading
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

    ready = threading.Barrier(6)

    def add(_: int) -> int:
        with httpx.Client(base_url=live.base_url, headers=admin.headers, timeout=60) as http:
            http.get("/healthz")  # connected before the barrier: the POSTs leave together
            ready.wait()
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


# --- channels, their agents and agreements ---


def test_only_the_admin_opens_the_channel_admin(live: Live) -> None:
    made = create_channel("demo-office", "distributor", "星河分销", live.app.deps)
    for role, scope in ((Role.manager, None), (Role.finance, None), (Role.reception, None),
                        (Role.distributor, made.id)):
        with auth.client(live.base_url, live.app, role, channel=scope) as other:
            assert other.get("/admin/channels", headers=HTML).status_code == 403
            assert other.get("/api/admin/channels").status_code == 403
            assert other.put(f"/api/admin/channels/{made.id}/active",
                             json={"active": False}).status_code == 403
            assert other.patch(f"/api/admin/channels/{made.id}",
                               json={"name": "改名"}).status_code == 403
    anonymous = httpx.Client(base_url=live.base_url, timeout=30)
    assert anonymous.get("/api/admin/channels").status_code == 401
    admin = auth.client(live.base_url, live.app, Role.admin)
    [listed] = admin.get("/api/admin/channels").json()
    assert listed["name"] == "星河分销" and listed["active"] is True


def test_admin_adds_searches_edits_and_deactivates_channels_and_agents(live: Live) -> None:
    admin, admin_name = admin_client(live)
    made = admin.post("/api/admin/channels", json={"office_id": "demo-office",
                                                   "kind": "distributor", "name": "星河分销"})
    assert made.status_code == 201, made.text
    cid = made.json()["channel_id"]
    assert made.json()["office_name"] and made.json()["agents"] == []
    owner = admin.post("/api/admin/channels", json={
        "office_id": "demo-office", "kind": "referrer", "name": "业主王先生",
        "contract_ref": "HT-2026-001"}).json()["channel_id"]

    # search by name (case-insensitive part) or exact id; filter by status
    assert [c["channel_id"] for c in admin.get("/api/admin/channels",
                                               params={"q": "星河"}).json()] == [cid]
    assert [c["channel_id"] for c in admin.get("/api/admin/channels",
                                               params={"q": owner}).json()] == [owner]
    assert admin.get("/api/admin/channels", params={"q": "没有"}).json() == []

    agent = admin.post(f"/api/admin/channels/{cid}/agents", json={"name": "李经纪"})
    assert agent.status_code == 201, agent.text
    aid = agent.json()["agent_id"]
    edited = admin.patch(f"/api/admin/channels/{cid}", json={"name": "星河分销（新）"})
    assert edited.status_code == 200 and edited.json()["name"] == "星河分销（新）"
    assert edited.json()["agents"][0]["name"] == "李经纪"

    # an agreement (finance's) shows on the channel
    with auth.client(live.base_url, live.app, Role.finance) as finance:
        assert finance.post(f"/api/channels/{cid}/agreements", json={
            "kind": "percent", "value": 150,
            "effective_from": "2026-01-01T00:00:00Z"}).status_code == 201
    [card] = admin.get("/api/admin/channels", params={"q": cid}).json()
    assert card["agreements"][0]["kind"] == "percent" and card["agreements"][0]["value"] == 150

    # the distributor registers through its agent; deactivating the agent, then the channel,
    # stops new registrations (its first registration stays)
    with auth.client(live.base_url, live.app, Role.distributor, channel=cid) as dist:
        first = dist.post(f"/api/channels/{cid}/registrations", json={
            "customer_name": "周杰", "mobile": "13712340000", "agent_id": aid})
        assert first.status_code == 201, first.text
        off = admin.put(f"/api/admin/agents/{aid}/active", json={"active": False})
        assert off.status_code == 200 and off.json()["active"] is False
        by_agent = dist.post(f"/api/channels/{cid}/registrations", json={
            "customer_name": "吴敏", "mobile": "13712340001", "agent_id": aid})
        assert by_agent.status_code == 409 and by_agent.json()["error"] == "channel_inactive"
        assert admin.put(f"/api/admin/channels/{cid}/active",
                         json={"active": False}).json()["active"] is False
        refused = dist.post(f"/api/channels/{cid}/registrations", json={
            "customer_name": "吴敏", "mobile": "13712340001"})
        assert refused.status_code == 409 and refused.json()["error"] == "channel_inactive"
        assert len(dist.get(f"/api/channels/{cid}/registrations").json()) == 1
    no_agent = admin.post(f"/api/admin/channels/{cid}/agents", json={"name": "赵经纪"})
    assert no_agent.status_code == 409 and no_agent.json()["error"] == "channel_inactive"

    assert [c["channel_id"] for c in admin.get("/api/admin/channels",
                                               params={"status": "inactive"}).json()] == [cid]
    assert [c["channel_id"] for c in admin.get("/api/admin/channels",
                                               params={"status": "active"}).json()] == [owner]
    assert admin.put(f"/api/admin/channels/{cid}/active",
                     json={"active": True}).json()["active"] is True

    with live.app.deps.uow() as uow:
        done = [(e.actor, e.action, e.subject) for e in uow.audit.all()
                if e.action.startswith(("channel_", "agent_"))]
    actor = f"admin:{admin_name}"
    assert done == [(actor, "channel_added", cid), (actor, "channel_added", owner),
                    (actor, "agent_added", aid),
                    (actor, "channel_edited", cid), (actor, "agent_deactivated", aid),
                    (actor, "channel_deactivated", cid), (actor, "channel_reactivated", cid)]


def test_bad_channel_input_is_refused_in_one_line_and_writes_nothing(live: Live) -> None:
    admin, _ = admin_client(live)
    cid = admin.post("/api/admin/channels", json={"office_id": "demo-office",
                                                  "kind": "referrer", "name": "业主",
                                                  "contract_ref": "HT-1"}).json()["channel_id"]
    cases = [
        ("post", "/api/admin/channels", {"office_id": "demo-office", "kind": "distributor",
                                         "name": "  "}, 422, "invalid_registration"),
        ("post", "/api/admin/channels", {"office_id": "demo-office", "kind": "referrer",
                                         "name": "业主李"}, 422, "invalid_registration"),
        ("post", "/api/admin/channels", {"office_id": "nowhere", "kind": "distributor",
                                         "name": "甲"}, 404, "unknown_office"),
        ("post", "/api/admin/channels", {"office_id": "demo-office", "kind": "natural",
                                         "name": "甲"}, 422, None),
        ("post", "/api/admin/channels", {"office_id": "demo-office", "kind": "distributor",
                                         "name": "甲" * 201}, 422, None),
        ("patch", f"/api/admin/channels/{cid}", {"contract_ref": ""}, 422,
         "invalid_registration"),
        ("patch", f"/api/admin/channels/{cid}", {"name": " "}, 422, "invalid_registration"),
        ("patch", f"/api/admin/channels/{cid}", {"office_id": "x"}, 422, None),
        ("patch", "/api/admin/channels/nope", {"name": "x"}, 404, "unknown_channel"),
        ("put", "/api/admin/channels/nope/active", {"active": False}, 404, "unknown_channel"),
        ("put", "/api/admin/agents/nope/active", {"active": False}, 404, "unknown_agent"),
        ("post", f"/api/admin/channels/{cid}/agents", {"name": "x"}, 422,
         "invalid_registration"),  # a referrer has no agents
    ]
    for method, path, body, status, code in cases:
        r = admin.request(method.upper(), path, json=body)
        assert r.status_code == status, (path, body, r.text)
        assert set(r.json()) >= {"error", "message"} and "Traceback" not in r.text
        if code:
            assert r.json()["error"] == code, (path, body)
    bad_status = admin.get("/api/admin/channels", params={"status": "gone"})
    assert bad_status.status_code == 422
    page = admin.get("/admin/channels?status=gone", headers=HTML)  # a hand-edited address
    assert page.status_code == 200 and "HT-1" in page.text
    [card] = admin.get("/api/admin/channels").json()
    assert card["name"] == "业主" and card["contract_ref"] == "HT-1" and card["agents"] == []
    with live.app.deps.uow() as uow:
        assert [e.action for e in uow.audit.all() if e.action.startswith("channel_")] \
            == ["channel_added"]


def test_parallel_deactivations_of_a_channel_change_it_once(live: Live) -> None:
    admin = auth.client(live.base_url, live.app, Role.admin)
    cid = admin.post("/api/admin/channels", json={"office_id": "demo-office",
                                                  "kind": "distributor",
                                                  "name": "星河"}).json()["channel_id"]

    ready = threading.Barrier(8)

    def flip(active: bool) -> int:
        with httpx.Client(base_url=live.base_url, headers=admin.headers, timeout=60) as http:
            http.get("/healthz")  # connected before the barrier: the PUTs leave together
            ready.wait()
            return http.put(f"/api/admin/channels/{cid}/active",
                            json={"active": active}).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(flip, [False] * 8)) == [200] * 8
    with live.app.deps.uow() as uow:
        flips = [e for e in uow.audit.all() if e.action == "channel_deactivated"]
    assert len(flips) == 1


def test_the_channel_page_shows_ids_search_and_status_in_both_languages(live: Live) -> None:
    admin = auth.client(live.base_url, live.app, Role.admin)
    one = admin.post("/api/admin/channels", json={"office_id": "demo-office",
                                                  "kind": "distributor",
                                                  "name": "星河分销"}).json()["channel_id"]
    two = admin.post("/api/admin/channels", json={"office_id": "demo-office",
                                                  "kind": "distributor",
                                                  "name": "远航地产"}).json()["channel_id"]
    admin.post(f"/api/admin/channels/{one}/agents", json={"name": "李经纪"})
    admin.put(f"/api/admin/channels/{two}/active", json={"active": False})
    zh = admin.get("/admin/channels", headers=HTML).text
    assert one in zh and two in zh and "李经纪" in zh and "已停用" in zh and "渠道编号" in zh
    found = admin.get("/admin/channels", params={"q": "星河"}, headers=HTML).text
    assert one in found and two not in found
    inactive = admin.get("/admin/channels", params={"status": "inactive"}, headers=HTML).text
    assert two in inactive and one not in inactive
    en = admin.get("/admin/channels?lang=en", headers=HTML).text
    assert "Channel id" in en and "Deactivated" in en and "Agents (1)" in en
    assert 'href="/admin/channels"' in admin.get("/admin", headers=HTML).text
