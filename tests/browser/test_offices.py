"""The office admin page in a real browser, at phone width (390 px): an admin adds the legal
entity, sees a typo in its credit code refused, adds the office, sees its kiosk closed until the
responsible person is on file (on a tablet paired from /admin/devices), completes it, and the
kiosk opens naming the real controller."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from support.auth import PASSWORD, make_user
from support.browser import Shooter, unlabelled
from support.live import Live, live_server
from support.offices import credit_code_for

PHONE = {"width": 390, "height": 844}
ENTITY = "翠湖置业有限公司"
CODE = credit_code_for(ENTITY)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """No office on file, as after `keyuan init` without demo mode."""
    with live_server(tmp_path / "data", engine=None, face_module="off", office=False,
                     session_cookie_secure=False) as server:
        yield server


def fits_the_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def pair_this_browser(page: Any, office_id: str, name: str) -> None:
    """/admin/devices: the pairing QR code for `office_id`; its URL opened in this browser."""
    page.goto("/admin/devices")
    form = page.locator("#pair-device")
    form.get_by_label("售楼处", exact=True).select_option(office_id)
    form.get_by_label("平板名称").fill(name)
    form.get_by_role("button", name="生成配对二维码").click()
    offer = page.locator(".pairing-offer")
    expect(offer.locator("svg")).to_be_visible()
    fits_the_phone(page)
    page.goto(offer.locator("#pair-url").get_attribute("href"))
    page.locator("#pair-go").click()
    page.wait_for_url(f"**/kiosk/{office_id}")


def log_in(page: Any, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_an_admin_sets_up_the_office_and_its_kiosk_opens_when_complete(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/kiosk")  # nothing pre-created: no office, no tablet paired with one
    expect(page.locator('[data-error="device_not_paired"]')).to_contain_text("管理员")

    page.goto("/admin/offices")
    log_in(page, make_user(live.app, Role.admin))
    page.wait_for_url("**/admin/offices")
    expect(page.get_by_role("heading", name="售楼处与法人", level=1)).to_be_visible()
    expect(page.get_by_text("还没有法人")).to_be_visible()
    assert unlabelled(page) == []
    fits_the_phone(page)
    shoot(page, "empty")

    form = page.locator("#add-entity")
    form.get_by_label("法人名称").fill(ENTITY)
    form.get_by_label("统一社会信用代码").fill(CODE[:17] + ("0" if CODE[17] != "0" else "1"))
    form.get_by_label("联系方式", exact=True).fill("0591-12345678")
    form.get_by_role("button", name="添加法人").click()
    expect(form.locator(".alert")).to_contain_text("统一社会信用代码不正确")
    shoot(page, "typo-refused")

    form.get_by_label("统一社会信用代码").fill(CODE)
    form.get_by_role("button", name="添加法人").click()
    entity = page.locator("#entities li", has_text=ENTITY)
    expect(entity).to_contain_text("缺少 个人信息保护负责人, 负责人联系方式")

    office = page.locator("#add-office")
    office.get_by_label("售楼处编号").fill("sales-1")
    office.get_by_label("售楼处名称").fill("翠湖售楼处")
    office.get_by_role("button", name="添加售楼处").click()
    card = page.locator("#offices li", has_text="sales-1")
    expect(card).to_contain_text("到访登记未开放")
    fits_the_phone(page)
    shoot(page, "office-closed")

    pair_this_browser(page, "sales-1", "前台平板")  # the admin's QR URL, opened right here
    assert page.request.get(f"{live.base_url}/kiosk/sales-1",
                            headers={"accept": "text/html"}).status == 409
    page.goto("/admin/offices")

    entity.get_by_text("修改").click()
    entity.get_by_label("个人信息保护负责人", exact=True).fill("李敏")
    entity.get_by_label("负责人联系方式").fill("dpo@example.cn")
    entity.get_by_role("button", name="保存").click()
    expect(page.locator("#entities li", has_text=ENTITY)).to_contain_text("信息完整")
    card = page.locator("#offices li", has_text="sales-1")
    expect(card.get_by_role("link", name="打开登记页")).to_be_visible()
    assert unlabelled(page) == []
    fits_the_phone(page)
    shoot(page, "complete")

    card.get_by_role("link", name="打开登记页").click()
    page.wait_for_url("**/kiosk/sales-1")
    page.get_by_text("阅读完整告知").click()  # the full notice names the controller
    expect(page.get_by_text(CODE, exact=False).first).to_be_visible()
    expect(page.get_by_text("李敏", exact=False).first).to_be_visible()
    assert "示范" not in page.content().split('id="i18n"')[0]
    fits_the_phone(page)
    shoot(page, "kiosk-open")
