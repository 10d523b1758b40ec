"""The office admin page in a real browser, at phone width (390 px): an admin adds the legal
entity, sees a typo in its credit code refused, adds the office, sees its kiosk closed until the
responsible person is on file, completes it, and the kiosk opens naming the real controller."""

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


def log_in(page: Any, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_an_admin_sets_up_the_office_and_its_kiosk_opens_when_complete(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/kiosk")
    expect(page.get_by_role("alert")).to_contain_text("office add")  # nothing pre-created

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

    assert page.request.get(f"{live.base_url}/kiosk/sales-1",
                            headers={"accept": "text/html"}).status == 409

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
