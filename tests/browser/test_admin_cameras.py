"""The cameras page in a real browser, as the admin, on a phone (390×844, touch) and at
1024×768: a camera without its lane is refused in words; a camera is added (its push key shown
once, the camera off until someone switches it on), its lane changed, its profile set (the
login typed is never shown back), switched off and on again, and why it does not run is said
in words. Every step fits the screen; screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from support.browser import Shooter, fits, staff_page, unlabelled
from support.live import Live, live_server

WORDS = {"zh-CN": {"add": "新增摄像头", "name": "摄像头名称", "lane": "刷脸通道位置",
                   "alternative": "不设摄像头的通道", "profile": "接入方式",
                   "refused": "请填写刷脸通道位置", "done": "我已记下", "set_lane": "修改通道",
                   "set_profile": "设置接入方式", "save": "保存", "user": "摄像头用户名",
                   "password": "摄像头密码", "dahua": "大华人脸检测事件",
                   "stored": "已保存（加密，不显示）", "off": "关闭", "on": "开启",
                   "gate": "未运行：告知海报尚未确认张贴", "is_off": "已关闭，不运行"},
         "en": {"add": "Add a camera", "name": "Camera name", "lane": "Where the face lane is",
                "alternative": "The way in with no camera", "profile": "Profile",
                "refused": "Give where the face lane is", "done": "I have noted it",
                "set_lane": "Change the lane", "set_profile": "Set the profile", "save": "Save",
                "user": "Camera user name", "password": "Camera password",
                "dahua": "Dahua face detection events", "stored": "Stored (encrypted, never shown)",
                "off": "Switch off", "on": "Switch on",
                "gate": "Not running: the notice poster is not confirmed",
                "is_off": "Switched off"}}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off",
                     session_cookie_secure=False) as server:
        yield server


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("tablet", "en")])
def test_an_admin_adds_and_sets_up_a_camera(
        browser: Any, live: Live, shoot: Shooter, size: str, lang: str) -> None:
    w = WORDS[lang]
    page = staff_page(browser, live, Role.admin, size=size, lang=lang, lands="/admin",
                      opens="/admin/cameras")
    assert unlabelled(page) == []
    fits(page, size)
    shoot(page, f"cameras-empty-{size}-{lang}")

    form = page.locator("#add-camera")
    form.get_by_label(w["name"]).fill("正门抓拍机")
    form.get_by_label(w["alternative"], exact=True).fill("正门右侧人工通道")
    form.get_by_role("button", name=w["add"]).click()  # no lane: refused in words
    expect(form.locator(".alert.bad")).to_contain_text(w["refused"])
    expect(form.get_by_label(w["name"])).to_have_value("正门抓拍机")
    form.get_by_label(w["lane"], exact=True).fill("正门左侧有标识的刷脸通道")
    form.get_by_label(w["profile"]).select_option("hikvision-isapi")
    form.get_by_role("button", name=w["add"]).click()
    token = page.locator("#camera-token-value")
    expect(token).to_be_visible()
    key = token.inner_text().strip()
    assert len(key) >= 40
    fits(page, size)
    shoot(page, f"cameras-token-{size}-{lang}")
    page.get_by_role("button", name=w["done"]).click()

    card = page.locator("[data-camera]")
    expect(card).to_have_count(1)
    expect(card.locator("[data-gate]")).to_have_text(w["is_off"])  # registered switched off
    card.get_by_role("button", name=w["on"], exact=True).click()
    expect(page.locator("[data-camera] [data-gate]")).to_have_text(w["gate"])
    assert key not in page.content()  # the key is never shown again
    card.locator("summary", has_text=w["set_lane"]).click()
    card.locator("form.lane-form").get_by_label(w["lane"], exact=True).fill("正门左侧第二通道")
    card.locator("form.lane-form").get_by_role("button", name=w["save"]).click()
    expect(page.locator("[data-camera] [data-lane]")).to_have_text("正门左侧第二通道")

    card = page.locator("[data-camera]")
    card.locator("summary", has_text=w["set_profile"]).click()
    profile = card.locator("form.profile-form")
    profile.get_by_label(w["profile"]).select_option("dahua")
    profile.get_by_label(w["user"]).fill("admin")
    profile.get_by_label(w["password"]).fill("cam-secret-Pa55")
    profile.get_by_role("button", name=w["save"]).click()
    expect(page.locator("[data-camera] [data-profile]")).to_have_text(w["dahua"])
    expect(page.locator("[data-camera] [data-login]")).to_have_text(w["stored"])
    assert "cam-secret-Pa55" not in page.content()

    page.locator("[data-camera]").get_by_role("button", name=w["off"], exact=True).click()
    expect(page.locator("[data-camera] [data-gate]")).to_have_text(w["is_off"])
    page.locator("[data-camera]").get_by_role("button", name=w["on"], exact=True).click()
    expect(page.locator("[data-camera] [data-enabled]")).to_have_attribute("data-enabled", "on")
    fits(page, size)
    shoot(page, f"cameras-set-up-{size}-{lang}")
    assert page.problems == []
