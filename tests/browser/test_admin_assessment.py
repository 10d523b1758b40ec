"""The impact assessment page in a real browser, as the admin, on a phone (390×844, touch) and
at 1024×768: from the admin workspace, the assessment is current; after a camera is switched on
it is stale and the page names the camera and its lane in words, with how a new one is
recorded. Fits the screen; screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from support.browser import Shooter, fits, staff_page
from support.live import Live, live_server

WORDS = {"zh-CN": {"current": "有效", "stale": "已过期", "camera": "摄像头“正门抓拍机”开启",
                   "on": "开启"},
         "en": {"current": "Current", "stale": "Stale",
                "camera": "Camera “正门抓拍机” switched on", "on": "Switch on"}}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=FakeEngine(FaceSettings()),
                     session_cookie_secure=False) as server:
        yield server


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("tablet", "en")])
def test_an_admin_sees_whether_the_assessment_covers_the_cameras(
        browser: Any, live: Live, shoot: Shooter, size: str, lang: str) -> None:
    w = WORDS[lang]
    page = staff_page(browser, live, Role.admin, size=size, lang=lang, lands="/admin",
                      opens="/admin/assessment")
    expect(page.locator("[data-pia]")).to_contain_text(w["current"])
    fits(page, size)
    shoot(page, f"assessment-current-{size}-{lang}")

    page.goto("/admin/cameras")
    form = page.locator("#add-camera")
    form.locator("[name=name]").fill("正门抓拍机")
    form.locator("[name=lane]").fill("正门左侧有标识的刷脸通道")
    form.locator("[name=alternative]").fill("正门右侧人工通道")
    form.locator("button[type=submit]").click()
    expect(page.locator("#camera-token")).to_be_visible()
    page.goto("/admin/cameras")  # a new camera is registered switched off: switch it on
    page.locator("[data-camera]").get_by_role("button", name=w["on"], exact=True).click()
    expect(page.locator("[data-camera] [data-enabled]")).to_have_attribute("data-enabled", "on")
    page.goto("/admin/assessment")
    expect(page.locator("[data-pia]")).to_contain_text(w["stale"])
    expect(page.locator("#pia-changes")).to_contain_text(w["camera"])
    expect(page.locator("code")).to_contain_text("keyuan pia record")
    fits(page, size)
    shoot(page, f"assessment-stale-{size}-{lang}")
    assert page.problems == []
