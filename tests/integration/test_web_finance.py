"""The finance page (/finance/statements, 月度结算) over real HTTP on SQLite and PostgreSQL:
finance, managers and the admin open it, channel accounts and reception get a 403 page; it lists a
statement created through the staff API with its total in yuan and its status in words, and
follows the status the API changes."""

from __future__ import annotations

import re

import httpx
import pytest

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.attribution import registration as reg_svc
from support import auth
from support.live import Live, mobile_check_in

HTML = {"Accept": "text/html"}
OFFICE = "demo-office"
MOBILE = "13612345678"
FIRST17 = "44030619900307123"
PAGE = "/finance/statements"
I18N_BLOB = re.compile(r'<script type="application/json" id="i18n">.*?</script>', re.DOTALL)


def page_as(live: Live, role: Role, url: str = PAGE, channel: str | None = None
            ) -> httpx.Response:
    """The page as this role sees it; `.text` without the catalog blob the page's JS reads
    (it holds every word of the area, shown or not)."""
    headers = HTML | auth.bearer(live.app, role, channel=channel)
    with httpx.Client(base_url=live.base_url, timeout=30, headers=headers) as http:
        answer = http.get(url)
    kind = {"content-type": answer.headers["content-type"]}
    return httpx.Response(answer.status_code, headers=kind, text=I18N_BLOB.sub("", answer.text))


def deal_statement(live: Live) -> tuple[str, str]:
    """A distributor's customer visits and signs; a fixed ¥20,000 agreement; a statement for
    November 2026 (Beijing time) created through the staff API. Returns (channel, statement)."""
    deps = live.app.deps
    channel = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "链家分销", deps).id
    with auth.client(live.base_url, live.app, Role.distributor, channel=channel) as company:
        made = company.post(f"/api/channels/{channel}/registrations",
                            json={"customer_name": "李雷", "mobile": MOBILE})
        assert made.status_code == 201, made.text
    live.clock.advance(hours=2)
    mobile_check_in(live, MOBILE)
    with auth.client(live.base_url, live.app, Role.admin) as staff:
        staff.post(f"/api/channels/{channel}/agreements", json={
            "kind": "fixed", "value": 2_000_000, "effective_from": "2026-01-01T00:00:00Z"})
        signed = staff.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "李雷", "id_number": FIRST17 + check_digit(FIRST17), "mobile": MOBILE,
            "contract_price_fen": 2_800_000_00})
        assert signed.status_code == 201 and signed.json()["channel_id"] == channel, signed.text
        st = staff.post(f"/api/channels/{channel}/statements", json={
            "period_start": "2026-11-01T00:00:00+08:00",
            "period_end": "2026-12-01T00:00:00+08:00"})
        assert st.status_code == 201, st.text
    return channel, str(st.json()["statement_id"])


@pytest.mark.parametrize("role", [Role.finance, Role.manager, Role.admin])
def test_finance_managers_and_the_admin_open_the_page_and_see_it_in_the_menu(
    live: Live, role: Role,
) -> None:
    page = page_as(live, role)
    assert page.status_code == 200, page.text
    assert "<h1>月度结算</h1>" in page.text
    assert 'href="/finance/statements"' in page.text  # the menu entry


@pytest.mark.parametrize("role", [Role.reception, Role.distributor, Role.compliance])
def test_others_get_a_403_page_and_no_menu_entry(live: Live, role: Role) -> None:
    channel = None
    if role is Role.distributor:
        channel = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "甲分销",
                                         live.app.deps).id
    page = page_as(live, role, channel=channel)
    assert page.status_code == 403
    assert "text/html" in page.headers["content-type"]
    assert "<h1>月度结算</h1>" not in page.text
    home = page_as(live, role, "/me", channel=channel)
    assert 'href="/finance/statements"' not in home.text


def test_unauthenticated_goes_to_login(live: Live) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30, headers=HTML) as http:
        answer = http.get(PAGE)
    assert answer.status_code == 303 and "/login" in answer.headers["location"]


def test_the_page_lists_a_statement_made_through_the_api_and_follows_its_status(
    live: Live,
) -> None:
    channel, statement = deal_statement(live)
    url = f"{PAGE}?channel={channel}"
    page = page_as(live, Role.finance, url)
    assert page.status_code == 200, page.text
    assert f'data-statement="{statement}"' in page.text
    assert "20,000.00" in page.text and "草稿" in page.text
    assert 'data-action="approve"' in page.text and 'data-action="paid"' not in page.text
    assert f"/api/statements/{statement}/export.xlsx" in page.text
    en = page_as(live, Role.finance, url + "&lang=en")
    assert "Draft" in en.text and "Monthly settlement" in en.text

    with auth.client(live.base_url, live.app, Role.finance) as staff:
        assert staff.post(f"/api/statements/{statement}/approve").status_code == 200
    page = page_as(live, Role.finance, url)
    assert "已审核" in page.text and 'data-action="paid"' in page.text
    with auth.client(live.base_url, live.app, Role.finance) as staff:
        assert staff.post(f"/api/statements/{statement}/paid").status_code == 200
    page = page_as(live, Role.finance, url)
    assert "已付款" in page.text and 'data-action="' not in page.text


def test_an_open_dispute_shows_with_a_decision_form_for_managers_only(live: Live) -> None:
    channel, statement = deal_statement(live)
    with auth.client(live.base_url, live.app, Role.distributor, channel=channel) as company:
        opened = company.post(f"/api/channels/{channel}/statements/{statement}/disputes",
                              json={"reason": "约定的奖励未计入"})
        assert opened.status_code == 201, opened.text
    url = f"{PAGE}?channel={channel}"
    manager = page_as(live, Role.manager, url)
    assert "约定的奖励未计入" in manager.text and "data-dispute=" in manager.text
    assert "接受异议" in manager.text
    finance = page_as(live, Role.finance, url)
    assert "约定的奖励未计入" in finance.text and "接受异议" not in finance.text
    assert "异议由经理处理" in finance.text


def test_an_unknown_channel_is_a_404_page_in_words(live: Live) -> None:
    page = page_as(live, Role.finance, f"{PAGE}?channel=nope")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
