"""活体检测 at the kiosk in a real browser (issue 18 item 2), with the office asking for the
challenge (`liveness.challenge_required`) and the challenge's steps fixed through the test
server's dependencies (`bootstrap.build(challenge_steps=…)`, never a setting): the kiosk
announces each movement in an aria-live region with its progress bar, sends the sequence with
the challenge's id, each frame's time and step; a still photo held to the camera is refused
by the server (real YuNet landmarks, real engine) and the visitor lands on the mobile path with
the reason in words — never a weaker face check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from keyuan.domain.checkin.liveness import Step
from keyuan.services.faces.engine import FaceEngine
from support.browser import CHROMIUM_FLAGS, letterbox, posted_bodies, write_y4m
from support.devices import pair_browser
from support.live import Live, live_server

OFFICE = "demo-office"
STEPS = (Step.TURN_LEFT, Step.LOOK_UP, Step.TURN_RIGHT)


@pytest.fixture
def live(tmp_path: Path, face_engine: FaceEngine) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=face_engine, session_cookie_secure=False,
                     liveness={"challenge_required": True},
                     challenge_steps=lambda: STEPS) as server:
        yield server


@pytest.fixture
def still_camera(playwright_driver: Any, chromium: Path, camera_photo: tuple[str, Path],
                 tmp_path: Path) -> Iterator[Any]:
    """A browser whose camera films one still photo (the attack the challenge must refuse)."""
    clip = write_y4m([letterbox(Image.open(camera_photo[1]))], tmp_path / "still.y4m", hold=8)
    launched = playwright_driver.chromium.launch(
        executable_path=str(chromium), headless=True,
        args=[*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream",
              "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={clip}"])
    try:
        yield launched
    finally:
        launched.close()


def test_a_still_photo_follows_no_prompt_and_the_visitor_goes_the_mobile_way(
        still_camera: Any, live: Live) -> None:
    context = still_camera.new_context(base_url=live.base_url, locale="zh-CN",
                                       viewport={"width": 1024, "height": 768})
    context.grant_permissions(["camera"], origin=live.base_url)
    context.set_default_timeout(30_000)
    pair_browser(context, live)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    posts = posted_bodies(page, "return")
    page.goto(f"/kiosk/{OFFICE}")
    page.get_by_role("button", name="我来过，已登记过刷脸").click()
    page.get_by_label("手机号或回执编号").fill("13900139000")
    page.get_by_role("button", name="开始拍摄").click()
    page.get_by_label("我同意本售楼处为记录到访和渠道判客的目的").check()
    page.get_by_label("我已年满 14 周岁").check()
    page.get_by_role("button", name="同意并开始拍摄").click()

    prompt = page.locator("#liveness .liveness-prompt")
    expect(prompt).to_have_attribute("aria-live", "assertive")
    expect(prompt).to_have_text("第 1 步，共 3 步：转向左边", timeout=15_000)
    expect(page.locator("#liveness progress")).to_have_count(3)
    expect(prompt).to_have_text("第 2 步，共 3 步：抬头", timeout=10_000)
    expect(page.get_by_role("heading", name="手机号登记")).to_be_visible(timeout=45_000)
    expect(page.locator("#kiosk-alert")).to_contain_text("未通过活体检测")
    expect(page.locator("#kiosk-alert")).to_contain_text("手机号登记")
    expect(page.get_by_label("手机号", exact=True)).to_have_value("13900139000")
    sent = posts["return"][-1]
    assert len(sent["frames"]) == 10 == len(sent["frame_times_ms"]) == len(sent["frame_steps"])
    assert sent["frame_steps"] == [None, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert sent["challenge_id"]
    assert errors == []
    context.close()
