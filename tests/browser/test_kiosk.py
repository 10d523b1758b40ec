"""The reception kiosk in a real browser, with the fake camera filming a public-set photo: the
face path (notice → equal choices → separate consent → live camera → receipt with QR → the same
person back by receipt code), the mobile path by keyboard alone, the decliner (never asked
again in the visit, nothing biometric kept; a "no" at the camera withdraws the tick), the
receipt's auto-reset, and English. A screenshot of every step is saved as a test artifact."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.receipt_code import parse_code
from support.browser import (
    Shooter,
    assert_timed_frames,
    posted_bodies,
    unlabelled,
)
from support.devices import pair_browser
from support.live import Live
from support.sequences import Shots

OFFICE = "demo-office"
MOBILE = "13800138000"


@pytest.fixture(autouse=True)
def tablet(context: Any, live: Live) -> None:
    """Each test's browser is a tablet paired the way an office pairs one: it opens the
    pairing URL of an admin's QR code and pairs (`support.devices.pair_browser`)."""
    pair_browser(context, live)


def receipt_id(page: Any) -> str:
    """The 回执编号 on the receipt screen (the long consent id is never shown)."""
    return str(page.locator("#receipt-code").inner_text()).strip()


def consent_on_screen(uow: Any, page: Any) -> Any:
    code = parse_code(receipt_id(page))
    assert code is not None
    return uow.consents.by_code(code)


def assert_qr_loaded(page: Any) -> None:
    page.wait_for_function(
        "() => { const q = document.getElementById('receipt-qr');"
        " return q.complete && q.naturalWidth > 0; }")
    href = page.locator("#receipt-print").get_attribute("href")
    assert page.request.get(href).status == 200


def tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab (only) until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_kiosk_face_path_end_to_end(page: Any, live: Live, shoot: Shooter) -> None:
    posts = posted_bodies(page, "face-enrollment", "return")
    page.goto("/kiosk")
    assert page.url.endswith(f"/kiosk/{OFFICE}")
    expect(page.get_by_role("heading", name="个人信息处理告知")).to_be_focused()
    assert unlabelled(page) == []
    shoot(page, "notice")
    page.get_by_text("阅读完整告知").click()
    expect(page.get_by_text("个人信息保护负责人", exact=True)).to_be_visible()
    shoot(page, "notice-full-text")

    # the two choices are equal: same size, same style (C2)
    face = page.get_by_role("button", name="刷脸登记")
    mobile = page.get_by_role("button", name="手机号登记")
    a, b = face.bounding_box(), mobile.bounding_box()
    assert (round(a["width"]), round(a["height"])) == (round(b["width"]), round(b["height"]))
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).fontSize, e.className]"
    assert face.evaluate(style) == mobile.evaluate(style)

    face.click()
    expect(page.get_by_role("heading", name="人脸识别单独同意")).to_be_focused()
    agree = page.get_by_label("我同意本售楼处为记录到访和渠道判客的目的")
    expect(agree).not_to_be_checked()  # unticked by default (C1)
    expect(page.get_by_label("我已年满 14 周岁")).not_to_be_checked()
    assert unlabelled(page) == []
    shoot(page, "consent")
    page.get_by_role("button", name="同意并开始拍摄").click()
    expect(page.get_by_role("alert")).to_contain_text("请先勾选同意")
    shoot(page, "consent-not-ticked")

    agree.check()
    page.get_by_label("我已年满 14 周岁").check()
    # the first verdicts of the quality gate say "face too small": the page says "move closer";
    # every later frame goes to the real gate
    too_small = {"n": 4}

    def gate(route: Any) -> None:
        if too_small["n"] > 0:
            too_small["n"] -= 1
            route.fulfill(status=200, content_type="application/json",
                          body='{"ok": false, "advice": "face_too_small"}')
        else:
            route.continue_()

    page.route("**/frame-check", gate)
    page.get_by_role("button", name="同意并开始拍摄").click()
    expect(page.get_by_role("heading", name="请看向摄像头")).to_be_visible()
    expect(page.locator("#advice")).to_have_text("请靠近一点", timeout=20_000)
    shoot(page, "camera-move-closer")
    heading = page.get_by_role("heading", name="登记成功")
    expect(heading).to_be_visible(timeout=45_000)
    expect(heading).to_be_focused()
    expect(page.locator("#receipt-visit")).to_contain_text("刷脸")
    expect(page.locator("#welcome-back")).to_be_hidden()  # a first visit
    assert_qr_loaded(page)
    # face only, no mobile on file: sent to reception with the code, no SMS code promised
    expect(page.locator("#receipt-reception")).to_contain_text("请凭此回执编号到前台办理")
    expect(page.locator("#receipt-keep")).to_be_hidden()
    shoot(page, "receipt")

    with live.app.deps.uow() as uow:
        visits = uow.visits.for_office(OFFICE)
        consent = consent_on_screen(uow, page)
        assert consent is not None and consent.scope is ConsentScope.FACE and consent.is_active
        assert [v.method.value for v in visits] == ["face_kiosk"]
        assert visits[0].person_id == consent.person_id
        assert uow.vault.has(consent.person_id) and uow.vault.count() == 1
    [enrolled] = posts["face-enrollment"]
    assert_timed_frames(enrolled["frames"], enrolled["frame_times_ms"])

    first_receipt = receipt_id(page)
    page.get_by_role("button", name="完成", exact=True).click()  # the next visitor
    expect(page.get_by_role("heading", name="个人信息处理告知")).to_be_focused()
    expect(page.get_by_role("button", name="刷脸登记")).to_be_visible()
    shoot(page, "next-visitor")

    # the same person comes back later (within KEYUAN_VISIT_REPEAT_SECONDS it would be the same
    # visit): receipt code, then the face, compared with hers only
    live.clock.advance(hours=3)
    page.get_by_role("button", name="我来过，已登记过刷脸").click()
    expect(page.get_by_role("heading", name="老访客刷脸登记")).to_be_focused()
    assert unlabelled(page) == []
    page.get_by_label("手机号或回执编号").fill(first_receipt)
    shoot(page, "return")
    page.get_by_role("button", name="开始拍摄").click()
    # every return asks the separate consent under the notice in force, before any comparison
    expect(page.get_by_role("heading", name="人脸识别单独同意")).to_be_focused()
    expect(page.locator("#consent-return")).to_be_visible()
    expect(page.locator("#consent-what")).to_be_hidden()
    page.get_by_label("我同意本售楼处为记录到访和渠道判客的目的").check()
    page.get_by_label("我已年满 14 周岁").check()
    page.get_by_role("button", name="同意并开始拍摄").click()
    expect(page.get_by_role("heading", name="登记成功")).to_be_visible(timeout=45_000)
    assert receipt_id(page) == first_receipt
    expect(page.locator("#welcome-back")).to_have_text("欢迎回来！这是您第 2 次到访本售楼处。")
    shoot(page, "return-receipt")
    with live.app.deps.uow() as uow:
        visits = uow.visits.for_office(OFFICE)
        assert [v.method.value for v in visits] == ["face_kiosk", "face_kiosk"]
        assert {v.person_id for v in visits} == {consent.person_id}
        assert uow.vault.count() == 1
    [returned] = posts["return"]
    assert_timed_frames(returned["frames"], returned["frame_times_ms"])


def test_kiosk_mobile_path_by_keyboard_only(page: Any, live: Live, shoot: Shooter) -> None:
    page.goto(f"/kiosk/{OFFICE}")
    expect(page.get_by_role("heading", name="个人信息处理告知")).to_be_focused()
    shoot(page, "notice")
    tab_to(page, "#choose-mobile")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="手机号登记")).to_be_focused()
    expect(page.locator("#sms-offline")).to_contain_text("演示/离线短信")  # the outbox in use
    assert unlabelled(page) == []
    shoot(page, "mobile")

    tab_to(page, "#mobile")
    page.keyboard.type(MOBILE)
    page.keyboard.press("Enter")  # submits the form: the code is sent
    expect(page.get_by_label("短信验证码")).to_be_focused()
    expect(page.locator("#code-sent")).to_contain_text("138****8000")
    expect(page.locator("#code-sent")).to_contain_text("已交给前台")
    assert unlabelled(page) == []
    shoot(page, "code-sent")

    page.keyboard.type(live.last_code())
    tab_to(page, "#phone-agree")
    page.keyboard.press("Space")
    expect(page.get_by_label("我已阅读上方告知")).to_be_checked()
    tab_to(page, "#phone-go")
    shoot(page, "code-typed")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="登记成功")).to_be_focused()
    expect(page.locator("#receipt-visit")).to_contain_text("手机号")
    assert_qr_loaded(page)
    expect(page.locator("#receipt-keep")).to_contain_text("短信验证码")
    expect(page.locator("#receipt-reception")).to_be_hidden()
    shoot(page, "receipt")

    with live.app.deps.uow() as uow:
        consent = consent_on_screen(uow, page)
        assert consent is not None and consent.scope is ConsentScope.PHONE
        assert [v.method.value for v in uow.visits.for_office(OFFICE)] == ["phone"]
        assert uow.vault.count() == 0

    tab_to(page, "#done")
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", name="个人信息处理告知")).to_be_focused()
    expect(page.get_by_label("手机号", exact=True)).to_have_value("")  # nothing left behind


