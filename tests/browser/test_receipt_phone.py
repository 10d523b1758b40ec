"""The receipt goes to the visitor's own phone (issue 16 item 5). At 1024×768 the kiosk's receipt
screen shows the 回执编号 in large type and a QR code — decoded from the screen, it is
`/me?receipt=CODE` on the server's address — and no button that opens /me on the shared tablet.
At 390×844 the visitor's phone opens that URL, finds the code filled in, gets the SMS code (the
outbox sender) and sees their data; the verify link answers 有效; a face-only visitor is told to
go to reception. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from support.browser import Shooter, unlabelled
from support.devices import pair_browser
from support.live import Live
from support.sequences import Shots

from .test_phone_size import PHONE, layout_problems

OFFICE = "demo-office"
MOBILE = "13800135021"
CODE = re.compile(r"KY-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


@pytest.fixture
def phone(browser: Any, live: Live) -> Iterator[Any]:
    """The visitor's own phone: a separate browser profile, touch, 390×844."""
    ctx = browser.new_context(base_url=live.base_url, viewport=PHONE, is_mobile=True,
                              has_touch=True, device_scale_factor=2, locale="zh-CN")
    ctx.set_default_timeout(20_000)
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


def decoded_qr(page: Any) -> str:
    """What the QR code on the screen holds, read from a screenshot of it."""
    png = page.locator("#receipt-qr").screenshot()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    image = cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    assert text, "no QR code could be read from the receipt screen"
    return str(text)


def kiosk_mobile_check_in(page: Any, live: Live) -> None:
    page.goto(f"/kiosk/{OFFICE}")
    page.get_by_role("button", name="手机号登记").click()
    page.get_by_label("手机号", exact=True).fill(MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-sent")).to_contain_text("138****5021")
    page.get_by_label("短信验证码").fill(live.last_code())
    page.get_by_label("我已阅读上方告知").check()
    page.get_by_role("button", name="完成登记").click()
    expect(page.get_by_role("heading", name="登记成功")).to_be_focused()


def test_the_kiosk_shows_the_code_and_a_qr_code_for_the_phone_which_opens_my_data(
    context: Any, page: Any, phone: Any, live: Live, shoot: Shooter,
) -> None:
    pair_browser(context, live)
    kiosk_mobile_check_in(page, live)

    code = page.locator("#receipt-code").inner_text().strip()
    assert CODE.fullmatch(code), code
    expect(page.locator("#receipt-code")).to_be_visible()
    assert float(page.locator("#receipt-code").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)")) >= 30  # large type
    expect(page.locator("#receipt-scan")).to_contain_text("用您自己的手机扫描二维码")
    page.wait_for_function("() => document.getElementById('receipt-qr').naturalWidth > 0")
    target = decoded_qr(page)
    assert target == f"{live.base_url}/me?receipt={code}"
    # nothing on the tablet opens the visitor's data; no long id or hex on screen
    assert page.locator("section[data-step='receipt'] a[href*='/me']").count() == 0
    assert not re.search(r"[0-9a-f]{32}", page.locator("#kiosk").inner_text())
    box = page.locator("section[data-step='receipt']").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1024
    shoot(page, "kiosk-receipt-1024x768")

    # the visitor scans it with their own phone
    live.clock.advance(seconds=60)
    phone.goto(target)
    expect(phone.get_by_label("回执编号", exact=True)).to_have_value(code)
    assert unlabelled(phone) == [] and layout_problems(phone) == []
    shoot(phone, "phone-me-prefilled-390x844")
    phone.get_by_role("button", name="发送验证码").tap()
    expect(phone.locator("#code-sent")).to_contain_text("138****5021")
    phone.get_by_label("6 位验证码", exact=True).fill(live.last_code())
    phone.get_by_role("button", name="查看我的数据").tap()
    expect(phone.get_by_role("heading", name="我们保存的您的信息")).to_be_visible()
    expect(phone.locator("#d-mobile")).to_have_text(MOBILE)
    assert layout_problems(phone) == []
    shoot(phone, "phone-my-data-390x844")


def test_a_typed_code_in_any_form_works_and_the_verify_link_says_valid(
    context: Any, page: Any, phone: Any, live: Live, shoot: Shooter,
) -> None:
    pair_browser(context, live)
    kiosk_mobile_check_in(page, live)
    code = page.locator("#receipt-code").inner_text().strip()
    printed = page.request.get(page.locator("#receipt-print").get_attribute("href"))
    verify = re.search(r'href="([^"]*/verify\?receipt=[^"]+)"', printed.text())
    assert verify is not None and code in printed.text()

    live.clock.advance(seconds=60)
    phone.goto("/me")
    phone.get_by_label("回执编号", exact=True).fill(code.replace("-", " ").lower())
    phone.get_by_role("button", name="发送验证码").tap()
    expect(phone.locator("#code-sent")).to_contain_text("138****5021")
    shoot(phone, "typed-lowercase-390x844")

    phone.goto(verify.group(1).replace("&amp;", "&"))
    expect(phone.get_by_role("heading", name="有效", exact=True)).to_be_visible()
    expect(phone.locator("#verify-result")).to_contain_text("这项同意目前有效")
    assert layout_problems(phone) == [] and unlabelled(phone) == []
    shoot(phone, "verify-valid-390x844")
    phone.get_by_label("回执编号", exact=True).fill("KY-00000-00000")
    phone.get_by_role("button", name="验证", exact=True).tap()
    expect(phone.locator("#verify-result")).to_contain_text("没有找到这个回执编号")
    shoot(phone, "verify-unknown-390x844")


def test_a_face_only_visitor_is_sent_to_reception_on_their_phone(
    phone: Any, live: Live, shoot: Shooter, camera_shots: Shots,
) -> None:
    deps = live.app.deps
    session, notice = kiosk_service.start_session(OFFICE, deps)
    consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
        session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True), deps)
    face_service.enroll_face(face_service.EnrollCmd(session.id, consent.id,
                                                    **camera_shots.cmd()), deps)
    with deps.uow() as uow:
        stored = uow.consents.get(consent.id)
        assert stored is not None
        code = f"KY-{stored.receipt_code[:5]}-{stored.receipt_code[5:]}"

    phone.goto(f"/me?receipt={code}")
    phone.get_by_role("button", name="发送验证码").tap()
    expect(phone.locator("#portal-msg")).to_contain_text("请凭回执编号到前台办理")
    assert layout_problems(phone) == []
    shoot(phone, "face-only-me-390x844")
    printed = phone.request.get(f"/api/receipts/{code}/print")
    assert "请凭回执编号" in printed.text() and "到前台办理" in printed.text()
