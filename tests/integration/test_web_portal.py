"""The visitor portal page over real HTTP (C19): public, both languages, the
receipt prefill, and the reception hint when no mobile is on file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from support.live import Live, live_server
from support.sequences import fake_shots

HTML = {"Accept": "text/html"}
I18N_BLOB = re.compile(r'<script type="application/json" id="i18n">(.*?)</script>', re.DOTALL)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("web-portal"), engine=FakeEngine(FaceSettings()),
                     session_cookie_secure=False) as s:
        yield s


def strings(page: str) -> dict[str, str]:
    found = I18N_BLOB.search(page)
    assert found is not None
    return dict(json.loads(found.group(1)))


def test_the_portal_is_public_in_both_languages_and_prefills_the_receipt(live: Live) -> None:
    receipt = "0123456789abcdef0123456789abcdef"
    with httpx.Client(base_url=live.base_url, headers=HTML, timeout=30) as http:
        zh = http.get(f"/me?receipt={receipt}")
        en = http.get("/me?lang=en")
        odd = http.get("/me", params={"receipt": '"><script>x</script>'})
    assert zh.status_code == 200 and 'lang="zh-CN"' in zh.text
    assert f'value="{receipt}"' in zh.text and "第一步：回执编号" in zh.text
    assert en.status_code == 200 and "Step 1: receipt code" in en.text
    assert odd.status_code == 200 and 'id="receipt_id" name="receipt_id" value=""' in odd.text
    assert "<script>x" not in odd.text
    for page in (zh.text, en.text):  # every input of the page has its label
        for field in re.findall(r'<input id="([a-z_]+)"', page):
            assert f'<label for="{field}">' in page, field


def test_a_face_only_visitor_is_told_to_ask_at_reception(live: Live) -> None:
    deps = live.app.deps
    session, notice = kiosk_service.start_session("demo-office", deps)
    consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
        session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True), deps)
    face_service.enroll_face(face_service.EnrollCmd(
        session.id, consent.id, **fake_shots((40, 180, 220)).cmd()), deps)
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        r = http.post("/api/rights/code", json={"receipt_id": consent.id})
        zh = http.get(f"/me?receipt={consent.id}", headers=HTML)
        en = http.get("/me?lang=en", headers=HTML)

    assert (r.status_code, r.json()["error"]) == (409, "no_mobile_on_file")
    assert "前台" in strings(zh.text)["portal.err_no_mobile_on_file"]
    assert "reception" in strings(en.text)["portal.err_no_mobile_on_file"]


def test_the_portal_js_keeps_the_token_in_session_storage_only(live: Live) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        script = http.get("/static/portal.js").text
    assert "sessionStorage" in script and "localStorage" not in script
    assert "document.cookie" not in script
    assert re.search(r"(window\.|\b)confirm\(", script) is None  # the confirm step is in the page
