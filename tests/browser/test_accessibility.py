"""Accessibility: every page of the app, opened by the role that meets it, at 390×844 (a phone) and
1024×768 (the tablet), in zh-CN and en, has no serious or critical axe-core violation.

axe-core comes from npm (tests/browser/axe/package-lock.json; `make browser` runs `npm ci`
there) and is injected by Playwright into each page. The contexts bypass the pages' CSP so the
injected script can run (the CSP itself is checked by the other browser tests' `page` fixture).

PAGES is the one list of pages. A new page is one line in it: its route as the app declares it,
who opens it, and (when the route has ids in it) the URL with the seeded world's ids
(`{office}`, `{channel}`, `{statement}`, `{signing}`, `{receipt}`, `{entity}`).
`test_every_page_route_is_checked` fails when a GET route that answers HTML is neither in PAGES
nor in NOT_PAGES (with a reason), so a new page cannot escape the check."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from starlette.responses import HTMLResponse

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.commission import AgreementKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import settlement, signing
from keyuan.services.faces.engine import FaceEngine
from keyuan.web.app import create_app
from support.auth import PASSWORD, make_user
from support.browser import AXE_SCRIPT, PROJECT_ROOT, Shooter
from support.devices import pair_browser
from support.live import Live, live_server, mobile_check_in
from support.offices import ENTITY

VISITOR = "visitor"  # a browser with no account (a visitor's own phone)
TABLET = "tablet"  # the office's paired kiosk tablet
RIGHTS = "rights"  # a visitor's browser holding a rights token (/me after the SMS code)
SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 1024, "height": 768}}
LANGS = ("zh-CN", "en")
FAIL_ON = ("serious", "critical")


Flow = Callable[[Any, "World"], Iterator[str]]


@dataclass(frozen=True)
class Page:
    route: str  # the path as the app declares it (`app.routes`)
    who: str  # VISITOR, TABLET, RIGHTS or a Role's value
    url: str = ""  # what to open, `{…}` filled from the seeded world; default: the route
    name: str = ""  # the test id; default: the URL
    flow: Flow | None = None  # drives the page through its steps, checked at each `yield`

    @property
    def id(self) -> str:
        return self.name or (self.url or self.route)


# --- flows: the states a page's script shows after a person acts (one per `yield`) ---
# They use element ids only, so they run the same in both languages.
_mobiles = itertools.count(13900000001)


def kiosk_mobile(page: Any, world: World) -> Iterator[str]:
    """Mobile check-in at the tablet: a refused empty number, the code sent, the receipt."""
    world.live.clock.advance(minutes=2)  # past the resend wait of the last run
    page.locator("#choose-mobile").click()
    page.locator("#send-code").click()
    yield "mobile-refused"
    page.locator("#mobile").fill(str(next(_mobiles)))
    page.locator("#send-code").click()
    page.locator("#phone-form").wait_for()
    yield "code-sent"
    page.locator("#code").fill(world.live.last_code())
    page.locator("#phone-agree").check()
    page.locator("#phone-go").click()
    page.locator("#receipt-heading").wait_for()
    yield "receipt"


def kiosk_face(page: Any, world: World) -> Iterator[str]:
    """Face check-in at the tablet: the separate consent step, the camera with its face guide;
    a return visit's form."""
    page.locator("#choose-face").click()
    page.locator("#face-agree").wait_for()
    yield "face-consent"
    page.locator("#face-agree").check()
    page.locator("#age-ok").check()
    page.locator("#consent-go").click()
    page.locator("#camera").wait_for()
    yield "camera"
    page.reload()
    page.locator("#choose-return").click()
    page.locator("#return-who").wait_for()
    yield "return-visit"


def my_data(page: Any, world: World) -> Iterator[str]:
    """/me from the receipt link: the code step, the visitor's data, the withdrawal question."""
    world.live.clock.advance(minutes=2)
    page.locator("#receipt-form [type=submit]").click()
    page.locator("#code").wait_for()
    yield "code"
    page.locator("#code").fill(world.live.last_code())
    page.locator("#code").press("Enter")
    page.locator("#my-data").wait_for()
    yield "data"
    page.locator("#withdraw").click()
    page.locator("#withdraw-confirm").wait_for()
    yield "withdraw-confirm"