def test_kiosk_decliner_is_never_asked_again_and_nothing_biometric_is_kept(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    page.clock.install()  # timers run as usual until fast-forwarded (the receipt's auto-reset)
    page.goto(f"/kiosk/{OFFICE}")
    page.get_by_role("button", name="刷脸登记").click()
    # under 14: face is refused (C5), the mobile path stays open
    page.get_by_label("我同意本售楼处为记录到访和渠道判客的目的").check()
    page.get_by_role("button", name="同意并开始拍摄").click()
    expect(page.get_by_role("alert")).to_contain_text("未满 14 周岁")
    shoot(page, "under-14-refused")
    page.get_by_label("我已年满 14 周岁").check()  # a second answer does not undo the first
    page.get_by_role("button", name="同意并开始拍摄").click()
    expect(page.get_by_role("alert")).to_contain_text("未满 14 周岁")
    expect(page.locator("#camera")).to_be_hidden()

    page.get_by_role("button", name="不用了，改用手机号").click()  # one tap, no reason asked
    expect(page.get_by_role("heading", name="手机号登记")).to_be_focused()
    shoot(page, "declined-mobile")
    page.get_by_role("button", name="返回").click()
    expect(page.get_by_role("heading", name="个人信息处理告知")).to_be_focused()
    expect(page.locator("#choose-face")).to_be_hidden()  # not offered again in this visit (C2)
    expect(page.get_by_text("本次到访不会再询问")).to_be_visible()
    assert unlabelled(page) == []
    shoot(page, "choices-after-decline")

    page.get_by_role("button", name="手机号登记").click()
    page.get_by_label("手机号", exact=True).fill("1380013800")  # one digit short
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("alert")).to_contain_text("11 位手机号")
    shoot(page, "invalid-mobile")
    page.get_by_label("手机号", exact=True).fill(MOBILE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_label("短信验证码")).to_be_focused()
    page.get_by_label("短信验证码").fill(live.last_code())
    page.get_by_label("我已阅读上方告知").check()
    page.get_by_role("button", name="完成登记").click()
    expect(page.get_by_role("heading", name="登记成功")).to_be_visible()
    shoot(page, "receipt")

    with live.app.deps.uow() as uow:
        consent = consent_on_screen(uow, page)
        assert consent is not None
        scopes = [c.scope for c in uow.consents.for_person(consent.person_id)]
        assert scopes == [ConsentScope.PHONE]  # no face consent was ever recorded
        assert uow.vault.count() == 0
        assert [v.method.value for v in uow.visits.for_office(OFFICE)] == ["phone"]

    # nobody taps "Done": the receipt clears itself for the next visitor after a minute
    expect(page.locator("#reset-note")).to_contain_text("60")
    page.clock.fast_forward("01:05")
    expect(page.get_by_role("heading", name="个人信息处理告知")).to_be_focused()
    expect(page.locator("#receipt-code")).not_to_be_visible()
    expect(page.get_by_role("button", name="刷脸登记")).to_be_visible()  # a new visit
    shoot(page, "auto-reset")


def consent_then_stall_at_the_camera(page: Any) -> None:
    """Face consent given, camera on, and the face never gets close enough to enroll."""
    page.route("**/frame-check", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body='{"ok": false, "advice": "face_too_small"}'))
    page.goto(f"/kiosk/{OFFICE}")
    page.get_by_role("button", name="刷脸登记").click()
    page.get_by_label("我同意本售楼处为记录到访和渠道判客的目的").check()
    page.get_by_label("我已年满 14 周岁").check()
    page.get_by_role("button", name="同意并开始拍摄").click()
    expect(page.locator("#advice")).to_have_text("请靠近一点", timeout=20_000)


