"""The finance page (/finance/statements, 月度结算) in a real browser at 1024×768 and on a phone
(390×844): finance picks a channel, creates a statement for a month (Beijing dates), approves it,
marks it paid and sees the status change each time; a refused period is explained in words."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg_svc
from support.auth import PASSWORD, make_user
from support.browser import PHONE, Shooter, layout_problems, unlabelled
from support.live import Live

OFFICE = "demo-office"


def log_in(page: Any, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def settle_a_month(page: Any, live: Live, shoot: Shooter, tag: str, width: int) -> None:
    deps = live.app.deps
    reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "甲分销", deps)
    channel = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "链家分销", deps).id

    page.goto("/finance/statements")
    assert "/login" in page.url
    log_in(page, make_user(live.app, Role.finance))
    page.wait_for_url("**/finance/statements")
    expect(page.get_by_role("heading", name="月度结算", level=1)).to_be_visible()
    page.get_by_label("渠道").select_option(label="链家分销")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(f"**/finance/statements?channel={channel}")
    expect(page.locator("#statements-empty")).to_be_visible()
    assert unlabelled(page) == []
    assert layout_problems(page, width) == []
    shoot(page, f"{tag}-empty")

    form = page.locator("#create-statement")
    form.get_by_role("button", name="生成结算单").click()
    expect(form.locator(".alert")).to_contain_text("请填写结算期的开始和结束日期")
    page.get_by_label("结算期开始日期").fill("2026-11-01")
    page.get_by_label("结算期结束日期（含当天）").fill("2026-11-30")
    form.get_by_role("button", name="生成结算单").click()
    card = page.locator("#statements [data-statement]")
    expect(card).to_have_count(1)
    expect(card.locator("[data-status]")).to_have_text("草稿")
    expect(card).to_contain_text("2026-11-01 00:00")  # Beijing midnight, not UTC
    expect(card.locator("[data-total]")).to_contain_text("0.00")
    assert layout_problems(page, width) == []
    shoot(page, f"{tag}-draft")

    # an overlapping period is refused, in words
    page.get_by_label("结算期开始日期").fill("2026-11-15")
    page.get_by_label("结算期结束日期（含当天）").fill("2026-12-10")
    form.get_by_role("button", name="生成结算单").click()
    refusal = form.locator(".alert.bad")
    expect(refusal).not_to_be_empty()
    assert "{" not in refusal.inner_text() and "statement_period_overlap" not in \
        refusal.inner_text()
    shoot(page, f"{tag}-refused")

    card.get_by_role("button", name="审核通过").click()
    expect(card.locator("[data-status]")).to_have_text("已审核")
    expect(card.get_by_role("button", name="审核通过")).to_have_count(0)
    shoot(page, f"{tag}-approved")
    card.get_by_role("button", name="标记已付款").click()
    expect(card.locator("[data-status]")).to_have_text("已付款")
    expect(card.locator("button")).to_have_count(0)
    expect(card.get_by_role("link", name="CSV")).to_be_visible()
    assert layout_problems(page, width) == []
    shoot(page, f"{tag}-paid")

    page.goto(f"/finance/statements?channel={channel}&lang=en")
    expect(card.locator("[data-status]")).to_have_text("Paid")
    assert layout_problems(page, width) == []
    shoot(page, f"{tag}-paid-en")


def test_finance_creates_approves_and_pays_a_statement(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    settle_a_month(page, live, shoot, "desktop", 1024)


def test_the_same_on_a_phone(phone_page: Any, live: Live, shoot: Shooter) -> None:
    settle_a_month(phone_page, live, shoot, "phone", PHONE["width"])
