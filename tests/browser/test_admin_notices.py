"""The notices page in a real browser, as the admin, on a phone (390×844, touch) and at
1024×768: from the admin workspace to `/admin/notices`, a draft made from the notice in force
with a part left empty and a perpetual grant added shows what is wrong in words; publishing it
is refused in words and nothing changes; the mended draft passes the check and publishes as the
next version. Every step fits the screen; screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from keyuan.domain.accounts.model import Role
from support.browser import Shooter, fits, staff_page, unlabelled
from support.live import Live, live_server

WORDS = {"zh-CN": {"draft": "起草新版本", "save": "保存草稿", "publish": "发布",
                   "rights": "如何行使个人权利", "purpose": "处理目的",
                   "missing": "缺少“如何行使个人权利”", "grant": "永久",
                   "refused": "这份草稿还不能发布", "clean": "检查通过",
                   "in_force": "现行版本 第 {v} 版"},
         "en": {"draft": "Draft a new version", "save": "Save draft", "publish": "Publish",
                "rights": "How to exercise rights", "purpose": "Purpose",
                "missing": "“How to exercise rights” is missing", "grant": "perpetual",
                "refused": "This draft cannot be published yet", "clean": "The check passed",
                "in_force": "In force: version {v}"}}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off",
                     session_cookie_secure=False) as server:
        yield server


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh-CN"), ("tablet", "en")])
def test_an_admin_drafts_checks_and_publishes_a_notice(
        browser: Any, live: Live, shoot: Shooter, size: str, lang: str) -> None:
    w = WORDS[lang]
    page = staff_page(browser, live, Role.admin, size=size, lang=lang, lands="/admin",
                      opens="/admin/notices")
    section = page.locator(f"section[data-language='{lang}']")
    expect(section.locator("[data-state=active]")).to_contain_text(w["in_force"].format(v=1))
    assert unlabelled(page) == []
    fits(page, size)
    shoot(page, f"notices-{size}-{lang}")

    section.locator("details.new-draft summary").click()
    form = section.locator("form.draft-form")
    form.get_by_label(w["rights"], exact=True).fill("")
    purpose = form.get_by_label(w["purpose"], exact=True)
    purpose.fill(purpose.input_value() + ("，授权永久有效" if lang == "zh-CN"
                                          else " The licence is perpetual."))
    form.get_by_role("button", name=w["save"]).click()
    draft = page.locator(f"section[data-language='{lang}'] [data-state=draft]")
    expect(draft.locator("[data-lint]")).to_contain_text(w["missing"])
    expect(draft.locator("[data-lint] li[data-field=purpose]")).to_contain_text(w["grant"])
    fits(page, size)
    shoot(page, f"notices-lint-{size}-{lang}")

    page.once("dialog", lambda dialog: dialog.accept())
    draft.get_by_role("button", name=w["publish"], exact=True).click()
    expect(draft.locator(".alert.bad")).to_contain_text(w["refused"])
    expect(section.locator("[data-state=active]")).to_contain_text(w["in_force"].format(v=1))
    fits(page, size)
    shoot(page, f"notices-refused-{size}-{lang}")

    section.locator("details.new-draft summary").click()  # prefilled from the bad draft
    form.get_by_label(w["rights"], exact=True).fill("访问、复制、更正、删除、撤回：前台或 /me。"
                                                     if lang == "zh-CN" else
                                                     "Access, copy, correct, delete, withdraw: "
                                                     "at reception or on /me.")
    purpose.fill(purpose.input_value().replace("，授权永久有效", "")
                 .replace(" The licence is perpetual.", ""))
    form.get_by_role("button", name=w["save"]).click()
    clean = page.locator(f"section[data-language='{lang}'] [data-state=draft] [data-lint-clean]")
    expect(clean).to_contain_text(w["clean"])
    page.once("dialog", lambda dialog: dialog.accept())
    clean.locator("xpath=ancestor::div[@data-state='draft']").get_by_role(
        "button", name=w["publish"], exact=True).click()
    expect(section.locator("[data-state=active]")).to_contain_text(w["in_force"].format(v=3))
    fits(page, size)
    shoot(page, f"notices-published-{size}-{lang}")
    assert page.problems == []