def test_kiosk_no_at_the_camera_withdraws_the_consent_just_given(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    consent_then_stall_at_the_camera(page)
    with page.expect_response("**/withdraw") as withdrawal:
        page.get_by_role("button", name="不用了，改用手机号").click()
    assert withdrawal.value.status == 200
    expect(page.get_by_role("heading", name="手机号登记")).to_be_focused()
    expect(page.locator("#choose-face")).to_be_hidden()
    shoot(page, "declined-at-camera")
    with live.app.deps.uow() as uow:
        given = [e.detail["consent"] for e in uow.audit.all() if e.action == "consent_given"]
        assert len(given) == 1
        consent = uow.consents.get(given[0])
        assert consent is not None and consent.scope is ConsentScope.FACE
        assert not consent.is_active  # the "no" wins over the tick
        assert uow.vault.count() == 0 and uow.visits.for_office(OFFICE) == []


def test_kiosk_in_english(page: Any, live: Live, shoot: Shooter) -> None:
    page.clock.install()
    page.goto("/kiosk?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.get_by_role("heading", name="How we handle your personal information")
           ).to_be_focused()
    expect(page.get_by_role("button", name="Face check-in")).to_be_visible()
    shoot(page, "notice-en")
    page.get_by_role("button", name="Face check-in").click()
    expect(page.get_by_label("I am 14 or older")).not_to_be_checked()
    assert unlabelled(page) == []
    shoot(page, "consent-en")
    page.get_by_role("button", name="No thanks, use my mobile").click()
    page.get_by_label("Mobile number", exact=True).fill("12345")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("alert")).to_contain_text("valid 11-digit mobile number")
    shoot(page, "mobile-en")

    # the visitor walks away: after two idle minutes the screen is cleared for the next one
    page.clock.fast_forward("02:10")
    expect(page.get_by_role("heading", name="How we handle your personal information")
           ).to_be_focused()
    expect(page.get_by_label("Mobile number", exact=True)).to_have_value("")
    expect(page.get_by_role("button", name="Face check-in")).to_be_visible()  # a new visit
    shoot(page, "idle-reset-en")


def test_kiosk_withdraws_a_face_consent_left_unused_by_a_visitor_who_walked_away(
        page: Any, live: Live, shoot: Shooter) -> None:
    page.clock.install()
    consent_then_stall_at_the_camera(page)
    with page.expect_response("**/withdraw") as withdrawal:
        page.clock.fast_forward("02:10")  # walked away: the idle reset clears the screen
    assert withdrawal.value.status == 200
    expect(page.get_by_role("button", name="刷脸登记")).to_be_visible()  # the next visitor
    shoot(page, "walked-away-reset")
    with live.app.deps.uow() as uow:
        given = [e.detail["consent"] for e in uow.audit.all() if e.action == "consent_given"]
        assert len(given) == 1
        consent = uow.consents.get(given[0])
        assert consent is not None and not consent.is_active
        assert uow.vault.count() == 0


def test_c1_the_kiosk_asks_a_returning_visitor_for_consent_again(
    page: Any, live: Live, shoot: Shooter, camera_shots: Shots,
) -> None:
    """Her consent was given under a notice that did not name the return visit: the kiosk shows
    the separate, unticked consent step (as it does for every return, so showing it tells
    nobody anything), records it as a renewal, and only then compares her face 1:1."""
    from keyuan.domain.checkin.notice import Notice
    from keyuan.services.checkin import face as face_service
    from keyuan.services.checkin import kiosk as kiosk_service

    deps = live.app.deps
    session, notice = kiosk_service.start_session(OFFICE, deps)
    consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
        session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True), deps)
    face_service.enroll_face(face_service.EnrollCmd(session.id, consent.id,
                                                    **camera_shots.cmd()), deps)
    with deps.uow() as uow:  # as if she had agreed under an earlier notice without it
        earlier = uow.notices.add(Notice(OFFICE, "zh-CN", content_hash="e" * 64, version=0,
                                         face_uses=[FaceUse.ENROLLMENT_DEDUP.value]))
        stored = uow.consents.get(consent.id)
        assert stored is not None
        stored.notice_hash = earlier.content_hash
        uow.commit()
    live.clock.advance(hours=3)

    page.goto(f"/kiosk/{OFFICE}")
    page.get_by_role("button", name="我来过，已登记过刷脸").click()
    page.get_by_label("手机号或回执编号").fill(consent.id)
    page.get_by_role("button", name="开始拍摄").click()
    expect(page.get_by_role("heading", name="人脸识别单独同意")).to_be_visible()
    expect(page.locator("#consent-return")).to_be_visible()
    agree = page.get_by_label("我同意本售楼处为记录到访和渠道判客的目的")
    expect(agree).not_to_be_checked()  # asked again, never pre-ticked (C1)
    shoot(page, "asked-again")
    agree.check()
    page.get_by_label("我已年满 14 周岁").check()
    page.get_by_role("button", name="同意并开始拍摄").click()
    expect(page.get_by_role("heading", name="登记成功")).to_be_visible(timeout=45_000)
    shoot(page, "renewed-receipt")
    with deps.uow() as uow:
        now_held = consent_on_screen(uow, page)
        assert now_held is not None and now_held.id != consent.id
        assert now_held.notice_hash == notice.content_hash and now_held.is_active
        assert [v.method.value for v in uow.visits.for_office(OFFICE)] == ["face_kiosk"] * 2


