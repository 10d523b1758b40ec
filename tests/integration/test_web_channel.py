"""The distributor portal's pages over real HTTP: who may open them, scoping to
the account's own channel, the status fields the pages show, and no biometric wording (C21)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg_svc
from keyuan.services.attribution import settlement as settle_svc
from support import auth
from support.live import Live, live_server

HTML = {"Accept": "text/html"}
BIOMETRIC = re.compile(r"template|embedding|face|人脸|distance|score|生物", re.IGNORECASE)
I18N_BLOB = re.compile(r'<script type="application/json" id="i18n">.*?</script>', re.DOTALL)


@dataclass
class World:
    live: Live
    a: str
    b: str
    statement_a: str
    statement_b: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with live_server(tmp_path_factory.mktemp("web-channel"), engine=FakeEngine(FaceSettings()),
                     session_cookie_secure=False) as live:
        deps = live.app.deps
        a = reg_svc.create_channel("demo-office", ChannelKind("distributor"), "甲分销", deps).id
        b = reg_svc.create_channel("demo-office", ChannelKind("distributor"), "乙分销", deps).id
        start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
        sa = settle_svc.generate_statement(a, start, end, deps).id
        sb = settle_svc.generate_statement(b, start, end, deps).id
        yield World(live, a, b, sa, sb)


@contextmanager
def browser_like(world: World, role: Role, channel: str | None = None) -> Iterator[httpx.Client]:
    """A cookie session, as the /login form leaves a browser."""
    with httpx.Client(base_url=world.live.base_url, timeout=30, headers=HTML) as http:
        csrf = auth.cookie_login(http, auth.make_user(world.live.app, role, channel=channel))
        http.headers["X-CSRF-Token"] = csrf
        yield http


def test_unauthenticated_goes_to_login_and_back(world: World) -> None:
    with httpx.Client(base_url=world.live.base_url, headers=HTML) as http:
        home = http.get("/channel")
        portal = http.get(f"/channel/{world.a}")
    assert home.status_code == 303 and home.headers["location"].endswith("next=/channel")
    assert portal.status_code == 303 and "/login?" in portal.headers["location"]


@pytest.mark.parametrize("role", [Role.manager, Role.admin, Role.reception])
def test_staff_get_a_403_page_not_the_portal(world: World, role: Role) -> None:
    with browser_like(world, role) as http:
        home = http.get("/channel")
        portal = http.get(f"/channel/{world.a}")
        english = http.get("/channel?lang=en")
    assert home.status_code == 403 and 'data-error="channel_only"' in home.text
    assert "text/html" in home.headers["content-type"]
    assert "仅供分销商和经纪人账号使用" in home.text
    assert "for distributor and agent accounts only" in english.text
    assert portal.status_code == 403 and "data-error" in portal.text
    assert 'id="register"' not in portal.text


def test_a_distributor_is_sent_to_its_own_portal_which_has_no_biometric_words(
    world: World,
) -> None:
    with browser_like(world, Role.distributor, world.a) as http:
        home = http.get("/channel")
        page = http.get(f"/channel/{world.a}")
        english = http.get(f"/channel/{world.a}?lang=en")
        statement = http.get(f"/channel/{world.a}/statements/{world.statement_a}")
        script = http.get("/static/channel.js")
    assert home.status_code == 303 and home.headers["location"] == f"/channel/{world.a}"
    assert page.status_code == 200 and 'id="register"' in page.text
    assert 'id="statements"' in page.text  # the company sees money
    assert "Register a customer" in english.text
    assert statement.status_code == 200 and 'id="dispute"' in statement.text
    for text in (page.text, english.text, statement.text, script.text):
        visible = I18N_BLOB.sub("", text)
        assert BIOMETRIC.findall(visible) == []
    # the portal's own wording (sent to its JS) has none either
    blob = I18N_BLOB.search(page.text)
    assert blob is not None
    strings = json.loads(blob.group(0).split(">", 1)[1].rsplit("<", 1)[0])
    own = {k: v for k, v in strings.items() if k.startswith("channel.")}
    assert len(own) > 40 and [k for k, v in own.items() if BIOMETRIC.search(k + v)] == []


def test_an_agent_sees_its_own_channel_only_and_no_money(world: World) -> None:
    reg_svc.register(reg_svc.RegisterCmd(channel_id=world.a, customer_name="甲的客户",
                                         mobile="13911112222"), world.live.app.deps)
    with browser_like(world, Role.agent, world.b) as http:
        own = http.get(f"/channel/{world.b}")
        other_page = http.get(f"/channel/{world.a}")
        other_api = http.get(f"/api/channels/{world.a}/registrations")
        mine_api = http.get(f"/api/channels/{world.b}/registrations")
        money_page = http.get(f"/channel/{world.b}/statements/{world.statement_b}")
        money_api = http.get(f"/api/channels/{world.b}/statements")
        registered = http.post(f"/api/channels/{world.b}/registrations",
                               json={"customer_name": "乙的客户", "mobile": "139****3333"})
    assert own.status_code == 200 and 'id="statements"' not in own.text
    assert other_page.status_code == 403 and other_api.status_code == 403
    assert "甲的客户" not in other_page.text + other_api.text + mine_api.text
    assert mine_api.status_code == 200
    assert money_page.status_code == 403 and money_api.status_code == 403
    assert registered.status_code == 201, registered.text
    assert registered.json()["masked_mobile"] == "139****3333"


def test_status_fields_follow_a_claim_from_registration_to_protection(world: World) -> None:
    live = world.live
    with browser_like(world, Role.distributor, world.a) as http:
        created = http.post(f"/api/channels/{world.a}/registrations",
                            json={"customer_name": "李雷", "mobile": "13612345678"}).json()
        before = _claim(http, world.a, created["registration_id"])
        live.clock.advance(hours=2)
        with auth.client(live.base_url, live.app, Role.reception) as desk:
            confirmed = desk.post(f"/api/registrations/{created['registration_id']}"
                                  "/visit-confirmation", json={"mobile": "13612345678"})
        assert confirmed.status_code == 201, confirmed.text
        after = _claim(http, world.a, created["registration_id"])
        statements = http.get(f"/api/channels/{world.a}/statements").json()
        other = http.get(f"/api/channels/{world.b}/statements")

    assert (before["status"], before["protected_until"]) == ("awaiting_visit", None)
    assert at(before["visit_by"]) - at(before["created_at"]) == timedelta(hours=72)
    assert after["status"] == "valid" and after["visit_by"] is None
    assert at(after["protected_until"]) - at(after["visited_at"]) == timedelta(days=30)
    assert [s["statement_id"] for s in statements] == [world.statement_a]
    assert other.status_code == 403


def at(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def _claim(http: httpx.Client, channel: str, registration_id: str) -> dict[str, object]:
    claims = http.get(f"/api/channels/{channel}/registrations").json()
    return next(c for c in claims if c["registration_id"] == registration_id)


def test_every_status_and_reason_code_has_words_in_both_languages() -> None:
    """The pages map codes to catalog strings: a code without words would show as raw text."""
    from keyuan.domain.attribution import adjudication as codes
    from keyuan.domain.attribution.commission import StatementStatus
    from keyuan.services.attribution.registration import OVERRIDDEN_ON_REVIEW
    from keyuan.web.i18n import LANGS, catalog

    reasons = [codes.REGISTERED_AFTER_SIGNING, codes.CUSTOMER_KNOWN, codes.NO_VISIT,
               codes.EXPIRED_BEFORE_VISIT, codes.PROTECTION_EXPIRED, codes.SUPERSEDED,
               OVERRIDDEN_ON_REVIEW]
    for lang in LANGS:
        missing = [code for code in reasons if f"channel.reason_{code}" not in catalog()[lang]]
        missing += [s.value for s in StatementStatus
                    if f"channel.st_{s.value}" not in catalog()[lang]]
        assert missing == [], lang
