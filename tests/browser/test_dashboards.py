"""The two dashboards in a real browser: a manager and a compliance officer log in through the
form, open their dashboard in zh-CN and en, and see server-rendered SVG charts that are visible
and have accessible names. Screenshots of every state are the issue's artifacts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import settlement, signing
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.checkin import phone as phone_service
from support.auth import PASSWORD, make_user
from support.browser import PHONE, TABLET, Shooter, layout_problems, unlabelled
from support.live import Live

OFFICE = "demo-office"
MOBILES = ("13800001111", "13900002222", "13700003333")


def seed(live: Live) -> None:
    """Two registrations, three phone check-ins, an escorted visit, a signing the next day, a
    dispute on the channel's statement."""
    deps = live.app.deps
    channel = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "链家分销", deps).id
    first = reg.register(reg.RegisterCmd(channel, "王芳", MOBILES[0]), deps).id
    reg.register(reg.RegisterCmd(channel, "李雷", MOBILES[1]), deps)
    live.clock.advance(hours=1)
    for mobile in MOBILES:
        session, notice = kiosk_service.start_session(OFFICE, deps)
        phone_service.request_code(session.id, mobile, deps)
        phone_service.phone_check_in(phone_service.PhoneCheckInCmd(
            session_id=session.id, mobile=mobile, code=live.last_code(),
            notice_hash=notice.content_hash, agree=True), deps)
    reg.confirm_visit(reg.ConfirmVisitCmd(first, MOBILES[0], staff="reception-1"), deps)
    live.clock.advance(days=1)
    first17 = "11010519800101001"
    signing.sign(signing.SigningCmd(
        office_id=OFFICE, buyer_name="王芳", id_number=first17 + check_digit(first17),
        mobile=MOBILES[0], contract_price_fen=3_000_000_00, actor="desk-1"), deps)
    statement = settlement.generate_statement(channel, datetime(2026, 11, 1, tzinfo=UTC),
                                              datetime(2026, 12, 1, tzinfo=UTC), deps)
    settlement.open_dispute(statement.id, channel, "少算了一单 (one deal missing)", deps)


def log_in(page: Any, username: str, target: str, *, english: bool = False) -> None:
    page.goto(f"{target}?lang={'en' if english else 'zh-CN'}")
    page.get_by_label("Username" if english else "用户名").fill(username)
    page.get_by_label("Password" if english else "密码").fill(PASSWORD)
    page.get_by_role("button", name="Log in" if english else "登录").click()
    page.wait_for_url(f"**{target}*")


def charts_are_named_and_visible(page: Any, names: list[str]) -> None:
    for name in names:
        expect(page.get_by_role("img", name=name)).to_be_visible()
    images = page.locator("svg[role=img]")
    assert images.count() == len(names)
    for i in range(images.count()):
        box = images.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 20
    assert unlabelled(page) == []


def test_manager_dashboard_in_both_languages(page: Any, live: Live, shoot: Shooter) -> None:
    seed(live)
    log_in(page, make_user(live.app, Role.manager), "/dashboard")
    expect(page.get_by_role("heading", name="经营看板", exact=True)).to_be_visible()
    charts_are_named_and_visible(page, ["每日到访（按登记方式）", "签约渠道构成", "报备转化漏斗"])
    expect(page.locator('[data-kpi="visits_window"]')).to_have_attribute("data-value", "4")
    expect(page.locator('[data-kpi="disputes_open"]')).to_have_attribute("data-value", "1")
    shoot(page, "manager-zh")

    page.get_by_label("统计区间").select_option("7")
    page.get_by_role("button", name="更新").click()
    page.wait_for_url("**days=7*")
    expect(page.get_by_label("统计区间")).to_have_value("7")
    shoot(page, "manager-zh-7-days")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    charts_are_named_and_visible(
        page, ["Visits per day, by method", "Signings by channel", "Registration funnel"])
    page.get_by_text("Show as a table").click()  # the chart's numbers as a table, no JS needed
    expect(page.get_by_role("columnheader", name="mobile check-in")).to_be_visible()
    shoot(page, "manager-en")


def test_compliance_dashboard_in_both_languages(page: Any, live: Live, shoot: Shooter) -> None:
    seed(live)
    log_in(page, make_user(live.app, Role.compliance), "/compliance")
    expect(page.get_by_role("heading", name="合规看板", exact=True)).to_be_visible()
    charts_are_named_and_visible(
        page, ["到访登记方式与同意情况", "人脸特征库存量（按存储时长）", "备案计数（按法人主体）"])
    expect(page.locator('[data-kpi="audit"]')).to_have_attribute("data-value", "intact")
    expect(page.get_by_role("link", name="打开全库核查报告")).to_be_visible()
    shoot(page, "compliance-zh")

    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Compliance dashboard", exact=True)).to_be_visible()
    charts_are_named_and_visible(page, ["Check-in method and consent",
                                        "Stored face templates by age",
                                        "Filing counter by legal entity"])
    shoot(page, "compliance-en")

    page.get_by_role("link", name="Filing pack").first.click()  # the existing filing pack page
    page.wait_for_load_state()
    assert "/pack.html" in page.url
    shoot(page, "filing-pack")


def no_duplicate_tiles(page: Any) -> None:
    labels = page.locator(".kpis .kpi > small:first-child").all_inner_texts()
    assert labels and len(labels) == len(set(labels)), labels


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_dashboards_fit_a_phone_and_a_tablet_with_one_tile_per_span(
        page: Any, phone_page: Any, live: Live, shoot: Shooter, size: str) -> None:
    """Was: two "近 7 天到访" tiles at ?days=7, ticks 0/2/5, a 40rem grid running off a phone."""
    seed(live)
    tab, width = (phone_page, PHONE["width"]) if size == "phone" else (page, TABLET["width"])
    log_in(tab, make_user(live.app, Role.manager), "/dashboard")
    for days in ("7", "30", "1"):
        tab.goto(f"/dashboard?days={days}")
        no_duplicate_tiles(tab)
        ticks = [int(v) for v in tab.locator("#chart-visits [data-tick]").evaluate_all(
            "els => els.map(e => e.dataset.tick)")]
        if days != "1":  # nobody came today (the seed's clock moved on): "no data", no axis
            assert ticks == list(range(0, ticks[1] * len(ticks), ticks[1])), ticks  # 0, s, 2s…
        assert layout_problems(tab, width) == [], days
        shoot(tab, f"manager-{size}-{days}-days")
    if size == "phone":  # a card per dispute: "label: value" lines, nothing past the edge
        dispute = tab.locator('[data-table="disputes"] tbody tr').first
        expect(dispute.locator("td").first).to_have_attribute("data-label", "提出时间")
        assert dispute.evaluate("tr => getComputedStyle(tr).display") == "block"
        chart = tab.locator("#chart-visits")
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box is not None and box["width"] >= 700  # drawn size: 12 px labels, not 6 px
    tab.context.clear_cookies()
    log_in(tab, make_user(live.app, Role.compliance), "/compliance")
    no_duplicate_tiles(tab)
    expect(tab.locator('[data-kpi="audit"]')).not_to_contain_text("keyuan")
    assert layout_problems(tab, width) == []
    shoot(tab, f"compliance-{size}")
