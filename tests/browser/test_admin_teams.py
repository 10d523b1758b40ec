"""The admin's team editor (门店/团队) on /admin/channels in a real browser, on a phone (390×844,
touch, zh-CN) and a tablet (1024×768, en): add a store and a team under it, move an agent into
the team, be refused in words when deactivating the store that still holds them, rename the
team. Every step fits the screen; each change is audited once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import teams
from support.auth import PASSWORD, make_user
from support.browser import Shooter, unlabelled
from support.live import Live, live_server

from .test_admin import fits, log_in, new_page

WORDS = {"zh-CN": {"teams": "门店/团队", "name": "门店/团队名称", "parent": "上级",
                   "add": "新增门店/团队", "move": "移入", "edit": "改名或移动", "save": "保存",
                   "deactivate": "停用该门店/团队", "refused": "请先把他们移到别的门店/团队"},
         "en": {"teams": "Stores and teams", "name": "Store or team name", "parent": "Under",
                "add": "Add a store or team", "move": "Move", "edit": "Rename or move",
                "save": "Save", "deactivate": "Deactivate this store or team",
                "refused": "move them to another store or team first"}}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off",
                     session_cookie_secure=False) as server:
        yield server


def open_teams(page: Any) -> Any:
    box = page.locator("[data-channel] details.teams")
    if box.get_attribute("open") is None:
        box.locator("summary").first.click()
    return box


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("tablet", "en")])
def test_an_admin_builds_a_companys_stores_and_teams(
        browser: Any, live: Live, shoot: Shooter, size: str, lang: str) -> None:
    w = WORDS[lang]
    deps = live.app.deps
    channel = reg.create_channel("demo-office", ChannelKind.DISTRIBUTOR,
                                 "星河房产经纪有限公司（城东第二营业部）", deps).id
    agent = reg.add_agent(channel, "李雷", deps).id
    reg.add_agent(channel, "韩梅", deps)
    page = new_page(browser, live, size, lang)
    page.goto(f"/admin/channels?q={channel}&lang={lang}")
    log_in(page, make_user(live.app, Role.admin), PASSWORD, lang)
    page.wait_for_url("**/admin/channels*")

    box = open_teams(page)
    add = box.locator("form.add-team")
    add.get_by_label(w["name"]).fill("南京路店（旗舰店）")
    add.get_by_role("button", name=w["add"]).click()
    expect(page.locator("[data-team]")).to_have_count(1)
    box = open_teams(page)
    add = box.locator("form.add-team")
    add.get_by_label(w["name"]).fill("一组")
    add.get_by_label(w["parent"]).select_option(label="南京路店（旗舰店）")
    add.get_by_role("button", name=w["add"]).click()
    expect(page.locator("[data-team]")).to_have_count(2)
    expect(page.locator("[data-team] .team-label").nth(1)).to_have_text("南京路店（旗舰店） / 一组")

    box = open_teams(page)
    mover = box.locator(f"[data-agent-row='{agent}'] form.agent-team")
    mover.get_by_label("李雷").select_option(label="南京路店（旗舰店） / 一组")
    with page.expect_navigation():  # the page reloads with what the server stored
        mover.get_by_role("button", name=w["move"]).click()
    box = open_teams(page)
    expect(box.locator(f"[data-agent-row='{agent}'] select")).to_have_value(
        teams.channel_teams(channel, deps).teams[1].team.id)
    assert unlabelled(page) == []
    fits(page, size)
    shoot(page, f"teams-built-{size}-{lang}")

    group = box.locator("[data-team]").nth(1)
    group.locator("details.team-edit summary").click()
    group.get_by_role("button", name=w["deactivate"]).click()  # still holds 李雷
    expect(group.locator("[data-team-alert]")).to_contain_text(w["refused"])
    fits(page, size)
    shoot(page, f"teams-refused-{size}-{lang}")

    group.get_by_label(w["name"]).fill("冠军组")
    group.get_by_role("button", name=w["save"]).click()
    expect(page.locator("[data-team] .team-label").nth(1)).to_have_text(
        "南京路店（旗舰店） / 冠军组")
    open_teams(page)
    fits(page, size)
    shoot(page, f"teams-renamed-{size}-{lang}")

    with deps.uow() as uow:
        actions = [e.action for e in uow.audit.all()]
    assert actions.count("team_added") == 2 and actions.count("agent_moved") == 1
    assert actions.count("team_renamed") == 1 and "team_deactivated" not in actions
    assert page.problems == []