def reception_day(page: Any, world: World) -> Iterator[str]:
    """Reception: today's list, a claim found, a confirmation refused for a wrong mobile, a
    check-in on a visitor's behalf refused without agreement, then done."""
    page.locator("#today-updated:not(:empty)").wait_for()  # the list has loaded
    yield "today"
    page.locator("#find-q").fill("1111")
    page.locator("#find-go").click()
    card = page.locator("#found-list li").first
    card.wait_for()
    yield "found"
    card.locator("input").fill("13800002222")
    card.locator("button").click()
    card.locator(".alert:not(:empty)").wait_for()
    yield "confirm-refused"
    page.locator("#behalf-mobile").fill(str(next(_mobiles)))
    page.locator("#behalf-go").click()
    page.locator("#behalf-alert:not(:empty)").wait_for()
    yield "behalf-refused"
    page.locator("#behalf-agree").check()
    page.locator("#behalf-go").click()
    page.locator("#behalf-alert a").wait_for()
    yield "behalf-done"


def desk_consent(page: Any, world: World) -> Iterator[str]:
    """The signing desk asks the buyer about the face check once the ID number is typed."""
    first17 = "31010419850611202"
    page.locator("#id_number").fill(first17 + check_digit(first17))
    page.locator("#desk-consent-yes:enabled").wait_for()
    yield "consent-asked"
    page.locator("#desk-consent-yes").click()
    page.locator("#desk-face-options").wait_for()
    yield "consent-given"


def channel_register(page: Any, world: World) -> Iterator[str]:
    """A registration refused for its empty fields (the error and the invalid fields)."""
    page.locator("#register [type=submit]").click()
    page.locator("#register-msg:not(:empty)").wait_for()
    yield "refused"


def add_account(page: Any, world: World) -> Iterator[str]:
    """An admin adds an account: the form, then the one-time temporary password."""
    page.locator("#add-account-box > summary").click()
    page.locator("#new-username").wait_for()
    yield "form"
    page.locator("#new-username").fill(f"a11y-{next(_mobiles)}")
    page.locator("#new-role").select_option("sales")
    page.locator("#add-account [type=submit]").click()
    page.locator("#temporary-password").wait_for()
    yield "temporary-password"


def pair_offer(page: Any, world: World) -> Iterator[str]:
    """An admin pairs a tablet: the offer (QR code and typeable code)."""
    page.locator("#pair-name").fill("前台平板")
    page.locator("#pair-button").click()
    page.locator("#pair-offer svg").wait_for()
    yield "offer"


def add_camera(page: Any, world: World) -> Iterator[str]:
    """An admin adds a camera: the one-time push key, then the camera's card with its state."""
    box = page.locator("#add-camera-box")
    if box.get_attribute("open") is None:  # open only while the office has no camera
        box.locator("summary").click()
    form = page.locator("#add-camera")
    form.locator("[name=name]").fill(f"正门 {next(_mobiles)}")
    form.locator("[name=lane]").fill("正门左侧有标识的刷脸通道")
    form.locator("[name=alternative]").fill("正门右侧人工通道")
    form.locator("[type=submit]").click()
    page.locator("#camera-token-value:not(:empty)").wait_for()
    yield "push-key"
    page.locator("#camera-token-done").click()
    page.locator("[data-camera] [data-gate]").first.wait_for()
    yield "camera"


