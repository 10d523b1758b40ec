"""The kiosk page over real HTTP (no browser): the redirect, the page in both languages, the
404 page, mobile only with the face module off, and the camera's live-guidance endpoint
(frame-check) — refused without a live face consent of the session, JSON errors for bad image
data, the quality gate's advice for real images, and nothing stored."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.config.face import FaceSettings
from support import images
from support.devices import kiosk_client
from support.live import Live, live_server

ASTRONAUT = images.astronaut()
HTML = {"Accept": "text/html"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("kiosk"), engine=DlibEngine(FaceSettings())) as s:
        yield s


@pytest.fixture
def client(live: Live) -> Iterator[httpx.Client]:
    with kiosk_client(live) as http:  # a paired tablet of the office
        yield http


def start(client: httpx.Client) -> dict:
    r = client.post("/api/kiosk/sessions", json={"office_id": "demo-office"})
    assert r.status_code == 201, r.text
    return r.json()


def consented(client: httpx.Client) -> tuple[str, str]:
    """(session id, face consent id) of a fresh session whose visitor ticked the face consent."""
    s = start(client)
    sid = s["session_id"]
    r = client.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
        "notice_hash": s["notice"]["content_hash"], "age_14_or_over": True, "agree": True})
    assert r.status_code == 201, r.text
    return sid, r.json()["receipt_id"]


def check(client: httpx.Client, sid: str, consent_id: str, frame: str) -> httpx.Response:
    return client.post(f"/api/kiosk/sessions/{sid}/frame-check",
                       json={"consent_id": consent_id, "frame": frame})


# --- the page --------------------------------------------------------------------------------
def test_kiosk_redirects_to_the_tablets_office_keeping_the_language(client: httpx.Client) -> None:
    r = client.get("/kiosk", headers=HTML)
    assert r.status_code == 303
    assert r.headers["location"] == "/kiosk/demo-office"
    r = client.get("/kiosk?lang=en", headers=HTML)
    assert r.headers["location"] == "/kiosk/demo-office?lang=en"


def test_kiosk_page_shows_the_notice_and_two_choices_in_both_languages(
    client: httpx.Client,
) -> None:
    zh_notice = client.get("/api/offices/demo-office/notice?lang=zh-CN").json()
    page = client.get("/kiosk/demo-office", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert '<html lang="zh-CN">' in html
    assert zh_notice["summary"] in html and zh_notice["sections"]["rights"] in html
    assert f'data-notice-hash="{zh_notice["content_hash"]}"' in html
    assert "<details" in html and "刷脸登记" in html and "手机号登记" in html
    assert 'data-face-on="true"' in html
    # the consent checkboxes are never pre-ticked (C1)
    assert not re.search(r"<input[^>]*\bchecked\b", html)
    assert re.search(r'<input[^>]*type="checkbox"', html)

    en_notice = client.get("/api/offices/demo-office/notice?lang=en").json()
    en = client.get("/kiosk/demo-office?lang=en", headers=HTML).text
    assert '<html lang="en">' in en
    assert en_notice["summary"] in en
    assert f'data-notice-hash="{en_notice["content_hash"]}"' in en
    assert "Face check-in" in en and "Mobile check-in" in en and "No thanks, use my mobile" in en


def test_unknown_office_is_a_readable_404_page(client: httpx.Client) -> None:
    r = client.get("/kiosk/no-such-office", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert 'data-error="unknown_office"' in r.text


def test_with_the_face_module_off_the_page_offers_mobile_only(tmp_path: Path) -> None:
    with live_server(tmp_path / "off", engine=None, face_module="off") as off, \
            kiosk_client(off) as http:
        html = http.get("/kiosk/demo-office", headers=HTML).text
    assert 'data-face-on="false"' in html
    assert re.search(r'id="choose-face" class="choice"[^>]* hidden>', html)
    assert 'id="face-off" class="hint">' in html  # the "not available" line is shown


# --- frame-check -----------------------------------------------------------------------------
def test_frame_check_is_refused_without_a_face_consent_of_this_session(
    client: httpx.Client,
) -> None:
    frame = b64(images.encode(ASTRONAUT))
    sid = start(client)["session_id"]
    r = check(client, sid, "no-such-consent", frame)
    assert r.status_code == 403 and r.json()["error"] == "consent_missing"
    _, someone_elses = consented(client)  # a consent given in another session
    r = check(client, sid, someone_elses, frame)
    assert r.status_code == 403 and r.json()["error"] == "consent_missing"
    r = check(client, "no-such-session", someone_elses, frame)
    assert r.status_code == 404 and r.json()["error"] == "unknown_session"


def test_frame_check_is_refused_once_the_visitor_declined(client: httpx.Client) -> None:
    sid, consent_id = consented(client)
    assert client.post(f"/api/kiosk/sessions/{sid}/decline-face").status_code == 200
    r = check(client, sid, consent_id, b64(images.encode(ASTRONAUT)))
    assert r.status_code == 409 and r.json()["error"] == "face_declined_this_visit"


def test_frame_check_refuses_bad_image_data_as_json(client: httpx.Client) -> None:
    sid, consent_id = consented(client)
    r = check(client, sid, consent_id, "not base64 at all!")
    assert r.status_code == 400 and r.json()["error"] == "not_an_image"
    jpeg = images.encode(ASTRONAUT)
    r = check(client, sid, consent_id, b64(jpeg[: len(jpeg) // 2]))
    assert r.status_code == 400 and r.json()["error"] == "image_truncated"
    r = check(client, sid, consent_id, b64(b"GIF89a plain text"))
    assert r.status_code == 400 and r.json()["error"] == "not_an_image"
    r = check(client, sid, consent_id, "")
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_frame_check_gives_the_quality_gate_advice_and_stores_nothing(
    live: Live, client: httpx.Client,
) -> None:
    sid, consent_id = consented(client)
    with live.app.deps.uow() as uow:
        templates_before, audit_before = uow.vault.count(), len(uow.audit.all())

    ok = check(client, sid, consent_id, "data:image/jpeg;base64," + b64(images.encode(ASTRONAUT)))
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"ok": True, "advice": None}
    blank = check(client, sid, consent_id, b64(images.encode(images.no_face())))
    assert blank.json() == {"ok": False, "advice": "no_face"}
    two = check(client, sid, consent_id, b64(images.encode(images.side_by_side(ASTRONAUT))))
    assert two.json() == {"ok": False, "advice": "multiple_faces"}
    dark = check(client, sid, consent_id,
                 b64(images.encode(images.shifted(ASTRONAUT, 0, 0, gain=0.12))))
    assert dark.json() == {"ok": False, "advice": "face_too_dark"}
    small = check(client, sid, consent_id, b64(images.encode(images.scaled(ASTRONAUT, 0.8))))
    assert small.json() == {"ok": False, "advice": "face_too_small"}  # "please move closer"

    with live.app.deps.uow() as uow:
        assert uow.vault.count() == templates_before
        assert len(uow.audit.all()) == audit_before
        consent = uow.consents.get(consent_id)
        assert consent is not None and not uow.vault.has(consent.person_id)
