"""The policy as a matrix over real HTTP: every account role (and nobody) × every route of the
app, generated from the app's own route list, so a new route cannot be missed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.api.guard import app_routes
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.domain.accounts.policy import POLICY, Kind, Rule, route_key
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg_svc
from keyuan.services.attribution import settlement as settle_svc
from keyuan.web.app import create_app
from support import auth
from support.devices import device_headers
from support.live import Live, live_server

POLICY_ERRORS = {"not_authenticated", "forbidden", "csrf_failed", "device_not_paired"}
DUMMY = "0123456789abcdef"


@dataclass
class World:
    live: Live
    api: FastAPI
    channel_a: str
    channel_b: str
    statement_a: str
    statement_b: str

    def fresh_headers(self) -> dict[str, dict[str, str]]:
        """Principal name → bearer headers of a new account ("nobody": none)."""
        app = self.live.app
        headers = {role.value: auth.bearer(app, role) for role in Role if not role.is_channel}
        headers["distributor"] = auth.bearer(app, Role.distributor, channel=self.channel_a)
        headers["agent"] = auth.bearer(app, Role.agent, channel=self.channel_a)
        headers["nobody"] = {}
        return headers


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with live_server(tmp_path_factory.mktemp("matrix"), engine=FakeEngine(FaceSettings())) as live:
        deps = live.app.deps
        a = reg_svc.create_channel("demo-office", ChannelKind("distributor"), "甲分销", deps).id
        b = reg_svc.create_channel("demo-office", ChannelKind("distributor"), "乙分销", deps).id
        start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
        sa = settle_svc.generate_statement(a, start, end, deps).id
        sb = settle_svc.generate_statement(b, start, end, deps).id
        yield World(live, create_app(live.app), a, b, sa, sb)


@pytest.fixture(scope="module")
def headers(world: World) -> dict[str, dict[str, str]]:
    """Shared by the tests that log nobody out (minting costs two argon2 runs per account)."""
    return world.fresh_headers()


def routes(api: FastAPI) -> list[tuple[str, str, bool]]:
    found = sorted(set(app_routes(api)))
    # logging out ends the caller's session: last, so the rest of the matrix still runs
    return sorted(found, key=lambda r: (r[0], r[1]) == ("POST", "/api/auth/logout"))


def expected(rule: Rule, principal: str, own_channel: bool, tablet: bool = False) -> int:
    """The policy table read independently of `policy.decide`: 200 (passes the policy), 401, 403.
    A kiosk route asks no account but a paired tablet (`tablet`), whoever is logged in."""
    if rule.kind is Kind.kiosk:
        return 200 if tablet else 401
    if rule.kind in (Kind.public, Kind.visitor_token, Kind.camera_token):
        return 200
    if principal == "nobody":
        return 401
    role = Role(principal)
    if rule.kind is Kind.authenticated or role in rule.staff:
        return 200
    if rule.kind is Kind.channel and role in rule.channel_roles and own_channel:
        return 200
    return 403


def url(template: str, w: World, *, other: bool = False) -> str:
    values = {"channel_id": w.channel_b if other else w.channel_a,
              "statement_id": w.statement_b if other else w.statement_a,
              "office_id": "demo-office"}
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: values.get(m.group(1), DUMMY), template)


def refused_as(response: httpx.Response) -> int:
    """401/403 when the policy refused; 200 when the request got past it (whatever the route
    then answered — a 404 or 422 is the route's own business)."""
    body: object = None
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
    if isinstance(body, dict) and body.get("error") in POLICY_ERRORS:
        return response.status_code
    return 200


def test_every_route_of_the_app_has_a_policy_entry_and_no_entry_is_stale(world: World) -> None:
    keys = {route_key(method, path) for method, path, _ in routes(world.api)}
    assert len(keys) >= 60
    assert sorted(keys - POLICY.keys()) == []
    assert sorted(POLICY.keys() - keys) == []


def test_routes_that_skip_dependencies_are_all_public(world: World) -> None:
    """FastAPI's docs routes run no dependency: the policy may only call them public."""
    unguarded = [(m, p) for m, p, guarded in routes(world.api) if not guarded]
    assert unguarded and all(POLICY[route_key(m, p)].kind is Kind.public for m, p in unguarded)


def test_every_role_times_every_route_is_answered_exactly_as_the_policy_says(
    world: World,
) -> None:
    mismatches = []
    own = world.fresh_headers()  # its last request logs every one of these accounts out
    tablet = device_headers(world.live)
    with httpx.Client(base_url=world.live.base_url, timeout=30) as http:
        for method, template, _ in routes(world.api):
            rule = POLICY[route_key(method, template)]
            for principal, h in own.items():
                r = http.request(method, url(template, world), headers=h, json={})
                want = expected(rule, principal, own_channel=True)
                if refused_as(r) != want:
                    mismatches.append(f"{principal} {method} {template}: {r.status_code} "
                                      f"{r.text[:80]} (want {want})")
            if rule.kind is Kind.kiosk:  # the same request from a paired tablet passes
                r = http.request(method, url(template, world), headers=tablet, json={})
                if refused_as(r) != expected(rule, "nobody", own_channel=True, tablet=True):
                    mismatches.append(f"tablet {method} {template}: {r.status_code}")
    assert mismatches == []


def test_channel_accounts_are_refused_on_every_route_naming_another_channel(
    world: World, headers: dict[str, dict[str, str]],
) -> None:
    scoped = [(m, p) for m, p, _ in routes(world.api)
              if POLICY[route_key(m, p)].kind is Kind.channel]
    assert len(scoped) >= 5
    with httpx.Client(base_url=world.live.base_url, timeout=30) as http:
        for principal in ("distributor", "agent"):
            for method, template in scoped:
                r = http.request(method, url(template, world, other=True),
                                 headers=headers[principal], json={})
                assert (r.status_code, r.json()["error"]) == (403, "forbidden"), template


def test_distributor_a_cannot_read_distributor_bs_customers_or_statements(
    world: World, headers: dict[str, dict[str, str]],
) -> None:
    deps = world.live.app.deps
    reg_svc.register(reg_svc.RegisterCmd(channel_id=world.channel_b, customer_name="王五",
                                         mobile="13712345678"), deps)
    with httpx.Client(base_url=world.live.base_url, timeout=30,
                      headers=headers["distributor"]) as a:
        theirs = a.get(f"/api/channels/{world.channel_b}/registrations")
        their_statement = a.get(f"/api/statements/{world.statement_b}")
        dispute = a.post(f"/api/channels/{world.channel_a}/statements/{world.statement_b}"
                         "/disputes", json={"reason": "not mine"})
        mine = a.get(f"/api/channels/{world.channel_a}/registrations")
        my_statement = a.get(f"/api/statements/{world.statement_a}")

    assert (theirs.status_code, their_statement.status_code, dispute.status_code) == (
        403, 403, 403)
    assert "王五" not in theirs.text + their_statement.text
    assert mine.status_code == 200 and "王五" not in mine.text
    assert my_statement.status_code == 200
    assert my_statement.json()["channel_id"] == world.channel_a


def test_c17_sales_and_channel_accounts_never_reach_a_biometric_route(
    world: World, headers: dict[str, dict[str, str]],
) -> None:
    biometric = [(m, p) for m, p, _ in routes(world.api) if POLICY[route_key(m, p)].biometric]
    assert {p for _, p in biometric} >= {"/api/offices/{office_id}/signings",
                                         "/api/signings/{signing_id}", "/api/compliance/audit",
                                         "/api/compliance/inspection"}
    with httpx.Client(base_url=world.live.base_url, timeout=30) as http:
        for principal in ("sales", "distributor", "agent"):
            for method, template in biometric:
                r = http.request(method, url(template, world), headers=headers[principal],
                                 json={})
                assert r.status_code == 403, (principal, template)
