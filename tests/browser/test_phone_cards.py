"""Phone-first lists (issue 16 item 7): on a 390×844 phone the distributor portal's registrations
and statements, a statement's lines and the visitor's own data page (/me) are cards — one per
row, "label: value" lines, a customer's name on one line, nothing past the edge, nothing cut —
and on a 1024×768 tablet the same lists stay tables. Screenshots of both sizes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import settlement
from support.auth import PASSWORD, make_user
from support.browser import PHONE, TABLET, Shooter, layout_problems
from support.live import Live, mobile_check_in

OFFICE = "demo-office"
CUSTOMERS = (("欧阳明月", "13800001111"), ("李雷", "13900002222"), ("司马相如", "13700003333"))


def seed(live: Live) -> tuple[str, str]:
    """A distributor with a long name, three registrations (one visited), a statement."""
    deps = live.app.deps
    channel = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR,
                                 "链家地产深圳南山科技园区域第一分销中心", deps).id
    for name, mobile in CUSTOMERS:
        reg.register(reg.RegisterCmd(channel, name, mobile), deps)
    live.clock.advance(hours=1)
    mobile_check_in(live, CUSTOMERS[0][1], name=CUSTOMERS[0][0])
    statement = settlement.generate_statement(channel, datetime(2026, 11, 1, tzinfo=UTC),
                                              datetime(2026, 12, 1, tzinfo=UTC), deps)
    return channel, statement.id


def log_in(page: Any, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def cards_or_table(rows: Any, size: str) -> None:
    """A card per row on the phone (block rows, a label before each value), a table row on
    the tablet."""
    assert rows.count() > 0
    for i in range(rows.count()):
        display = rows.nth(i).evaluate("tr => getComputedStyle(tr).display")
        assert display == ("block" if size == "phone" else "table-row"), (size, display)
        labels = rows.nth(i).locator("td").evaluate_all("tds => tds.map(td => td.dataset.label)")
        assert labels and all(label is not None for label in labels)


LINES_JS = """td => {
  const range = document.createRange();
  range.selectNodeContents(td);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
}"""


def one_line(cell: Any) -> None:
    """A name is read across, not one character per line: its text takes one line."""
    assert cell.evaluate(LINES_JS) == 1, cell.inner_text()


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_the_channel_portal_lists_are_cards_on_a_phone_and_tables_on_a_tablet(
        page: Any, phone_page: Any, live: Live, shoot: Shooter, size: str) -> None:
    channel, statement = seed(live)
    tab, width = (phone_page, PHONE["width"]) if size == "phone" else (page, TABLET["width"])
    tab.goto("/channel")
    log_in(tab, make_user(live.app, Role.distributor, channel=channel))
    tab.wait_for_url(f"**/channel/{channel}")
    rows = tab.locator("#claims tbody tr")
    expect(rows).to_have_count(3)
    cards_or_table(rows, size)
    for name, _ in CUSTOMERS:
        one_line(tab.locator("#claims tbody td", has_text=name).first)
    if size == "phone":
        expect(rows.first.locator("td").nth(3)).to_have_attribute("data-label", "状态")
    expect(tab.locator("#statements tbody tr")).to_have_count(1)
    cards_or_table(tab.locator("#statements tbody tr"), size)
    assert layout_problems(tab, width) == []
    shoot(tab, f"channel-portal-{size}")

    tab.goto(f"/channel/{channel}/statements/{statement}")
    expect(tab.locator("#statement-total")).not_to_be_empty()
    assert layout_problems(tab, width) == []
    shoot(tab, f"channel-statement-{size}")


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_my_data_lists_are_cards_on_a_phone_and_tables_on_a_tablet(
        page: Any, phone_page: Any, live: Live, shoot: Shooter, size: str) -> None:
    tab, width = (phone_page, PHONE["width"]) if size == "phone" else (page, TABLET["width"])
    receipt = mobile_check_in(live, "13800006666", name="欧阳明月")["receipt"]["receipt_id"]
    live.clock.advance(hours=2)
    mobile_check_in(live, "13800006666", name="欧阳明月")
    tab.goto(f"/me?receipt={receipt}")
    tab.get_by_role("button", name="发送验证码").click()
    expect(tab.locator("#code-sent")).not_to_be_empty()
    tab.get_by_label("6 位验证码", exact=True).fill(live.last_code())
    tab.get_by_label("6 位验证码", exact=True).press("Enter")
    expect(tab.locator("#d-visits")).to_be_visible()
    visits = tab.locator("#d-visits tbody tr")
    expect(visits).to_have_count(2)
    cards_or_table(visits, size)
    cards_or_table(tab.locator("#d-consents tbody tr"), size)
    expect(tab.locator("#d-decisions-none")).to_be_visible()
    if size == "phone":
        expect(visits.first.locator("td").first).to_have_attribute("data-label", "时间")
    assert layout_problems(tab, width) == []
    shoot(tab, f"my-data-{size}")


@pytest.mark.parametrize("size", ["phone", "tablet"])
def test_a_distributor_finds_registrations_and_statements(
        page: Any, phone_page: Any, live: Live, shoot: Shooter, size: str) -> None:
    channel, _ = seed(live)
    tab, width = (phone_page, PHONE["width"]) if size == "phone" else (page, TABLET["width"])
    tab.goto("/channel")
    log_in(tab, make_user(live.app, Role.distributor, channel=channel))
    tab.wait_for_url(f"**/channel/{channel}")
    expect(tab.locator("#claims tbody tr")).to_have_count(3)
    assert layout_problems(tab, width) == []
    shoot(tab, f"search-form-{size}")

    tab.get_by_label("手机尾号（4 位）").fill("12a")  # checked before the page reloads
    tab.get_by_role("button", name="查找").click()
    expect(tab.locator("#claims-msg")).to_have_text("手机尾号请输入 4 位数字。")

    tab.get_by_label("手机尾号（4 位）").fill("2222")
    tab.get_by_role("button", name="查找").click()
    tab.wait_for_url("**last4=2222*")
    expect(tab.locator("#claims tbody tr")).to_have_count(1)
    expect(tab.locator("#claims tbody tr")).to_contain_text("李雷")
    expect(tab.locator("#claims-found")).to_have_text("找到 1 条报备。")
    expect(tab.get_by_label("手机尾号（4 位）")).to_have_value("2222")  # the form keeps it
    assert layout_problems(tab, width) == []
    shoot(tab, f"search-last4-{size}")

    tab.get_by_label("手机尾号（4 位）").fill("")
    tab.get_by_label("状态", exact=True).select_option("protected")  # the visited one
    tab.get_by_role("button", name="查找").click()
    tab.wait_for_url("**status=protected*")
    expect(tab.locator("#claims tbody tr")).to_have_count(1)
    expect(tab.locator("#claims tbody tr")).to_contain_text("欧阳明月")

    tab.get_by_label("状态", exact=True).select_option("signed")
    tab.get_by_role("button", name="查找").click()
    expect(tab.locator("#claims-empty")).to_have_text("没有符合条件的报备。")

    tab.get_by_label("结算月份").fill("2026-10")
    tab.get_by_role("button", name="筛选").click()
    tab.wait_for_url("**period=2026-10*")
    expect(tab.locator("#statements-empty")).to_have_text("没有符合条件的结算单。")
    tab.get_by_role("link", name="清除条件").click()
    expect(tab.locator("#claims tbody tr")).to_have_count(3)
    expect(tab.locator("#statements tbody tr")).to_have_count(1)
    assert layout_problems(tab, width) == []
    shoot(tab, f"search-cleared-{size}")
