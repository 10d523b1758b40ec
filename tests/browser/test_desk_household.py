"""The signing desk with several buyers (主购人 + 共同购房人) in a real browser, at 1024×768 and
on a phone (390×844): the wife checked in alone by phone, a distributor then registered the
husband and escorted him; the desk signs the husband as main buyer and adds the wife as a
co-buyer row (rows added and removed), runs the face check for the wife only under her own
answer while the husband signs by ID number and mobile, and the card shows both buyers and that
the wife's visit decided: a natural visit. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.attribution import signing as signing_svc
from support import auth
from support.auth import make_user
from support.browser import Shooter, layout_problems, unlabelled
from support.live import Live, mobile_check_in

from .test_desk import chip_photo, log_in

OFFICE = "demo-office"
HUSBAND, WIFE = "13912340001", "13912340002"
HUSBAND_ID = "31010419850611202" + check_digit("31010419850611202")
WIFE_ID = "31010419870305104" + check_digit("31010419870305104")


def wife_first(live: Live) -> None:
    """李娜 checks in alone by phone; a day later 某某分销 registers her husband 张伟 and
    reception confirms his escorted visit; the desk signs a day after that."""
    mobile_check_in(live, WIFE, name="李娜")
    live.clock.advance(days=1)
    with auth.client(live.base_url, live.app, Role.manager) as manager:
        channel = manager.post(f"/api/offices/{OFFICE}/channels", json={
            "kind": "distributor", "name": "某某分销"}).json()["channel_id"]
        with auth.client(live.base_url, live.app, Role.distributor, channel=channel) as company:
            claim = company.post(f"/api/channels/{channel}/registrations",
                                 json={"customer_name": "张伟", "mobile": HUSBAND})
            assert claim.status_code == 201, claim.text
        live.clock.advance(hours=1)
        escorted = manager.post(f"/api/registrations/{claim.json()['registration_id']}/"
                                "visit-confirmation", json={"mobile": HUSBAND})
        assert escorted.status_code == 201, escorted.text
    live.clock.advance(days=1)


def fill_household(page: Any, shoot: Shooter, tap: bool = False) -> None:
    press = (lambda loc: loc.tap()) if tap else (lambda loc: loc.click())
    page.get_by_label("身份证号码").first.fill(HUSBAND_ID)
    page.get_by_label("买受人姓名").fill("张伟")
    page.get_by_label("手机号码").first.fill(HUSBAND)
    page.get_by_label("合同总价（元）").fill("2,600,000")
    add = page.get_by_role("button", name="添加共同购房人")
    press(add)
    press(add)
    rows = page.locator("#co-buyer-list li")
    expect(rows).to_have_count(2)
    press(page.get_by_role("button", name="移除共同购房人 1"))  # a row added by mistake
    expect(rows).to_have_count(1)
    wife = rows.first
    expect(wife.locator("legend")).to_have_text("共同购房人 1")  # renumbered
    wife.get_by_label("姓名").fill("李娜")
    wife.get_by_label("身份证号码").fill(WIFE_ID[:17] + ("0" if WIFE_ID[17] != "0" else "1"))
    expect(wife.locator(".co-id-status")).to_have_text("校验码不正确（GB 11643），请核对证件。")
    wife.get_by_label("身份证号码").fill(WIFE_ID)
    expect(wife.locator(".co-id-status")).to_have_text("校验码正确。")
    wife.get_by_label("手机号码").fill(WIFE)
    wife.get_by_label("与主购人关系（可选）").select_option("spouse")
    assert unlabelled(page) == []
    shoot(page, "household-rows")


def test_the_desk_signs_a_household_with_the_wifes_face_and_her_visit_decides(
    page: Any, live: Live, shoot: Shooter, camera_photo: tuple[str, Path], tmp_path: Path,
) -> None:
    wife_first(live)
    page.goto("/desk/signing?lang=zh-CN")
    log_in(page, make_user(live.app, Role.signing))
    page.wait_for_url("**/desk/signing*")
    fill_household(page, shoot)

    # the face check is the wife's: her own answer, for her ID number; the husband's path is
    # ID number + mobile
    page.get_by_label("人脸核验对象").select_option(label="共同购房人 1")
    page.get_by_role("button", name="买受人同意人脸核验").click()
    expect(page.locator("#desk-consent-status")).to_contain_text("买受人已同意（已记录）")
    page.get_by_role("button", name="打开摄像头").click()
    page.get_by_role("button", name="拍照").click()
    expect(page.locator("#capture-status")).to_have_text("已拍 3 张（只在本页内存中）。")
    page.get_by_label("身份证芯片照片（读卡器导出，可选）").set_input_files(
        str(chip_photo(camera_photo, tmp_path)))
    shoot(page, "household-face-for-co-buyer")
    page.get_by_role("button", name="提交签约并判客").click()

    page.wait_for_url("**/desk/signing/*", timeout=60_000)
    card = page.locator("#desk-card")
    expect(card.locator("#card-decision")).to_have_text("自然到访（无渠道）")
    expect(card.locator("#card-decided-by")).to_have_text("共同购房人 1的到访")
    buyers = card.locator("#card-buyers tbody tr")
    expect(buyers).to_have_count(2)
    expect(buyers.nth(0)).to_contain_text("主购人")
    expect(buyers.nth(0)).to_contain_text("未进行")
    expect(buyers.nth(1)).to_contain_text("共同购房人 1 · 配偶")
    expect(buyers.nth(1)).to_contain_text("决定判客")
    expect(buyers.nth(1)).to_contain_text("通过")
    expect(card.locator("#card-evidence")).to_contain_text("共同购房人 1：")
    expect(card.locator("#card-registrations")).to_contain_text("报备前已到访过（老客户）")
    assert "distance" not in page.content() and "score" not in page.content()
    assert unlabelled(page) == []
    shoot(page, "household-card")
    signing_id = page.url.rsplit("/", 1)[1]
    signed = signing_svc.get_signing(signing_id, live.app.deps)
    assert [(b.label, b.id_photo_passed) for b in signed.buyers] == [("main", None),
                                                                     ("co1", True)]
    page.goto(f"/desk/signing/{signing_id}?lang=en")
    expect(page.locator("#card-decided-by")).to_have_text("the visit of Co-buyer 1")
    shoot(page, "household-card-en")


def test_the_household_desk_fits_a_phone_and_names_the_co_buyer_in_errors(
    phone_page: Any, live: Live, shoot: Shooter,
) -> None:
    page = phone_page
    wife_first(live)
    page.goto("/desk/signing?lang=zh-CN")
    log_in(page, make_user(live.app, Role.signing))
    page.wait_for_url("**/desk/signing*")
    fill_household(page, shoot, tap=True)
    rows = page.locator("#co-buyer-list li")
    rows.first.get_by_label("手机号码").fill(HUSBAND)  # the same person twice: the server says
    page.get_by_role("button", name="提交签约并判客").tap()
    expect(page.locator("#desk-alert")).to_have_text(
        "共同购房人 1：同一人被填写了两次（身份证号码或手机号码相同），每位买受人只填一次。")
    rows.first.get_by_label("手机号码").fill("1391234")  # wrong: named by role
    page.get_by_role("button", name="提交签约并判客").tap()
    expect(page.locator("#desk-alert")).to_have_text("共同购房人 1：手机号码应为 11 位数字。")
    assert layout_problems(page) == []
    shoot(page, "household-phone-error")
    rows.first.get_by_label("手机号码").fill(WIFE)
    page.get_by_role("button", name="提交签约并判客").tap()  # both by ID number and mobile

    page.wait_for_url("**/desk/signing/*", timeout=60_000)
    expect(page.locator("#card-decided-by")).to_have_text("共同购房人 1的到访")
    expect(page.locator("#card-buyers tbody tr")).to_have_count(2)
    assert layout_problems(page) == []
    shoot(page, "household-phone-card")
