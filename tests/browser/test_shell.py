"""The pages' shell in a real browser: home in both languages, staff login through the form,
the navigation the policy allows, logout; and the fake camera really plays the test photo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from keyuan.domain.accounts.model import Role
from support.auth import PASSWORD, make_user
from support.browser import Shooter, unlabelled
from support.live import Live, live_server


def test_home_in_both_languages_and_login_round_trip(page: Any, live: Live,
                                                      shoot: Shooter) -> None:
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("link", name="员工 / 渠道登录").count() == 1
    shoot(page, "home-zh")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    shoot(page, "home-en")
    page.goto("/")  # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "en"

    name = make_user(live.app, Role.compliance)
    page.goto("/dashboard")  # a staff page → log in first, then back
    assert "/login" in page.url
    assert unlabelled(page) == []
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    shoot(page, "login")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    # back where they were going; compliance may not open it: a readable page, not JSON
    assert page.url.endswith("/dashboard")
    assert page.locator('[data-error="forbidden"]').count() == 1
    shoot(page, "after-login")
    page.goto("/")  # an account's home is its first page
    assert page.url.endswith("/compliance")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live.base_url + "/")


def test_fake_camera_plays_the_test_photo(page: Any, live: Live) -> None:
    page.goto("/")
    size = page.evaluate("""async () => {
      const stream = await navigator.mediaDevices.getUserMedia({video: true});
      const video = document.createElement('video');
      video.srcObject = stream; video.muted = true; await video.play();
      await new Promise(r => setTimeout(r, 300));
      const out = [video.videoWidth, video.videoHeight];
      stream.getTracks().forEach(t => t.stop());
      return out;
    }""")
    assert size == [640, 480]


def test_default_secure_cookies_work_for_make_run_on_loopback(browser: Any, tmp_path: Path,
                                                              shoot: Shooter) -> None:
    """`make run` serves plain HTTP on 127.0.0.1 with the default Secure session cookies: the
    browser treats loopback as a secure context, so staff can log in without changing settings."""
    with live_server(tmp_path / "default", engine=None, face_module="off") as server:
        assert server.app.settings.session_cookie_secure is True
        name = make_user(server.app, Role.manager)
        context = browser.new_context(base_url=server.base_url)
        try:
            page = context.new_page()
            page.goto("/login?next=/dashboard")
            page.get_by_label("用户名").fill(name)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(server.base_url + "/dashboard")
            assert page.get_by_role("button", name="退出登录").count() == 1
            shoot(page, "dashboard-default-settings")
            cookies = {c["name"]: c for c in context.cookies()}
            assert cookies["keyuan_session"]["secure"] and cookies["keyuan_session"]["httpOnly"]
            assert cookies["keyuan_session"]["sameSite"] == "Strict"
        finally:
            context.close()


def test_pages_run_under_a_strict_content_security_policy(context: Any, live: Live) -> None:
    """No inline script runs, nothing frames the pages, no Referer leaves with a receipt id;
    FastAPI's /docs (its UI comes from a CDN) is left without the policy."""
    raw = context.new_page()  # not the `page` fixture: this test provokes a violation
    response = raw.goto("/kiosk/demo-office")
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    ran = raw.evaluate("""() => { const s = document.createElement('script');
      s.textContent = 'window.__injected = true'; document.head.append(s);
      return window.__injected === true; }""")
    assert ran is False
    docs = raw.request.get(f"{live.base_url}/docs")
    assert docs.status == 200 and "content-security-policy" not in docs.headers
    assert docs.headers["referrer-policy"] == "no-referrer"