# The one list of pages. Adding a page is one line here (see docs/ARCHITECTURE.md).
PAGES: tuple[Page, ...] = (
    Page("/", VISITOR, name="home"),
    Page("/login", VISITOR),
    Page("/kiosk", VISITOR, name="kiosk-unpaired"),
    Page("/kiosk/pair", VISITOR, "/kiosk/pair?code=ABCD2345"),
    Page("/kiosk/{office_id}", TABLET, "/kiosk/{office}"),
    Page("/kiosk/{office_id}", TABLET, "/kiosk/{office}", "kiosk-mobile", kiosk_mobile),
    Page("/kiosk/{office_id}", TABLET, "/kiosk/{office}", "kiosk-face", kiosk_face),
    Page("/me", VISITOR, "/me?receipt={receipt}", "me", my_data),
    Page("/api/receipts/{receipt_id}/print", VISITOR, "/api/receipts/{receipt}/print"),
    Page("/verify", VISITOR, "/verify?receipt={receipt}"),
    Page("/api/rights/me/export.html", RIGHTS),
    Page("/channel", Role.manager, name="channel-staff-error-page"),
    Page("/channel/{channel_id}", Role.distributor, "/channel/{channel}", "channel",
         channel_register),
    Page("/channel/{channel_id}/statements/{statement_id}", Role.distributor,
         "/channel/{channel}/statements/{statement}"),
    Page("/api/statements/{statement_id}/print", Role.finance,
         "/api/statements/{statement}/print"),
    Page("/reception", Role.reception, flow=reception_day),
    Page("/consultant", Role.sales),
    Page("/desk/signing", Role.signing, flow=desk_consent),
    Page("/desk/signing/{signing_id}", Role.signing, "/desk/signing/{signing}"),
    Page("/dashboard", Role.manager),
    Page("/dashboard", Role.manager, "/dashboard?days=30"),
    Page("/dashboard/risk", Role.manager),
    Page("/finance/statements", Role.manager, "/finance/statements?channel={channel}"),
    Page("/compliance", Role.compliance),
    Page("/api/offices/{office_id}/poster", Role.compliance, "/api/offices/{office}/poster"),
    Page("/api/compliance/filing/{legal_entity}/pack.html", Role.compliance,
         "/api/compliance/filing/{entity}/pack.html"),
    Page("/api/compliance/inspection.html", Role.compliance),
    Page("/admin", Role.admin),
    Page("/admin/accounts", Role.admin, flow=add_account),
    Page("/admin/channels", Role.admin),
    Page("/admin/offices", Role.admin),
    Page("/admin/notices", Role.admin),
    Page("/admin/cameras", Role.admin, flow=add_camera),
    Page("/admin/assessment", Role.compliance),
    Page("/admin/devices", Role.admin, flow=pair_offer),
    Page("/admin/tls", Role.admin),
)
# GET routes that answer HTML (or have no JSON API path) but are not pages, and why.
NOT_PAGES: dict[str, str] = {
    "/tls/ca.crt": "the office CA certificate, a download",
    "/docs": "FastAPI's own API explorer (a CDN page, not ours)",
    "/docs/oauth2-redirect": "FastAPI's own API explorer",
    "/redoc": "FastAPI's own API reference",
}
# Pages with a violation not fixed yet: page id → the reason. Strict: once the page passes, the
# test fails until its entry is removed. Keep it empty.
KNOWN: dict[str, str] = {}


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE_SCRIPT.exists():
        folder = AXE_SCRIPT.parents[2].relative_to(PROJECT_ROOT)
        needs = "" if shutil.which("npm") else " (needs node and npm, absent here)"
        reason = f"{AXE_SCRIPT} absent: `make browser` installs axe-core: npm ci in {folder}{needs}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE_SCRIPT


@dataclass
class World:
    """One server for the module, with one of each thing a page shows."""

    live: Live
    ids: dict[str, str]
    rights_token: str


def seed(live: Live) -> dict[str, str]:
    """A channel with a distributor's registration, the customer's mobile check-in (a receipt),
    a signing the next day, the channel's statement with a dispute."""
    deps = live.app.deps
    channel = reg.create_channel("demo-office", ChannelKind.DISTRIBUTOR, "链家分销", deps).id
    settlement.add_agreement(settlement.AgreementCmd(
        channel, AgreementKind.FIXED, 2_000_000, datetime(2026, 1, 1, tzinfo=UTC)), deps,
        actor="test")
    reg.register(reg.RegisterCmd(channel, "王芳", "13800001111"), deps)
    live.clock.advance(hours=1)
    receipt = mobile_check_in(live, "13800001111", name="王芳")["receipt"]["receipt_code"]
    live.clock.advance(days=1)
    first17 = "11010519800101001"
    signed = signing.sign(signing.SigningCmd(
        office_id="demo-office", buyer_name="王芳", id_number=first17 + check_digit(first17),
        mobile="13800001111", contract_price_fen=3_000_000_00, actor="desk-1"), deps)
    statement = settlement.generate_statement(channel, datetime(2026, 11, 1, tzinfo=UTC),
                                              datetime(2026, 12, 1, tzinfo=UTC), deps)
    settlement.open_dispute(statement.id, channel, "少算了一单", deps)
    return {"office": "demo-office", "channel": channel, "statement": statement.id,
            "signing": signed.signing.id, "receipt": receipt, "entity": ENTITY}


def rights_token(live: Live, receipt: str) -> str:
    """What /me holds after the visitor typed the SMS code."""
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        http.post("/api/rights/code", json={"receipt_id": receipt}).raise_for_status()
        verified = http.post("/api/rights/verify",
                             json={"receipt_id": receipt, "code": live.last_code()})
        verified.raise_for_status()
        return str(verified.json()["token"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, face_engine: FaceEngine) -> Iterator[World]:
    data = tmp_path_factory.mktemp("a11y") / "data"
    with live_server(data, engine=face_engine, session_cookie_secure=False) as live:
        ids = seed(live)
        yield World(live, ids, rights_token(live, ids["receipt"]))


@pytest.fixture(scope="module")
def contexts(browser: Any, world: World) -> Iterator[dict[str, Any]]:
    """One browser profile per role, made on first use and kept for the module."""
    made: dict[str, Any] = {}
    yield made
    for ctx in made.values():
        ctx.close()


def context_for(who: str, browser: Any, world: World, made: dict[str, Any]) -> Any:
    if who in made:
        return made[who]
    live = world.live
    headers = {"X-Rights-Token": world.rights_token} if who == RIGHTS else None
    ctx = browser.new_context(base_url=live.base_url, bypass_csp=True, locale="zh-CN",
                              extra_http_headers=headers)
    ctx.set_default_timeout(20_000)
    if who == TABLET:
        pair_browser(ctx, live)
    elif who not in (VISITOR, RIGHTS):
        username = make_user(live.app, Role(who), channel=(
            world.ids["channel"] if Role(who).is_channel else None))
        ctx.request.post("/api/auth/login", data={"username": username, "password": PASSWORD})
    made[who] = ctx
    return ctx


RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
    count: v.nodes.length}));
}"""


def violations(page: Any, axe: Path) -> list[dict[str, Any]]:
    """The serious and critical violations axe finds on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(axe))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [v for v in found if v["impact"] in FAIL_ON]


