"""The distributor portal in a real browser: a distributor logs in, registers a
customer, and follows the claim — awaiting visit, protected after the customer checks in by
mobile, signed — then opens a statement and disputes it. No biometric wording on any page."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.attribution.registration import AttributionRules, ConflictPolicy
from keyuan.services.attribution import registration as reg_svc
from support import auth
from support.auth import PASSWORD, make_user
from support.browser import Shooter, unlabelled
from support.live import Live, mobile_check_in

OFFICE = "demo-office"
MOBILE = "13612345678"
FIRST17 = "44030619900307123"
BIOMETRIC = re.compile(r"template|embedding|face|人脸|distance|score|生物", re.IGNORECASE)


def log_in(page: Any, username: str, *, en: bool = False) -> None:
    page.get_by_label("Username" if en else "用户名").fill(username)
    page.get_by_label("Password" if en else "密码").fill(PASSWORD)
    page.get_by_role("button", name="Log in" if en else "登录").click()


def no_biometric_words(page: Any) -> None:
    """What the page shows and holds in its markup, the catalog blob aside (shared error
    wording of every area travels there)."""
    html = re.sub(r'<script type="application/json" id="i18n">.*?</script>', "",
                  page.content(), flags=re.DOTALL)
    assert BIOMETRIC.findall(html) == []


def check_in_by_mobile(live: Live, mobile: str) -> str:
    """The customer at the kiosk, over the kiosk API: returns the receipt id."""
    return str(mobile_check_in(live, mobile)["receipt"]["receipt_id"])


def row_of(page: Any, name: str) -> Any:
    return page.locator("#claims tbody tr", has_text=name)


def test_a_distributor_registers_a_customer_and_follows_the_claim_to_signed(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    deps = live.app.deps
    channel = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "链家分销", deps).id
    username = make_user(live.app, Role.distributor, channel=channel)

    page.goto("/channel")
    assert "/login" in page.url
    log_in(page, username)
    page.wait_for_url(f"**/channel/{channel}")
    expect(page.get_by_role("heading", name="渠道报备", level=1)).to_be_visible()
    expect(page.locator("#claims-empty")).to_be_visible()
    assert unlabelled(page) == []
    shoot(page, "portal-empty")

    # client-side checks mirror the API: a mobile that is neither full nor 前三后四
    page.get_by_label("客户姓名").fill("李雷")
    page.get_by_label("客户手机号").fill("136*5678")
    page.get_by_role("button", name="提交报备").click()
    expect(page.locator("#register-msg")).to_contain_text("前三后四")
    assert page.get_by_label("客户手机号").get_attribute("aria-invalid") == "true"
    shoot(page, "register-bad-mobile")

    page.get_by_label("客户手机号").fill(MOBILE)
    page.get_by_role("button", name="提交报备").press("Enter")  # keyboard works too
    expect(page.locator("#register-msg")).to_contain_text("已报备：李雷（136****5678）")
    expect(row_of(page, "李雷")).to_contain_text("等待到访")
    expect(row_of(page, "李雷")).to_contain_text("前到访")
    shoot(page, "registered-awaiting-visit")

    live.clock.advance(hours=2)
    check_in_by_mobile(live, MOBILE)
    page.get_by_role("button", name="刷新").click()
    expect(row_of(page, "李雷")).to_contain_text("保护中")
    expect(row_of(page, "李雷")).to_contain_text("保护期至")
    no_biometric_words(page)
    shoot(page, "visited-protected")

    live.clock.advance(hours=3)  # within the cookie session's lifetime
    with auth.client(live.base_url, live.app, Role.admin) as staff:
        staff.post(f"/api/channels/{channel}/agreements", json={
            "kind": "fixed", "value": 2_000_000, "effective_from": "2026-01-01T00:00:00Z"})
        signed = staff.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "李雷", "id_number": FIRST17 + check_digit(FIRST17), "mobile": MOBILE,
            "contract_price_fen": 2_800_000_00})
        assert signed.status_code == 201 and signed.json()["channel_id"] == channel, signed.text
        # a store of the company: the statement carries its subtotal line (no deal of its own)
        store = staff.post(f"/api/admin/channels/{channel}/teams",
                           json={"name": "南京路店", "parent_id": None})
        assert store.status_code == 201, store.text
        statement = staff.post(f"/api/channels/{channel}/statements", json={
            "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z"})
        assert statement.status_code == 201, statement.text
    page.reload()
    expect(row_of(page, "李雷")).to_contain_text("已签约")
    expect(page.locator("#statements tbody tr")).to_have_count(1)
    expect(page.locator("#statements")).to_contain_text("20,000.00")
    no_biometric_words(page)
    shoot(page, "signed-with-statement")

    page.get_by_role("link", name="查看").click()
    expect(page.get_by_role("heading", name="结算单明细")).to_be_visible()
    expect(page.locator("#lines tbody tr")).to_have_count(1)
    expect(page.locator("#statement-total")).to_contain_text("20,000.00")
    teams = page.locator("#team-lines tbody tr")
    expect(teams).to_have_count(2)  # the company's own line, then its store
    expect(teams.nth(0)).to_contain_text("公司本级")
    expect(teams.nth(0)).to_contain_text("1 笔，20,000.00 元")
    expect(teams.nth(1)).to_contain_text("南京路店")
    expect(teams.nth(1)).to_contain_text("0 笔，0.00 元")
    assert unlabelled(page) == []
    no_biometric_words(page)
    shoot(page, "statement")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("#dispute-msg")).to_contain_text("请填写异议理由")
    page.get_by_label("涉及的成交（可选）").select_option(index=1)
    page.get_by_label("异议理由").fill("约定的奖励未计入")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("#dispute-msg")).to_contain_text("异议已提交")
    shoot(page, "dispute-sent")

    page.goto(f"/channel/{channel}?lang=en")
    expect(page.get_by_role("heading", name="Registrations", level=1)).to_be_visible()
    expect(row_of(page, "李雷")).to_contain_text("Signed")
    shoot(page, "portal-en")


def test_an_agent_registers_a_masked_mobile_and_sees_no_money(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    deps = live.app.deps
    channel = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "我爱我家", deps).id
    other = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "别家", deps).id
    reg_svc.register(reg_svc.RegisterCmd(channel_id=other, customer_name="别家客户",
                                         mobile="13700001111"), deps)
    username = make_user(live.app, Role.agent, channel=channel)

    page.goto("/login?lang=en&next=/channel")
    log_in(page, username, en=True)
    page.wait_for_url(f"**/channel/{channel}")
    expect(page.get_by_role("heading", name="Register a customer")).to_be_visible()
    assert page.locator("#statements").count() == 0
    page.get_by_label("Customer name").fill("Han Meimei")
    page.get_by_label("Customer mobile").fill("139****3333")
    page.get_by_role("button", name="Register").click()
    expect(row_of(page, "Han Meimei")).to_contain_text("Awaiting visit")
    assert page.locator("#claims").inner_text().count("Han Meimei") == 1
    assert "别家客户" not in page.content()
    assert unlabelled(page) == []
    shoot(page, "agent-en")

    # another customer signs before ever visiting: the claim is lost, and the page says why
    page.get_by_label("Customer name").fill("Lin Lin")
    page.get_by_label("Customer mobile").fill("135 1234 5671")
    page.get_by_role("button", name="Register").click()
    expect(row_of(page, "Lin Lin")).to_contain_text("Awaiting visit")
    id17 = "44030619900307790"
    with auth.client(live.base_url, live.app, Role.admin) as staff:
        signed = staff.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "Lin Lin", "id_number": id17 + check_digit(id17),
            "mobile": "13512345671", "contract_price_fen": 2_000_000_00})
        assert signed.status_code == 201 and signed.json()["channel_id"] is None, signed.text
    page.get_by_role("button", name="Refresh").click()
    expect(row_of(page, "Lin Lin")).to_contain_text("Lost")
    expect(row_of(page, "Lin Lin")).to_contain_text(
        "The customer made no registered visit before signing.")
    no_biometric_words(page)
    shoot(page, "agent-claim-lost")

    page.goto(f"/channel/{other}")
    expect(page.locator("[data-error]")).to_be_visible()
    assert "别家客户" not in page.content()
    shoot(page, "agent-other-channel-refused")


def test_the_portal_says_at_once_why_a_registration_is_refused(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    """报备失败 in words instead of a green 已报备: already registered by this channel, the
    customer already visited (自访), or protected for another channel — never naming it."""
    deps = live.app.deps
    mine = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "链家分销", deps).id
    other = reg_svc.create_channel(OFFICE, ChannelKind("distributor"), "贝壳分销", deps).id
    reg_svc.register(reg_svc.RegisterCmd(other, "韩梅梅", "13900001234"), deps)
    check_in_by_mobile(live, "13700005678")  # a natural visit before any registration
    live.clock.advance(minutes=10)
    username = make_user(live.app, Role.distributor, channel=mine)
    page.goto("/channel")
    log_in(page, username)
    page.wait_for_url(f"**/channel/{mine}")
    msg = page.locator("#register-msg")

    def register(name: str, mobile: str) -> None:
        page.get_by_label("客户姓名").fill(name)
        page.get_by_label("客户手机号").fill(mobile)
        page.get_by_role("button", name="提交报备").click()

    register("李雷", MOBILE)
    expect(msg).to_contain_text("已报备：李雷")
    register("李雷", MOBILE)
    expect(msg).to_contain_text("报备失败：您已于")
    expect(msg).to_have_class(re.compile(r"\bbad\b"))
    shoot(page, "refused-duplicate")
    register("王小明", "13700005678")
    expect(msg).to_have_text("报备失败：客户已到访。")
    shoot(page, "refused-known")
    register("韩梅梅", "13900001234")
    expect(msg).to_have_text("报备失败：客户已被报备。")
    assert "贝壳分销" not in page.content() and other not in page.content()
    shoot(page, "refused-protected")
    expect(page.locator("#claims tbody tr")).to_have_count(1)  # nothing else was stored

    page.goto(f"/channel/{mine}?lang=en")
    page.get_by_label("Customer name").fill("韩梅梅")
    page.get_by_label("Customer mobile").fill("139****1234")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#register-msg")).to_have_text(
        "Not registered: the customer is already registered.")
    shoot(page, "refused-protected-en")

    # an office that keeps such attempts on record: stored, marked, never a green 已报备
    reg_svc.set_rules(OFFICE, AttributionRules(conflict_policy=ConflictPolicy.MARK), deps,
                      actor="manager-1")
    page.goto(f"/channel/{mine}?lang=zh-CN")
    register("王小明", "13700005678")
    expect(msg).to_contain_text("报备无效：客户已到访")
    expect(msg).to_have_class(re.compile(r"\bbad\b"))
    expect(row_of(page, "王小明")).to_contain_text("无效")
    expect(row_of(page, "王小明")).to_contain_text("报备时客户已到访过")
    shoot(page, "marked-known")
