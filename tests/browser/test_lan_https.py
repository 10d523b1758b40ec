"""A second machine on the office network, as Chromium sees it: `keyuan serve --host 0.0.0.0`
over HTTPS on this machine's non-loopback address, the office certificate trusted by its SPKI
hash (as an installed office CA would make it trusted; Chromium takes the leaf's hash — the
CA's is refused with ERR_CERT_AUTHORITY_INVALID, as the server sends the leaf alone), staff log
in through the form (the Secure session cookie is kept) and the kiosk opens the fake camera (a
secure context)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from support.auth import PASSWORD
from support.browser import CHROMIUM_FLAGS, Shooter
from support.devices import cli_pairing_url, open_pairing_url
from support.lan import keyuan_env, lan_server


def test_staff_log_in_and_the_kiosk_films_over_https_on_the_lan(
        playwright_driver: Any, chromium: Path, camera_y4m: Path, tmp_path: Path,
        shoot: Shooter) -> None:
    with lan_server(tmp_path, staff="office-admin", face=True) as server:
        browser = playwright_driver.chromium.launch(
            executable_path=str(chromium), headless=True,
            args=[*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream",
                  "--use-fake-ui-for-media-stream",
                  f"--use-file-for-fake-video-capture={camera_y4m}",
                  f"--ignore-certificate-errors-spki-list={server.spki}"])
        try:
            context = browser.new_context(base_url=server.base_url, locale="zh-CN",
                                          viewport={"width": 1024, "height": 768})
            context.set_default_timeout(30_000)
            page = context.new_page()
            _staff_login(page, server.base_url, shoot)
            assert {c["name"]: c["secure"] for c in context.cookies()}["keyuan_session"]
            context.close()

            kiosk = browser.new_context(base_url=server.base_url, locale="zh-CN",
                                        viewport={"width": 1024, "height": 768})
            kiosk.grant_permissions(["camera"], origin=server.base_url)
            kiosk.set_default_timeout(30_000)
            url = cli_pairing_url(server.base_url, keyuan_env(tmp_path, KEYUAN_DEMO="1"))
            open_pairing_url(kiosk, url)  # the tablet opens the admin's pairing QR URL
            _kiosk_films(kiosk.new_page(), shoot)
            kiosk.close()
        finally:
            browser.close()


def _staff_login(page: Any, base: str, shoot: Shooter) -> None:
    page.goto("/login?next=/admin/tls")
    assert page.evaluate("window.isSecureContext") is True
    page.get_by_label("用户名").fill("office-admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/admin/tls")  # not back at the login page: "页面已过期"
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    expect(page.locator("#ca-fingerprint")).to_contain_text(":")
    shoot(page, "lan-admin-tls")


def _kiosk_films(page: Any, shoot: Shooter) -> None:
    page.goto("/kiosk")
    assert page.evaluate("window.isSecureContext") is True
    page.get_by_role("button", name="刷脸登记").click()
    page.get_by_label("我同意本售楼处为记录到访和渠道判客的目的").check()
    page.get_by_label("我已年满 14 周岁").check()
    page.get_by_role("button", name="同意并开始拍摄").click()
    expect(page.get_by_role("heading", name="请看向摄像头")).to_be_visible()
    page.wait_for_function(
        "() => { const v = document.querySelector('#camera');"
        " return v && v.srcObject && v.videoWidth === 640 && v.videoHeight === 480; }")
    shoot(page, "lan-kiosk-camera")