def describe(v: dict[str, Any]) -> str:
    return (f"{v['impact']} {v['id']}: {v['help']} ({v['count']} elements: "
            f"{', '.join(v['targets'])})")


def open_page(ctx: Any, url: str, size: dict[str, int], lang: str) -> Any:
    page = ctx.new_page()
    page.set_viewport_size(size)
    glue = "&" if "?" in url else "?"
    page.goto(f"{url}{glue}lang={lang}")
    # the pages' JS has filled in its lists; a page that polls or streams is never idle: then
    # it is checked as it is after 5 s
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=5_000)
    return page


@pytest.mark.parametrize("entry", [
    pytest.param(p, id=p.id, marks=[pytest.mark.xfail(reason=KNOWN[p.id], strict=True)]
                 if p.id in KNOWN else []) for p in PAGES])
def test_the_page_has_no_serious_accessibility_violation(
        entry: Page, browser: Any, world: World, contexts: dict[str, Any], axe_script: Path,
        shoot: Shooter) -> None:
    """Each language is loaded once, checked at the phone's size, then resized to the tablet's
    (the stylesheets' media queries apply; one load and one injection per language)."""
    ctx = context_for(entry.who, browser, world, contexts)
    url = (entry.url or entry.route).format(**world.ids)
    problems = []
    for lang in LANGS:
        page = open_page(ctx, url, SIZES["phone"], lang)
        try:
            steps = entry.flow(page, world) if entry.flow else iter(())
            for state in itertools.chain(["loaded"], steps):  # lazily: check, then act
                for size_name, size in SIZES.items():
                    page.set_viewport_size(size)
                    found = violations(page, axe_script)
                    if found:
                        shoot(page, f"{state}-{size_name}-{lang}")
                        problems += [f"{state} {size_name} {lang}: {describe(v)}"
                                     for v in found]
        finally:
            page.close()
    assert problems == [], f"{url}:\n" + "\n".join(problems)


def declared(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI >= 0.116 keeps an included router
    as one entry holding the original router)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from declared(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


def page_routes(world: World) -> set[str]:
    """The app's GET routes that answer a page: declared HTML, or outside the JSON API."""
    found = set()
    for route in declared(create_app(world.live.app).routes):
        if "GET" not in route.methods:
            continue
        answer = route.response_class
        html = isinstance(answer, type) and issubclass(answer, HTMLResponse)
        if html or not route.path.startswith("/api/"):
            found.add(route.path)
    return found - {"/healthz", "/metrics", "/openapi.json"}


def test_every_page_route_is_checked(world: World) -> None:
    listed = {p.route for p in PAGES}
    routes = page_routes(world)
    assert "/admin" in routes and "/api/receipts/{receipt_id}/print" in routes  # it sees pages
    missing = sorted(routes - listed - set(NOT_PAGES))
    assert missing == [], f"pages without an accessibility check: add them to PAGES: {missing}"
    assert sorted(listed - routes) == [], "PAGES lists a route the app no longer has"


def test_the_check_sees_a_serious_violation(
        browser: Any, world: World, contexts: dict[str, Any], axe_script: Path) -> None:
    """The check can fail: an unlabelled input, an image without alt and faint text on a clean
    page are each reported with their selector."""
    page = open_page(context_for(VISITOR, browser, world, contexts), "/login",
                     SIZES["phone"], "en")
    try:
        assert violations(page, axe_script) == []
        page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
          '<input id="bare" type="text"><img src="data:," id="noalt">'
          + '<p id="faint" style="color:#ccc">faint</p>')""")
        found = {v["id"]: v for v in violations(page, axe_script)}
        assert "#bare" in found["label"]["targets"]
        assert "#noalt" in found["image-alt"]["targets"]
        assert "#faint" in found["color-contrast"]["targets"]
    finally:
        page.close()
