"""The reception workspace in a real browser, on a phone (390×844, touch, zh-CN) and at 1024×768
(en): reception logs in and lands on `/reception` (not the kiosk, which its menu no longer
offers), confirms an escorted visit found by the last four digits, checks a visitor without a
phone in on their behalf after the notice shown on the page, sees both in today's list (which
refreshes by itself), and at the in-person rights desk verifies a face-only visitor with the
fake camera against their own receipt and opens their data. Every step fits the screen (the
layout check of `test_phone_size`); screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg_svc
from support.browser import (
    Shooter,
    assert_timed_frames,
    fits,
    posted_bodies,
    staff_page,
    unlabelled,
)
from support.devices import kiosk_client
from support.live import Live
from support.sequences import Shots

OFFICE = "demo-office"
ESCORTED, WALK_IN = "13911112222", "13733334444"
WORDS = {
    "zh-CN": {"user": "用户名", "password": "密码", "login": "登录", "title": "前台工作台",
              "find": "查找报备", "confirm": "确认到访", "confirmed": "已确认到访",
              "already": "已经确认过到访",
              "behalf": "代为登记到访", "behalf_done": "已代为登记", "reception": "前台代登记",
              "escorted": "到访确认", "channel": "报备渠道：甲分销", "camera": "打开摄像头",
              "verify": "核验并办理", "verified": "核验通过", "open_me": "打开访客的个人信息页"},
    "en": {"user": "Username", "password": "Password", "login": "Log in", "title": "Reception",
           "find": "Find registration", "confirm": "Confirm visit", "confirmed": "Visit confirmed",
           "already": "already been confirmed",
           "behalf": "Check in for the visitor", "behalf_done": "Checked in",
           "reception": "checked in by reception", "escorted": "visit confirmation",
           "channel": "registered by 甲分销", "camera": "Turn camera on",
           "verify": "Verify and open", "verified": "Verified",
           "open_me": "Open the visitor's data page"},
}


def face_only_visitor(live: Live, camera: Shots) -> str:
    """A kiosk check-in by face, no mobile given, with the photos the fake camera films: the
    receipt id the visitor shows at reception."""
    with kiosk_client(live, timeout=120) as http:
        session = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
        sid = session["session_id"]
        receipt = http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True,
            "agree": True}).json()
        enrolled = http.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
            "consent_id": receipt["receipt_id"], **camera.wire()})
        assert enrolled.status_code == 201, enrolled.text
        return str(receipt["receipt_id"])


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("tablet", "en")])
def test_reception_does_its_day_on_a_phone_and_a_tablet(
        browser: Any, live: Live, shoot: Shooter, camera_shots: Shots,
        size: str, lang: str) -> None:
    w = WORDS[lang]
    deps = live.app.deps
    channel = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "甲分销", deps)
    reg_svc.register(reg_svc.RegisterCmd(channel_id=channel.id, customer_name="张伟",
                                         mobile=ESCORTED), deps)
    receipt = face_only_visitor(live, camera_shots)

    # reception lands on its workspace, not the kiosk
    page = staff_page(browser, live, Role.reception, size=size, lang=lang, lands="/reception",
                      camera=True)
    posts = posted_bodies(page, "in-person")
    expect(page.get_by_role("heading", level=1)).to_contain_text(w["title"])
    assert page.locator("header a[href='/kiosk']").count() == 0
    expect(page.locator("#today-list li")).to_have_count(1)  # the face-only visitor
    assert unlabelled(page) == []
    fits(page, size)
    shoot(page, f"landing-{size}")

    # 到访确认: found by the last four digits, confirmed with the full number
    page.locator("#find-q").fill(ESCORTED[-4:])
    page.get_by_role("button", name=w["find"]).click()
    card = page.locator("#found-list li")
    expect(card).to_contain_text("139****2222")
    card.locator("input").fill(ESCORTED)
    card.get_by_role("button", name=w["confirm"]).click()
    expect(card.locator(".alert")).to_contain_text(w["confirmed"])
    card.get_by_role("button", name=w["confirm"]).click()  # a second press: refused in words
    expect(card.locator(".alert.bad")).to_contain_text(w["already"])
    fits(page, size)
    shoot(page, f"confirmed-{size}")

    # 前台代登记: the visitor states the number, reads the notice here and agrees
    page.locator("#behalf-mobile").fill(WALK_IN)
    page.locator("#behalf-form details summary").click()
    page.get_by_role("button", name=w["behalf"]).click()  # not yet agreed: nothing happens
    expect(page.locator("#behalf-alert.bad")).to_be_visible()
    page.locator("#behalf-agree").check()
    page.get_by_role("button", name=w["behalf"]).click()
    expect(page.locator("#behalf-alert")).to_contain_text(w["behalf_done"])
    expect(page.locator("#behalf-alert a")).to_have_attribute(
        "href", re.compile(r"^/api/receipts/KY-[0-9A-Z]{5}-[0-9A-Z]{5}/print\?lang=[a-zA-Z-]+$"))
    fits(page, size)
    shoot(page, f"on-behalf-{size}")

    # today's list: both, as what they are, masked
    today = page.locator("#today-list")
    expect(today.locator("li")).to_have_count(3)
    expect(today.locator("li[data-method='reception']")).to_contain_text("137****4444")
    expect(today.locator("li[data-method='reception']")).to_contain_text(w["reception"])
    expect(today.locator("li[data-method='staff']")).to_contain_text(w["channel"])
    expect(today.locator("li[data-method='staff']")).to_contain_text(w["escorted"])
    assert ESCORTED not in page.content() and WALK_IN not in today.inner_text()
    page.locator("#today-heading").scroll_into_view_if_needed()
    shoot(page, f"today-{size}")

    # 当面核验: the face-only visitor's own receipt, their live face from the fake camera
    page.locator("#rights-receipt").fill(receipt)
    page.get_by_role("button", name=w["camera"]).click()
    page.wait_for_function("() => { const v = document.querySelector('#rights-camera');"
                           " return v && v.videoWidth > 0; }")
    page.get_by_role("button", name=w["verify"]).click()
    expect(page.locator("#rights-alert")).to_contain_text(w["verified"], timeout=90_000)
    [checked] = posts["in-person"]
    assert_timed_frames(checked["frames"], checked["frame_times_ms"])
    fits(page, size)
    shoot(page, f"rights-verified-{size}")
    page.get_by_role("link", name=w["open_me"]).click()
    page.wait_for_url("**/me")
    expect(page.locator("#my-data")).to_be_visible()
    shoot(page, f"rights-me-{size}")
    assert page.problems == []
