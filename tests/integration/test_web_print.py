"""The printable pages speak from the string catalog: zh-CN by default, English with ?lang=en
(or --lang en on the CLI), a language link on the served pages, and no Chinese left in the
English output except the data the test itself put there. The old rights portal hands over
to /me."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import typer
from markupsafe import escape
from typer.testing import CliRunner

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.cli.compliance import filing_cli, inspect_command
from keyuan.config.face import FaceSettings
from support import auth
from support.devices import kiosk_client
from support.live import Live, live_server

if TYPE_CHECKING:
    from .conftest import Kiosk

HAN = re.compile(r"[\u4e00-\u9fff]")
ZH_TAGGED = re.compile(r'<(span|a)\b[^>]*\blang="zh-CN"[^>]*>.*?</\1>', re.S)
SVG = re.compile(r"<svg.*?</svg>", re.S)
MOBILE = "13800138123"


def leaves(data: Any) -> list[str]:
    """Every string in a JSON document: the data values a page may show as they are."""
    if isinstance(data, dict):
        return [s for v in data.values() for s in leaves(v)]
    if isinstance(data, list):
        return [s for v in data for s in leaves(v)]
    return [data] if isinstance(data, str) else []


def chinese_left(page: str, *data: Any) -> list[str]:
    """Han characters in an English page once the zh-CN-tagged parts (the language link, the
    receipt's second language), QR codes and the given data values are taken out."""
    text = SVG.sub("", ZH_TAGGED.sub("", page))
    for value in sorted({s for d in data for s in leaves(d)}, key=len, reverse=True):
        text = text.replace(str(escape(value)), "").replace(value, "")
    return [line for line in text.splitlines() if HAN.search(line)]


def assert_languages(zh: httpx.Response, en: httpx.Response, zh_label: str, en_label: str,
                     *data: Any, bilingual: bool = False) -> None:
    assert zh.status_code == 200 and en.status_code == 200, (zh.text, en.text)
    assert '<html lang="zh-CN">' in zh.text and zh_label in zh.text
    assert '<html lang="en">' in en.text and en_label in en.text
    assert (en_label in zh.text) is bilingual  # only the receipt carries both languages
    assert chinese_left(en.text, *data) == []


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("print"), engine=FakeEngine(FaceSettings())) as s:
        yield s


@pytest.fixture(scope="module")
def receipt_id(live: Live) -> str:
    """A phone check-in: its receipt opens the rights pages by a code to the mobile."""
    with kiosk_client(live, timeout=30) as http:
        session = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
        sid = session["session_id"]
        http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": MOBILE})
        visit = http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
            "mobile": MOBILE, "code": live.last_code(), "agree": True,
            "notice_hash": session["notice"]["content_hash"]}).json()
    return str(visit["receipt"]["receipt_id"])


def test_the_receipt_prints_in_both_languages_the_visitors_first(
        live: Live, receipt_id: str) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        zh = http.get(f"/api/receipts/{receipt_id}/print")
        en = http.get(f"/api/receipts/{receipt_id}/print?lang=en")
        signed = http.get(f"/api/receipts/{receipt_id}/signed").json()

    assert_languages(zh, en, "回执编号", "Receipt code", signed, bilingual=True)
    # bilingual: the other language follows each label, tagged with its language
    assert '回执编号<span class="alt" lang="en">Receipt code</span>' in zh.text
    assert 'Receipt code<span class="alt" lang="zh-CN">回执编号</span>' in en.text
    assert "(Beijing time)" in en.text and "（北京时间）" in zh.text
    assert f'href="/api/receipts/{receipt_id}/print?lang=en"' in zh.text
    assert f'href="/api/receipts/{receipt_id}/print?lang=zh-CN"' in en.text


def test_the_poster_in_both_languages_points_to_me(live: Live) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        zh = http.get("/api/offices/demo-office/poster")
        en = http.get("/api/offices/demo-office/poster?lang=en")
    with live.app.deps.uow() as uow:
        office = uow.offices.get("demo-office")
        notice = uow.notices.active("demo-office", "en")  # the English poster shows it
    assert office is not None and notice is not None

    assert_languages(zh, en, "本告示仅为告知，不构成您的同意。",
                     "This sign informs you; it is never your consent.", notice.content(),
                     office.name, office.legal_entity)
    assert notice.purpose in en.text  # data values stay as they are
    assert f"{live.base_url}/me<" in zh.text and f"{live.base_url}/me?lang=en<" in en.text
    assert "/api/rights/portal" not in zh.text + en.text


