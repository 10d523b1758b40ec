"""Pages on a phone (390×844, the size of a common phone, touch): the signing desk's consent step,
the office HTTPS page (`/admin/tls`, opened on the tablet or a phone to install the CA) and the
DEMO banner. Nothing runs off the right edge (the page never scrolls sideways), nothing is cut
off inside its box, and text stays legible (no visible text under 12 px). Screenshots under
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.adapters.crypto import tls
from keyuan.config.tls import tls_dir
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.faces.engine import FaceEngine
from support.auth import PASSWORD, make_user
from support.browser import PHONE, Shooter, layout_problems
from support.live import Live, live_server

FIRST17 = "31010419850611202"
ID_NUMBER = FIRST17 + check_digit(FIRST17)

def log_in(page: Any, username: str, lang: str) -> None:
    words = {"zh-CN": ("用户名", "密码", "登录"), "en": ("Username", "Password", "Log in")}[lang]
    page.get_by_label(words[0]).fill(username)
    page.get_by_label(words[1]).fill(PASSWORD)
    page.get_by_role("button", name=words[2], exact=True).tap()


@pytest.fixture
def demo_live(tmp_path: Path, face_engine: FaceEngine) -> Iterator[Live]:
    """The app in demo mode (the DEMO banner on every page) with the office CA made, as
    `make run HOST=0.0.0.0` leaves it."""
    data_dir = tmp_path / "data"
    tls.init(tls_dir(data_dir), tls.machine_names(), datetime.now(UTC))
    with live_server(data_dir, engine=face_engine, session_cookie_secure=False,
                     demo=True) as server:
        yield server


@pytest.fixture
def phone(browser: Any, demo_live: Live) -> Iterator[Any]:
    ctx = browser.new_context(base_url=demo_live.base_url, viewport=PHONE, is_mobile=True,
                              has_touch=True, device_scale_factor=2, locale="zh-CN")
    ctx.grant_permissions(["camera"], origin=demo_live.base_url)
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        ctx.close()
    assert errors == []


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_desk_consent_step_fits_a_phone(
        phone: Any, demo_live: Live, shoot: Shooter, lang: str) -> None:
    phone.goto(f"/desk/signing?lang={lang}")
    log_in(phone, make_user(demo_live.app, Role.signing), lang=lang)
    phone.wait_for_url("**/desk/signing*")
    expect(phone.locator(".demo-banner")).to_be_visible()
    assert layout_problems(phone) == []
    shoot(phone, f"desk-{lang}")

    phone.locator("#id_number").fill(ID_NUMBER)
    step = phone.locator("#desk-consent-step")
    step.scroll_into_view_if_needed()
    expect(phone.locator("#desk-notice-text")).to_be_visible()
    expect(phone.locator("#desk-consent-yes")).to_be_enabled()
    assert layout_problems(phone) == []
    shoot(phone, f"desk-consent-asked-{lang}")
    phone.locator("#desk-consent-yes").tap()
    expect(phone.locator("#desk-consent-status")).not_to_be_empty()
    expect(phone.locator("#desk-face-options")).to_be_visible()
    assert layout_problems(phone) == []
    shoot(phone, f"desk-consent-given-{lang}")
    phone.locator("#camera-on").tap()
    expect(phone.locator("#desk-video")).to_be_visible()
    assert layout_problems(phone) == []
    shoot(phone, f"desk-camera-on-{lang}")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_office_https_page_fits_a_phone(
        phone: Any, demo_live: Live, shoot: Shooter, lang: str) -> None:
    phone.goto(f"/admin/tls?lang={lang}")
    log_in(phone, make_user(demo_live.app, Role.admin), lang=lang)
    phone.wait_for_url("**/admin/tls*")
    expect(phone.locator("#ca-fingerprint")).to_be_visible()
    expect(phone.locator(".tls-qr svg")).to_be_visible()
    qr = phone.locator(".tls-qr svg").bounding_box()
    assert qr is not None and qr["width"] >= 150  # still scannable from another device
    assert layout_problems(phone) == []
    shoot(phone, f"admin-tls-{lang}")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_demo_banner_fits_a_phone_on_public_and_staff_pages(
        phone: Any, demo_live: Live, shoot: Shooter, lang: str) -> None:
    for path in ("/", "/login", "/kiosk/demo-office"):
        phone.goto(f"{path}?lang={lang}")
        banner = phone.locator(".demo-banner")
        expect(banner).to_be_visible()
        box = banner.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert layout_problems(phone) == [], path
        shoot(phone, f"demo-banner{path.replace('/', '-')}-{lang}")


def test_the_layout_check_sees_overflow_clipping_and_small_text(
        phone: Any, demo_live: Live) -> None:
    """The check above can fail: a wide line, a box that cuts its text off and 10 px text on an
    otherwise clean page are each reported; a wide table inside a scrolling box is not."""
    phone.goto("/login?lang=en")
    assert layout_problems(phone) == []
    phone.evaluate("""() => {
      const main = document.querySelector('main');
      main.insertAdjacentHTML('beforeend', '<div style="overflow-x:auto">'
        + '<table style="width:900px"><tr><td>wide</td></tr></table></div>');
    }""")
    assert layout_problems(phone) == []
    phone.evaluate("""() => {
      const main = document.querySelector('main');
      main.insertAdjacentHTML('beforeend',
        '<p id="too-wide" style="white-space:nowrap">' + 'x'.repeat(120) + '</p>'
        + '<p id="cut" style="overflow:hidden;white-space:nowrap;width:5rem">'
        + 'y'.repeat(60) + '</p>'
        + '<p id="tiny" style="font-size:10px">small print</p>');
    }""")
    found = "\n".join(layout_problems(phone))
    assert "past the right edge" in found and "p#too-wide" in found
    assert "content clipped" in found and "p#cut" in found
    assert "text 10px: p#tiny" in found
    assert "page scrolls sideways" in found or "zoomed out to fit" in found