def test_an_unknown_mobile_and_a_known_one_without_a_face_check_in_look_the_same_at_the_kiosk(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    """"I have been here before" with a number nobody holds and with the number of a mobile-only
    visitor: the same consent step, the same camera, then the same words on the mobile path."""
    from keyuan.services.checkin import kiosk as kiosk_service
    from keyuan.services.checkin import phone as phone_service

    deps = live.app.deps
    session, notice = kiosk_service.start_session(OFFICE, deps)
    phone_service.request_code(session.id, MOBILE, deps)
    code = live.last_code()
    phone_service.phone_check_in(phone_service.PhoneCheckInCmd(
        session.id, MOBILE, code, notice.content_hash, agree=True), deps)
    live.clock.advance(hours=3)

    page.goto(f"/kiosk/{OFFICE}")
    seen = []
    for number in ("13900139000", MOBILE):
        page.get_by_role("button", name="我来过，已登记过刷脸").click()
        page.get_by_label("手机号或回执编号").fill(number)
        page.get_by_role("button", name="开始拍摄").click()
        expect(page.locator("#consent-return")).to_be_visible()
        page.get_by_label("我同意本售楼处为记录到访和渠道判客的目的").check()
        page.get_by_label("我已年满 14 周岁").check()
        with page.expect_response("**/return") as answer:
            page.get_by_role("button", name="同意并开始拍摄").click()
        expect(page.get_by_role("heading", name="手机号登记")).to_be_visible(timeout=45_000)
        alert = page.locator("#kiosk-alert")
        expect(alert).to_contain_text("未能确认您的刷脸登记")
        expect(page.get_by_label("手机号", exact=True)).to_have_value(number)  # no retyping
        seen.append((answer.value.status, answer.value.json(), alert.inner_text()))
        shoot(page, f"return-unverified-{len(seen)}")
        page.get_by_role("button", name="返回").click()
    assert seen[0] == seen[1]


def test_a_mistyped_mobile_or_receipt_number_is_named_in_words(
    page: Any, live: Live, shoot: Shooter,
) -> None:
    """"I have been here before" with a typo: the kiosk says what is wrong (how many digits,
    which characters), in the visitor's language, and sends nothing."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/return" in r.url else None)
    page.goto(f"/kiosk/{OFFICE}")
    page.get_by_role("button", name="我来过，已登记过刷脸").click()
    who = page.get_by_label("手机号或回执编号")
    for typed, words in (("0123456789abcdef0123456789abcde", "您输入了 31 个字符"),
                         ("1380013800", "11 位数字，您输入了 10 位"),
                         ("KY-7F3KQ-9Q2M#", "不会有这些字符：#"),
                         ("23800138000", "13–19 开头")):
        who.fill(typed)
        page.get_by_role("button", name="开始拍摄").click()
        expect(page.get_by_role("alert")).to_contain_text(words)
        expect(page.get_by_role("heading", name="老访客刷脸登记")).to_be_visible()
    shoot(page, "mistyped")
    who.fill("138 0013 8000")  # spaces are fine: on to the consent step
    page.get_by_role("button", name="开始拍摄").click()
    expect(page.get_by_role("heading", name="人脸识别单独同意")).to_be_focused()
    assert sent == []

    page.goto(f"/kiosk/{OFFICE}?lang=en")
    page.get_by_role("button", name="I have been here before and checked in by face").click()
    page.get_by_label("Mobile number or receipt code").fill("0123456789abcdef")
    page.get_by_role("button", name="Start the camera").click()
    expect(page.get_by_role("alert")).to_contain_text("you typed 16 characters")
    shoot(page, "mistyped-en")
