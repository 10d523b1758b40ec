"""Pairing a reception tablet in real browsers: an unpaired tablet is told so (both
languages); the admin shows the pairing QR code on /admin/devices; the tablet opens the URL it
holds, pairs, and the kiosk films with the fake camera; the admin unpairs it and the tablet's
next step shows the "not paired" screen again."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from support.auth import PASSWORD, make_user
from support.browser import Shooter, unlabelled
from support.live import Live

OFFICE = "demo-office"


def admin_page(browser: Any, live: Live) -> Any:
    admin = browser.new_context(base_url=live.base_url, locale="zh-CN",
                                viewport={"width": 1024, "height": 768})
    admin.set_default_timeout(20_000)
    page = admin.new_page()
    page.goto("/admin/devices")
    page.get_by_label("用户名").fill(make_user(live.app, Role.admin))
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/admin/devices")
    return page


def test_an_admin_pairs_a_tablet_by_its_qr_code_and_unpairing_stops_it_at_once(
    browser: Any, page: Any, live: Live, shoot: Shooter,
) -> None:
    page.goto("/kiosk")  # the tablet, before pairing
    expect(page.locator('[data-error="device_not_paired"]')).to_contain_text("管理员")
    expect(page.get_by_text("This tablet is not paired")).to_be_visible()
    shoot(page, "unpaired")

    admin = admin_page(browser, live)
    assert unlabelled(admin) == []
    form = admin.locator("#pair-device")
    form.get_by_label("售楼处", exact=True).select_option(OFFICE)
    form.get_by_label("平板名称").fill("前台平板 1")
    form.get_by_role("button", name="生成配对二维码").click()
    offer = admin.locator(".pairing-offer")
    expect(offer.locator("svg")).to_be_visible()
    code = offer.get_attribute("data-code")
    url = offer.locator("#pair-url").get_attribute("href")
    assert code and url == f"{live.base_url}/kiosk/pair?code={code}"
    shoot(admin, "offer")

    page.goto(url)  # what scanning the QR code opens on the tablet
    expect(page.locator("#pair-code")).to_have_value(code)
    page.get_by_role("button", name="配对此平板").click()
    page.wait_for_url(f"**/kiosk/{OFFICE}")
    cookie = {c["name"]: c for c in page.context.cookies()}["keyuan_device"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.get_by_role("button", name="刷脸登记").click()
    page.get_by_label("我同意本售楼处为记录到访和渠道判客的目的").check()
    page.get_by_label("我已年满 14 周岁").check()
    page.get_by_role("button", name="同意并开始拍摄").click()
    expect(page.get_by_role("heading", name="请看向摄像头")).to_be_visible()
    page.wait_for_function("() => { const v = document.querySelector('#camera');"
                           " return v && v.videoWidth > 0; }")  # the fake camera films
    shoot(page, "camera")

    page.goto(f"/kiosk/{OFFICE}")  # the next visitor: a fresh session at the start screen
    page.get_by_role("button", name="手机号登记").click()
    admin.reload()
    card = admin.locator("#devices li", has_text="前台平板 1")
    expect(card).to_contain_text("已配对")
    admin.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="取消配对").click()
    # the card's own "已于 … 取消配对" tag, not its button (whose text matches while the confirm
    # dialog is still open, and a screenshot then waits on the dialog)
    expect(admin.locator("#devices li", has_text="前台平板 1").locator(".tag.bad")
           ).to_contain_text("取消配对")
    shoot(admin, "unpaired-list")

    page.locator("#mobile").fill("13800138000")  # the tablet's next request is refused
    page.locator("#mobile").press("Enter")
    expect(page.locator('[data-error="device_not_paired"]')).to_be_visible()
    shoot(page, "unpaired-again")
    again = page.request.post(f"{live.base_url}/api/kiosk/sessions",
                              data={"office_id": OFFICE})
    assert again.status == 401 and again.json()["error"] == "device_not_paired"
    admin.context.close()
