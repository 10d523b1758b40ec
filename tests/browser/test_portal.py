"""The visitor portal on a phone-sized screen (C19): a visitor who checked in by
mobile opens /me from the receipt, gets a code, sees their data, exports it, withdraws consent
and finally deletes their data — every step with an in-page confirmation, not a dialog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.idcard import check_digit
from support import auth
from support.browser import Shooter, unlabelled
from support.live import Live, mobile_check_in

OFFICE = "demo-office"
MOBILE = "13800006666"
PHONE = {"width": 375, "height": 740}


def check_in_by_mobile(live: Live, mobile: str) -> str:
    """A check-in by mobile at the kiosk, over the kiosk API: returns the receipt id."""
    return str(mobile_check_in(live, mobile, name="安")["receipt"]["receipt_id"])


def fits_the_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_a_visitor_sees_exports_withdraws_and_deletes_their_data(
    page: Any, live: Live, shoot: Shooter, tmp_path: Path,
) -> None:
    receipt = check_in_by_mobile(live, MOBILE)
    live.clock.advance(seconds=60)
    id17 = "11010519491231002"
    with auth.client(live.base_url, live.app, Role.signing) as desk:  # the visitor bought
        signed = desk.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "安", "id_number": id17 + check_digit(id17), "mobile": MOBILE,
            "contract_price_fen": 1_000_000_00})
        assert signed.status_code == 201, signed.text
    page.set_viewport_size(PHONE)

    page.goto(f"/me?receipt={receipt}")
    expect(page.get_by_label("回执编号", exact=True)).to_have_value(receipt)
    assert unlabelled(page) == []
    fits_the_phone(page)
    shoot(page, "receipt-step")
    page.get_by_role("button", name="发送验证码").click()
    expect(page.locator("#code-sent")).to_contain_text("138****6666")
    assert unlabelled(page) == []
    shoot(page, "code-step")

    page.get_by_label("6 位验证码", exact=True).fill("12345")
    page.get_by_role("button", name="查看我的数据").click()
    expect(page.locator("#portal-msg")).to_contain_text("6 位数字验证码")
    wrong = "000000" if live.last_code() != "000000" else "111111"
    page.get_by_label("6 位验证码", exact=True).fill(wrong)
    page.get_by_role("button", name="查看我的数据").click()
    expect(page.locator("#portal-msg")).to_contain_text("验证码不正确")
    shoot(page, "wrong-code")

    page.get_by_label("6 位验证码", exact=True).fill(live.last_code())
    page.get_by_label("6 位验证码", exact=True).press("Enter")
    expect(page.get_by_role("heading", name="我们保存的您的信息")).to_be_visible()
    expect(page.locator("#d-mobile")).to_have_text(MOBILE)
    expect(page.locator("#d-consents")).to_contain_text("手机号登记")
    expect(page.locator("#d-consents")).to_contain_text("有效")
    expect(page.locator("#d-visits")).to_contain_text("手机号登记")
    expect(page.locator("#d-template")).to_have_text("未保存任何人脸特征。")
    expect(page.locator("#d-decisions")).to_contain_text("没有有效报备，按自然到访处理")
    assert page.evaluate("sessionStorage.getItem('keyuan_rights_token')")
    assert page.evaluate("localStorage.length") == 0
    fits_the_phone(page)
    shoot(page, "my-data")

    with page.expect_download() as download:
        page.get_by_role("button", name="下载副本（JSON）").click()
    assert download.value.suggested_filename == "my-data.json"
    saved = tmp_path / "my-data.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text(encoding="utf-8"))["person"]["mobile"] == MOBILE
    with page.expect_popup() as popup:
        page.get_by_role("button", name="打开可读版本").click()
    expect(popup.value.locator("body")).to_contain_text("我的个人信息副本")
    expect(popup.value.locator("body")).to_contain_text(MOBILE)
    shoot(popup.value, "readable-copy")
    popup.value.close()

    page.get_by_role("button", name="撤回同意", exact=True).click()
    expect(page.locator("#withdraw-confirm")).to_be_visible()
    expect(page.get_by_role("button", name="确定撤回")).to_be_focused()
    shoot(page, "withdraw-confirm")
    page.get_by_role("button", name="确定撤回").click()
    expect(page.locator("#portal-msg")).to_contain_text("已撤回同意")
    expect(page.locator("#d-consents")).to_contain_text("撤回")
    expect(page.locator("#d-consents")).not_to_contain_text("有效")
    expect(page.get_by_role("button", name="撤回同意", exact=True)).to_be_disabled()
    expect(page.locator("#d-requests tbody tr", has_text="撤回同意")).to_contain_text("已完成")
    shoot(page, "withdrawn")

    page.get_by_role("button", name="删除我的数据", exact=True).click()
    page.get_by_role("button", name="取消").last.click()  # a change of mind costs nothing
    expect(page.locator("#delete-confirm")).to_be_hidden()
    page.get_by_role("button", name="删除我的数据", exact=True).click()
    shoot(page, "delete-confirm")
    page.get_by_role("button", name="确定删除").click()
    expect(page.get_by_role("heading", name="已删除")).to_be_visible()
    expect(page.locator("#deleted-list")).to_contain_text("手机号及其哈希值")
    expect(page.locator("#kept-list")).to_contain_text("审计日志")
    assert page.evaluate("sessionStorage.getItem('keyuan_rights_token')") is None
    fits_the_phone(page)
    shoot(page, "deleted")

    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        gone = http.post("/api/rights/code", json={"receipt_id": receipt})
    assert gone.status_code in (404, 409), gone.text  # no mobile is left to send a code to


def test_a_wrong_receipt_is_explained_in_english(page: Any, live: Live, shoot: Shooter) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/me?lang=en")
    expect(page.get_by_role("heading", name="My data", level=1)).to_be_visible()
    page.get_by_label("Receipt code", exact=True).fill("short")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("#portal-msg")).to_contain_text("like KY-7F3KQ-9Q2MX")
    page.get_by_label("Receipt code", exact=True).fill("ky-00000-00000")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("#portal-msg")).to_contain_text("No receipt has that code")
    page.get_by_label("Receipt code", exact=True).fill("KY-7F3KQ-9Q2MU")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.locator("#portal-msg")).to_contain_text("That is not a receipt code")
    assert unlabelled(page) == []
    fits_the_phone(page)
    shoot(page, "unknown-receipt-en")