def test_the_readable_copy_of_my_data_in_both_languages(live: Live, receipt_id: str) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        assert http.post("/api/rights/code", json={"receipt_id": receipt_id}).status_code == 202
        code = re.search(r"\d{6}", live.sender.sent[-1][1]).group(0)  # type: ignore[union-attr]
        token = http.post("/api/rights/verify", json={"receipt_id": receipt_id,
                                                      "code": code}).json()["token"]
        headers = {"X-Rights-Token": token}
        zh = http.get("/api/rights/me/export.html", headers=headers)
        en = http.get("/api/rights/me/export.html?lang=en", headers=headers)
        data = http.get("/api/rights/me/export", headers=headers).json()

    assert_languages(zh, en, "我的个人信息副本", "A copy of my personal information", data)
    assert MOBILE in en.text and "Mobile check-in" in en.text  # scope in words
    assert 'class="lang"' not in zh.text  # a link would lose the token header


def test_the_inspection_report_and_filing_pack_in_both_languages(live: Live) -> None:
    with auth.client(live.base_url, live.app, "compliance") as http:
        zh = http.get("/api/compliance/inspection.html")
        en = http.get("/api/compliance/inspection.html?lang=en")
        entity = http.get("/api/compliance/filing").json()[0]["legal_entity"]
        pack_zh = http.get(f"/api/compliance/filing/{entity}/pack.html")
        pack_en = http.get(f"/api/compliance/filing/{entity}/pack.html?lang=en")
        pack = http.get(f"/api/compliance/filing/{entity}/pack").json()

    assert_languages(zh, en, "人脸特征库合规检查报告", "Result", {})
    assert "PASS" in en.text and "合格" in zh.text
    assert_languages(pack_zh, pack_en, "一、基本情况", "1. Basic information", pack)
    assert 'class="lang"' in en.text and 'class="lang"' in pack_en.text


def test_the_old_rights_portal_redirects_to_me(live: Live) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        plain = http.get("/api/rights/portal")
        kept = http.get("/api/rights/portal?receipt=abcd1234&lang=en")
        landed = http.get("/api/rights/portal?lang=en", follow_redirects=True)

    assert plain.status_code == 307 and plain.headers["location"] == f"{live.base_url}/me"
    assert kept.headers["location"] == f"{live.base_url}/me?receipt=abcd1234&lang=en"
    assert landed.status_code == 200 and landed.url.path == "/me"
    assert '<html lang="en"' in landed.text


def _cli(kiosk: Kiosk) -> tuple[typer.Typer, dict[str, str]]:
    app = typer.Typer()
    app.command("inspect")(inspect_command)
    app.add_typer(filing_cli, name="filing")
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key}
    return app, env


def test_the_cli_prints_the_pages_in_the_language_asked(kiosk: Kiosk) -> None:
    app, env = _cli(kiosk)
    run = CliRunner().invoke

    zh = run(app, ["inspect", "--html"], env=env)
    en = run(app, ["inspect", "--html", "--lang", "en"], env=env)
    wrong = run(app, ["inspect", "--html", "--lang", "fr"], env=env)

    assert zh.exit_code == 0 and '<html lang="zh-CN">' in zh.output and "合格" in zh.output
    assert en.exit_code == 0 and '<html lang="en">' in en.output and "PASS" in en.output
    assert chinese_left(en.output) == [] and 'class="lang"' not in en.output
    assert wrong.exit_code == 2 and "--lang" in wrong.output


def test_the_cli_filing_pack_in_english(kiosk: Kiosk) -> None:
    app, env = _cli(kiosk)
    with kiosk.deps.uow() as uow:
        entity = next(iter(uow.compliance.legal_entities()))

    en = CliRunner().invoke(app, ["filing", "pack", entity, "--html", "--lang", "en"], env=env)
    raw = CliRunner().invoke(app, ["filing", "pack", entity], env=env)

    assert en.exit_code == 0, en.output
    assert '<html lang="en">' in en.output and "5. Processing rules" in en.output
    assert chinese_left(en.output, json.loads(raw.output)) == []
