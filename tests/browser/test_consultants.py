"""置业顾问 in a real browser, on a phone (390×844, touch, zh-CN) and at 1024×768 (en): reception
gives a visitor the next consultant in the queue (轮排), sees the consultant on today's list and
marks another consultant away; the customer comes back by mobile and the consultant, logged in
on their own page, sees "your customer is back" with the masked mobile only. Every step fits the
screen (`layout_problems`); screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from support.auth import PASSWORD, make_user
from support.browser import Shooter, layout_problems, unlabelled
from support.live import Live, mobile_check_in

MOBILE = "13955556666"
SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 1024, "height": 768}}
WORDS = {
    "zh-CN": {"user": "用户名", "password": "密码", "login": "登录", "next": "轮排下一位",
              "assigned": "已安排 gu-a（轮排第 1 位）", "of_visit": "置业顾问：gu-a",
              "away": "标记不在岗", "away_tag": "今天不在岗", "queue_next": "下一位：gu-a",
              "title": "置业顾问", "back": "您的客户 王芳 · 139****6666 再次到访"},
    "en": {"user": "Username", "password": "Password", "login": "Log in", "next": "Next in queue",
           "assigned": "Assigned to gu-a (queue turn 1)", "of_visit": "Consultant: gu-a",
           "away": "Mark away", "away_tag": "Away today", "queue_next": "Next: gu-a",
           "title": "Consultant", "back": "Your customer 王芳 · 139****6666 is back"},
}


def new_page(browser: Any, live: Live, size: str, lang: str) -> Any:
    phone = size == "phone"
    ctx = browser.new_context(base_url=live.base_url, viewport=SIZES[size], is_mobile=phone,
                              has_touch=phone, locale=lang)
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: page.problems.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text else None)
    return page


def log_in(page: Any, lang: str, username: str) -> None:
    w = WORDS[lang]
    page.goto(f"/login?lang={lang}")
    page.get_by_label(w["user"]).fill(username)
    page.get_by_label(w["password"]).fill(PASSWORD)
    page.get_by_role("button", name=w["login"], exact=True).click()


def fits(page: Any, size: str) -> None:
    assert layout_problems(page, SIZES[size]["width"]) == []


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("tablet", "en")])
def test_reception_assigns_by_the_queue_and_the_consultant_sees_the_return(
        browser: Any, live: Live, shoot: Shooter, size: str, lang: str) -> None:
    w = WORDS[lang]
    for name in ("gu-a", "gu-b"):
        make_user(live.app, Role.sales, username=name)
    mobile_check_in(live, MOBILE, name="王芳")

    desk = new_page(browser, live, size, lang)
    log_in(desk, lang, make_user(live.app, Role.reception))
    desk.wait_for_url("**/reception")
    expect(desk.locator("#queue-list li")).to_have_count(2)
    expect(desk.locator("#assign-visit option")).to_contain_text("139****6666")
    desk.locator("#consultant-heading").scroll_into_view_if_needed()
    assert unlabelled(desk) == []
    fits(desk, size)
    shoot(desk, f"queue-{size}")

    desk.get_by_role("button", name=w["next"]).click()
    expect(desk.locator("#assign-alert")).to_contain_text(w["assigned"])
    expect(desk.locator("#today-list li")).to_contain_text(w["of_visit"])
    gu_b = desk.locator("#queue-list li").nth(1)
    gu_b.get_by_role("button", name=w["away"]).click()
    expect(desk.locator("#queue-list li").nth(1)).to_contain_text(w["away_tag"])
    expect(desk.locator("#queue-next")).to_contain_text(w["queue_next"])  # gu-b skipped today
    fits(desk, size)
    shoot(desk, f"assigned-{size}")

    live.clock.advance(hours=2)
    mobile_check_in(live, MOBILE)  # back, by mobile

    mine = new_page(browser, live, size, lang)
    log_in(mine, lang, "gu-a")
    mine.wait_for_url("**/consultant")  # the sales role lands on its own page
    expect(mine.get_by_role("heading", level=1)).to_contain_text(w["title"])
    expect(mine.locator("#returns li")).to_have_count(1)
    expect(mine.locator("#returns li")).to_contain_text(w["back"])
    expect(mine.locator("#assigned li")).to_have_count(1)
    assert MOBILE not in mine.content()
    fits(mine, size)
    shoot(mine, f"consultant-{size}")
    assert desk.problems == [] and mine.problems == []


REASSIGN_WORDS = {
    "zh-CN": {"up": "上移 gu-c", "reassign": "改派", "who": "改派给", "reason": "改派原因",
              "reason_text": "客户指定熟悉的顾问", "done": "已改派给 gu-c（原为 gu-a）",
              "queue_next": "下一位：gu-c", "of_visit": "置业顾问：gu-c"},
    "en": {"up": "Move gu-c up", "reassign": "Reassign", "who": "Reassign to",
           "reason": "Reason for reassigning",
           "reason_text": "The customer asked for their consultant",
           "done": "Reassigned to gu-c (was gu-a)", "queue_next": "Next: gu-c",
           "of_visit": "Consultant: gu-c"},
}


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("tablet", "en")])
def test_reception_moves_a_consultant_up_and_reassigns_a_visit_the_consultants_see_it_move(
        browser: Any, live: Live, shoot: Shooter, size: str, lang: str) -> None:
    w, r = WORDS[lang], REASSIGN_WORDS[lang]
    for name in ("gu-a", "gu-b", "gu-c"):
        make_user(live.app, Role.sales, username=name)
    mobile_check_in(live, MOBILE, name="王芳")

    desk = new_page(browser, live, size, lang)
    log_in(desk, lang, make_user(live.app, Role.reception))
    desk.wait_for_url("**/reception")
    expect(desk.locator("#queue-list li")).to_have_count(3)
    desk.get_by_role("button", name=w["next"]).click()  # gu-a takes the first turn
    expect(desk.locator("#assign-alert")).to_contain_text(w["assigned"])
    desk.get_by_role("button", name=r["up"]).click()  # a, c, b: gu-c is next after gu-a
    expect(desk.locator("#queue-list li").nth(1)).to_contain_text("gu-c")
    expect(desk.locator("#queue-next")).to_contain_text(r["queue_next"])

    expect(desk.locator("#reassign-visit option")).to_contain_text("139****6666")
    desk.get_by_label(r["who"]).select_option(label="gu-c")
    desk.get_by_label(r["reason"]).select_option(label=r["reason_text"])
    desk.locator("#reassign-heading").scroll_into_view_if_needed()
    assert unlabelled(desk) == []
    fits(desk, size)
    desk.get_by_role("button", name=r["reassign"], exact=True).click()
    expect(desk.locator("#reassign-alert")).to_contain_text(r["done"])
    expect(desk.locator("#today-list li")).to_contain_text(r["of_visit"])
    fits(desk, size)
    shoot(desk, f"reassigned-{size}")

    live.clock.advance(hours=2)
    mobile_check_in(live, MOBILE)  # back, by mobile: gu-c is told, gu-a no longer
    lost = new_page(browser, live, size, lang)
    log_in(lost, lang, "gu-a")
    lost.wait_for_url("**/consultant")
    expect(lost.locator("#assigned li")).to_have_count(0)
    expect(lost.locator("#returns li")).to_have_count(0)
    kept = new_page(browser, live, size, lang)
    log_in(kept, lang, "gu-c")
    kept.wait_for_url("**/consultant")
    expect(kept.locator("#assigned li")).to_have_count(1)
    expect(kept.locator("#returns li")).to_contain_text(w["back"])
    fits(kept, size)
    shoot(kept, f"reassigned-consultant-{size}")
    assert desk.problems == [] and lost.problems == [] and kept.problems == []
