"""扫码带访 in a real browser: an agent logs in on a phone (390×844, touch), opens its portal and
shows the QR escort pass of a registration awaiting its visit (QR code drawn, short code, time
left); reception on a tablet types the code with the customer's mobile and sees the visit
confirmed, then the same code refused as used, in words. With Chromium's fake camera playing a
clip of the pass's QR code, reception's scanner reads it in the page and confirms the visit.
Every step fits the screen; screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qrcode
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import escort as escort_svc
from keyuan.services.attribution import registration as reg_svc
from support.auth import PASSWORD, make_user
from support.browser import (
    CHROMIUM_FLAGS,
    PHONE,
    TABLET,
    Shooter,
    layout_problems,
    letterbox,
    new_page,
    unlabelled,
    write_y4m,
)
from support.live import Live

OFFICE = "demo-office"
CUSTOMER = "13922223333"


def log_in(page: Any, username: str, *, en: bool = False) -> None:
    page.get_by_label("Username" if en else "用户名").fill(username)
    page.get_by_label("Password" if en else "密码").fill(PASSWORD)
    page.get_by_role("button", name="Log in" if en else "登录", exact=True).click()


def a_claim(live: Live) -> tuple[str, str]:
    """(channel id, registration id) of a claim awaiting its visit, made by one of its agents."""
    deps = live.app.deps
    channel = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "甲分销", deps)
    agent = reg_svc.add_agent(channel.id, "李四", deps)
    claim = reg_svc.register(reg_svc.RegisterCmd(channel_id=channel.id, customer_name="张伟",
                                                 mobile=CUSTOMER, agent_id=agent.id), deps)
    return channel.id, claim.id


def reception_page(browser: Any, live: Live, lang: str = "en") -> Any:
    page = new_page(browser, live, "tablet", lang, camera=True)
    page.goto(f"/login?lang={lang}")
    log_in(page, make_user(live.app, Role.reception), en=lang == "en")
    page.wait_for_url("**/reception")
    return page


def test_the_agent_shows_the_pass_on_a_phone_and_reception_types_its_code(
        browser: Any, live: Live, shoot: Shooter) -> None:
    cid, rid = a_claim(live)
    agent = new_page(browser, live, "phone", "zh-CN", camera=True)
    agent.goto("/channel")
    log_in(agent, make_user(live.app, Role.agent, channel=cid))
    agent.wait_for_url(f"**/channel/{cid}")
    row = agent.locator(f"#claims tbody tr[data-registration='{rid}']")
    row.get_by_role("button", name="扫码带访").click()

    panel = agent.locator("#escort-pass")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("张伟 · 139****3333")
    agent.wait_for_function("() => document.querySelector('#escort-pass-qr').naturalWidth > 0")
    code = agent.locator("#escort-pass-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code), code
    expect(agent.locator("#escort-pass-left")).to_contain_text("剩余 4:")
    assert layout_problems(agent, PHONE["width"]) == []
    box = agent.locator("#escort-pass-qr").bounding_box()
    assert box is not None and box["width"] >= 200 and box["x"] >= 0 \
        and box["x"] + box["width"] <= PHONE["width"]
    assert CUSTOMER not in agent.content()
    shoot(agent, "agent-pass-phone")

    desk = reception_page(browser, live)
    desk.locator("#escort-heading").scroll_into_view_if_needed()
    assert unlabelled(desk) == []
    desk.get_by_label("Escort code").fill(code.lower().replace("-", " "))
    desk.get_by_label("Customer's mobile").fill(CUSTOMER)
    desk.get_by_role("button", name="Confirm the visit").click()
    alert = desk.locator("#escort-alert")
    expect(alert).to_contain_text("Visit confirmed (QR escort · typed code): 张伟 · 139****3333")
    expect(alert).to_contain_text("甲分销 agent 李四")
    expect(desk.locator("#today-list li[data-method='staff']")).to_contain_text("甲分销")
    assert layout_problems(desk, TABLET["width"]) == []
    shoot(desk, "reception-confirmed-tablet")

    desk.get_by_label("Escort code").fill(code)  # the same pass again: a replay
    desk.get_by_label("Customer's mobile").fill(CUSTOMER)
    desk.get_by_role("button", name="Confirm the visit").click()
    expect(desk.locator("#escort-alert.bad")).to_contain_text("already been used")
    shoot(desk, "reception-replay-tablet")

    agent.reload()  # the claim now has its visit: no more pass to show
    expect(agent.locator(f"#claims tbody tr[data-registration='{rid}']")).to_contain_text("保护")
    expect(agent.get_by_role("button", name="扫码带访")).to_have_count(0)
    assert agent.problems == [] and desk.problems == []


@pytest.fixture
def qr_camera(playwright_driver: Any, chromium: Path, live: Live,
              tmp_path: Path) -> Iterator[tuple[Any, str]]:
    """A browser whose fake camera films the QR code of a fresh pass: (browser, agent name)."""
    cid, rid = a_claim(live)
    issued = escort_svc.issue_pass(escort_svc.IssuePassCmd(cid, rid, "agent:li-si"),
                                   live.app.deps)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         box_size=5)
    code.add_data(issued.token)
    picture = code.make_image().get_image().convert("RGB")
    clip = write_y4m([letterbox(picture.resize((360, 360)))], tmp_path / "qr.y4m")
    launched = playwright_driver.chromium.launch(
        executable_path=str(chromium), headless=True,
        args=[*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream",
              "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={clip}"])
    try:
        yield launched, "李四"
    finally:
        launched.close()


def test_receptions_camera_reads_the_pass_in_the_page_and_confirms(
        qr_camera: tuple[Any, str], live: Live, shoot: Shooter) -> None:
    browser, agent_name = qr_camera
    desk = reception_page(browser, live, "zh-CN")
    posted: list[str] = []
    desk.on("request", lambda r: posted.append(r.post_data or "")
            if r.method == "POST" and r.url.endswith("/reception/escorts") else None)
    desk.get_by_role("button", name="扫描带访二维码").click()
    expect(desk.locator("#escort-scanned")).to_be_visible(timeout=30_000)
    expect(desk.locator("#escort-camera-box")).to_be_hidden()  # the camera stops once read
    desk.get_by_label("客户手机号").fill(CUSTOMER)
    desk.get_by_role("button", name="确认到访", exact=True).click()
    expect(desk.locator("#escort-alert")).to_contain_text("已确认到访（扫码带访）")
    expect(desk.locator("#escort-alert")).to_contain_text(agent_name)
    assert len(posted) == 1 and '"token":"KYE1.' in posted[0].replace(" ", "")
    assert "data:image" not in posted[0]  # the text of the QR code only, never a frame
    shoot(desk, "reception-scanned-tablet")
    assert desk.problems == []
