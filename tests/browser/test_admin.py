"""The admin workspace in a real browser, on a phone (390×844, touch) and at 1024×768: the admin
lands on `/admin` after logging in, opens the accounts page, sees a bad username refused under
the form (the typed values stay), adds a reception account and is shown its temporary password
once, disables and enables it, resets its password, and the new account logs in with it.
Every step fits the screen (the layout check of `test_phone_size`); screenshots under
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from support.auth import PASSWORD, make_user
from support.browser import Shooter, fits, log_in, new_page, staff_page, unlabelled
from support.live import Live, live_server

WORDS = {"zh-CN": {"user": "用户名", "password": "密码", "login": "登录", "add": "新增账号",
                   "disable": "停用", "enable": "启用", "reset": "重置密码", "done": "我已记下",
                   "disabled": "已停用", "accounts": "账号管理"},
         "en": {"user": "Username", "password": "Password", "login": "Log in",
                "add": "Add an account", "disable": "Disable", "enable": "Enable",
                "reset": "Reset password", "done": "I have noted it", "disabled": "Disabled",
                "accounts": "Accounts"}}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off",
                     session_cookie_secure=False) as server:
        yield server


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("tablet", "en")])
def test_an_admin_manages_accounts_on_a_phone_and_a_tablet(
        browser: Any, live: Live, shoot: Shooter, size: str, lang: str) -> None:
    w = WORDS[lang]
    # the admin lands on the workspace, not the kiosk
    page = staff_page(browser, live, Role.admin, size=size, lang=lang, lands="/admin")
    expect(page.locator("#admin-pages a[href='/admin/accounts']")).to_be_visible()
    fits(page, size)
    shoot(page, f"admin-{size}-{lang}")

    page.locator("#admin-pages a[href='/admin/accounts']").click()
    page.wait_for_url("**/admin/accounts")
    expect(page.get_by_role("heading", name=w["accounts"], level=1)).to_be_visible()
    assert unlabelled(page) == []
    fits(page, size)

    box = page.locator("#add-account-box")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    form = page.locator("#add-account")
    form.get_by_label(w["user"]).fill("Desk Li")
    form.locator("#new-role").select_option("reception")
    form.get_by_role("button", name=w["add"]).click()
    alert = form.locator(".alert.bad")
    expect(alert).to_contain_text("2" if lang == "en" else "小写字母")
    expect(form.get_by_label(w["user"])).to_have_value("Desk Li")  # what was typed stays
    fits(page, size)
    shoot(page, f"accounts-refused-{size}-{lang}")

    form.locator("#new-role").select_option("agent")  # a channel role asks for the channel
    expect(page.locator("#new-channel")).to_be_visible()
    form.locator("#new-role").select_option("reception")
    expect(page.locator("#new-channel")).to_be_hidden()
    form.get_by_label(w["user"]).fill("desk.li")
    form.get_by_role("button", name=w["add"]).click()
    shown = page.locator("#temporary-password")
    expect(shown).to_be_visible()
    first = page.locator("#temporary-password-value").inner_text().strip()
    assert len(first) == 19
    fits(page, size)
    shoot(page, f"accounts-added-{size}-{lang}")
    page.get_by_role("button", name=w["done"]).click()

    card = page.locator("[data-account='desk.li']")
    expect(card).to_be_visible()
    card.get_by_role("button", name=w["disable"], exact=True).click()
    card = page.locator("[data-account='desk.li']")
    expect(card.locator("[data-status=disabled]")).to_have_text(w["disabled"])
    card.get_by_role("button", name=w["enable"], exact=True).click()
    expect(page.locator("[data-account='desk.li'] [data-status=active]")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-account='desk.li']").get_by_role("button", name=w["reset"]).click()
    expect(shown).to_be_visible()
    second = page.locator("#temporary-password-value").inner_text().strip()
    assert second != first and len(second) == 19
    fits(page, size)
    shoot(page, f"accounts-reset-{size}-{lang}")
    assert page.problems == []

    desk = new_page(browser, live, size, lang)
    desk.goto(f"/login?lang={lang}")
    log_in(desk, "desk.li", second, lang)
    expect(desk.locator(".who")).to_contain_text("desk.li")  # the new account works
    assert desk.problems == []


CHANNEL_WORDS = {"zh-CN": {"add": "新增渠道", "name": "渠道名称", "agent": "经纪人姓名",
                           "add_agent": "新增经纪人", "deactivate": "停用渠道",
                           "search": "搜索渠道名称或编号", "filter": "筛选",
                           "inactive": "已停用", "value": "比例（%）或金额（元）",
                           "from": "生效日期", "add_agreement": "新增佣金协议",
                           "percent": "按成交价 1.50%"},
                 "en": {"add": "Add a channel", "name": "Channel name", "agent": "Agent's name",
                        "add_agent": "Add an agent", "deactivate": "Deactivate channel",
                        "search": "Search channel name or id", "filter": "Filter",
                        "inactive": "Deactivated", "value": "Percent (%) or amount (yuan)",
                        "from": "Effective from", "add_agreement": "Add an agreement",
                        "percent": "1.50% of the price"}}


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("tablet", "en")])
def test_an_admin_manages_channels_on_a_phone_and_a_tablet(
        browser: Any, live: Live, shoot: Shooter, size: str, lang: str) -> None:
    w = CHANNEL_WORDS[lang]
    page = new_page(browser, live, size, lang)
    page.goto(f"/admin/channels?lang={lang}")
    log_in(page, make_user(live.app, Role.admin), PASSWORD, lang)
    page.wait_for_url("**/admin/channels*")
    assert unlabelled(page) == []
    fits(page, size)

    page.locator("#add-channel-box summary").click()
    form = page.locator("#add-channel")
    form.locator("#new-channel-kind").select_option("referrer")
    form.get_by_label(w["name"]).fill("业主王先生")
    form.get_by_role("button", name=w["add"]).click()  # a referrer without its contract
    expect(form.locator(".alert.bad")).to_contain_text("合同编号" if lang == "zh-CN"
                                                       else "contract number")
    expect(form.get_by_label(w["name"])).to_have_value("业主王先生")
    fits(page, size)
    shoot(page, f"channels-refused-{size}-{lang}")

    form.locator("#new-channel-kind").select_option("distributor")
    form.get_by_label(w["name"]).fill("星河房产经纪有限公司（城东第二营业部）")
    form.get_by_role("button", name=w["add"]).click()
    page.wait_for_url("**/admin/channels?q=*")  # the new channel alone, with its id
    card = page.locator("[data-channel]")
    expect(card).to_have_count(1)
    channel_id = card.get_attribute("data-channel")
    expect(card.locator("[data-channel-id]")).to_have_text(channel_id)

    card.locator("details.agents summary").click()
    card.get_by_label(w["agent"]).fill("李经纪")
    card.get_by_role("button", name=w["add_agent"]).click()
    expect(page.locator("[data-agent]")).to_contain_text("李经纪")
    page.locator("[data-channel] details.agents summary").click()
    fits(page, size)
    shoot(page, f"channels-agent-{size}-{lang}")

    page.locator("[data-channel] details.agreements summary").click()
    agreement = page.locator("[data-channel] form.add-agreement")
    agreement.get_by_label(w["value"]).fill("1.5")
    agreement.get_by_label(w["from"]).fill("2026-01-01")
    agreement.get_by_role("button", name=w["add_agreement"]).click()
    expect(page.locator("[data-channel] details.agreements li")).to_contain_text(w["percent"])

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=w["deactivate"]).click()
    expect(page.locator("[data-channel] [data-status=inactive]")).to_have_text(w["inactive"])

    page.goto(f"/admin/channels?status=active&lang={lang}")
    expect(page.locator("[data-channel]")).to_have_count(0)
    page.goto(f"/admin/channels?lang={lang}")
    page.get_by_label(w["search"]).fill("星河")
    page.get_by_role("button", name=w["filter"]).click()
    expect(page.locator("[data-channel]")).to_have_count(1)
    fits(page, size)
    shoot(page, f"channels-list-{size}-{lang}")
    assert page.problems == []
