"""The 风控报告 page and the dashboard's "today's alerts" at a phone and a tablet."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg
from support.auth import PASSWORD, make_user
from support.browser import PHONE, TABLET, Shooter, layout_problems
from support.live import Live


def seed(live: Live) -> None:
    """A channel whose six registrations never visit; the last lapsed just now."""
    deps = live.app.deps
    gaming = reg.create_channel("demo-office", ChannelKind.DISTRIBUTOR, "恒通分销", deps)
    for i in range(6):
        reg.register(reg.RegisterCmd(gaming.id, f"客户{i}", f"1390000000{i}"), deps)
        live.clock.advance(seconds=4 * 3600)
    live.clock.advance(seconds=68 * 3600)  # the last one lapses now: today's alert


def log_in(page: Any, username: str, target: str) -> None:
    page.goto(f"{target}?lang=zh-CN")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**{target}*")


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_risk_report_names_the_channel_and_the_rule_in_words(
        page: Any, phone_page: Any, live: Live, shoot: Shooter, size: str) -> None:
    seed(live)
    tab, width = (phone_page, PHONE["width"]) if size == "phone" else (page, TABLET["width"])
    log_in(tab, make_user(live.app, Role.manager), "/dashboard/risk")
    expect(tab.get_by_role("heading", name="风控报告", exact=True)).to_be_visible()
    row = tab.locator('tr[data-rule="never_visited"]')
    expect(row).to_contain_text("恒通分销")
    expect(row).to_contain_text("大量报备从未到访")
    expect(row).to_contain_text("139****0005")
    assert "13900000005" not in tab.content()
    assert layout_problems(tab, width) == []
    shoot(tab, f"risk-{size}-zh")
    tab.goto("/dashboard/risk?lang=en")
    expect(tab.get_by_role("heading", name="Risk report", exact=True)).to_be_visible()
    expect(tab.locator('tr[data-rule="never_visited"]')).to_contain_text(
        "Many registrations never visit")
    shoot(tab, f"risk-{size}-en")
    tab.goto("/dashboard?lang=zh-CN")
    expect(tab.locator("[data-risk-today]")).to_contain_text("今日风控提醒：1 条")
    tab.get_by_role("link", name="查看风控报告").click()
    tab.wait_for_url("**/dashboard/risk")


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_a_manager_raises_a_threshold_on_the_risk_page_and_the_signal_goes(
        page: Any, phone_page: Any, live: Live, shoot: Shooter, size: str) -> None:
    """风控阈值 on the page: the defaults said in words, a bad value refused in words with
    nothing changed, a good one saved (the page then names who set them) and applied."""
    seed(live)
    tab, width = (phone_page, PHONE["width"]) if size == "phone" else (page, TABLET["width"])
    log_in(tab, make_user(live.app, Role.manager), "/dashboard/risk")
    section = tab.locator("#risk-thresholds")
    expect(section).to_contain_text("本项目未自设阈值，使用默认值。")
    field = tab.get_by_label("从未到访的报备至少（条）")
    expect(field).to_have_value("5")
    assert layout_problems(tab, width) == []
    shoot(tab, f"risk-thresholds-{size}-zh")

    field.fill("2.5")  # the browser's own check would stop it: send it as a script would
    tab.evaluate("document.getElementById('risk-thresholds-form').noValidate = true")
    tab.get_by_role("button", name="保存阈值").click()
    expect(section.locator(".alert")).to_contain_text("输入有误")
    expect(section).to_have_attribute("data-source", "default")

    field.fill("7")
    tab.get_by_role("button", name="保存阈值").click()
    expect(section).to_have_attribute("data-source", "office")
    expect(section).to_contain_text("本项目自设阈值")
    expect(tab.get_by_label("从未到访的报备至少（条）")).to_have_value("7")
    expect(tab.locator('tr[data-rule="never_visited"]')).to_have_count(0)
    assert layout_problems(tab, width) == []


def test_finance_reads_the_thresholds_without_a_form(page: Any, live: Live) -> None:
    log_in(page, make_user(live.app, Role.finance), "/dashboard/risk")
    expect(page.locator('#risk-thresholds tr[data-threshold="expiry_share"]')).to_contain_text(
        "50")
    expect(page.locator("#risk-thresholds-form")).to_have_count(0)
