"""The kiosk flows end to end over real HTTP: face, phone, decliner, return, withdrawal, and the
whole product with the face module switched off (C10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.config.face import FaceSettings
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import identity_photos, photo_shots

PERSON = "df_id01"  # a person of the public set: this module runs the real dlib engine



@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("flow"), engine=DlibEngine(FaceSettings())) as s:
        yield s


@pytest.fixture
def client(live: Live) -> Iterator[httpx.Client]:
    with kiosk_client(live) as http:  # a paired tablet of the office
        yield http


def start(client: httpx.Client) -> dict:
    r = client.post("/api/kiosk/sessions", json={"office_id": "demo-office"})
    assert r.status_code == 201, r.text
    return r.json()


def phone_check_in(live: Live, client: httpx.Client, mobile: str) -> httpx.Response:
    s = start(client)
    sid = s["session_id"]
    assert client.post(f"/api/kiosk/sessions/{sid}/phone-code",
                       json={"mobile": mobile}).status_code == 202
    return client.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
        "mobile": mobile, "code": live.last_code(), "agree": True,
        "notice_hash": s["notice"]["content_hash"]})


def test_notice_lists_every_required_section_in_both_languages(client: httpx.Client) -> None:
    for lang in ("zh-CN", "en"):
        notice = client.get(f"/api/offices/demo-office/notice?lang={lang}").json()
        assert notice["language"] == lang
        assert len(notice["content_hash"]) == 64
        assert all(text.strip() for text in notice["sections"].values())
        assert {"controller", "purpose", "retention", "rights", "responsible_person"} <= set(
            notice["sections"])


def test_openapi_docs_are_served(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/kiosk/sessions/{session_id}/face-enrollment" in paths


def test_face_check_in_then_return_by_receipt_then_withdraw(
    live: Live, client: httpx.Client, face_root: Path
) -> None:
    s = start(client)
    sid, notice_hash = s["session_id"], s["notice"]["content_hash"]
    assert s["face_available"] is True
    consent = client.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
        "notice_hash": notice_hash, "age_14_or_over": True, "agree": True}).json()
    assert consent["receipt"]["sensitive"] is True
    assert consent["receipt"]["piiPrincipalId"] == consent["receipt"]["piiPrincipalId"].lower()
    enrolled = client.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
        "consent_id": consent["receipt_id"],
        **photo_shots(identity_photos(face_root, PERSON)).wire()})
    assert enrolled.status_code == 201, enrolled.text
    assert enrolled.json()["method"] == "face_kiosk"
    assert len(live.app.deps.gallery) >= 1

    again = start(client)["session_id"]
    # the same person filmed again (the same photos, new capture times)
    probe = photo_shots(identity_photos(face_root, PERSON), start_ms=90_000).wire()
    back = client.post(f"/api/kiosk/sessions/{again}/return", json={
        "receipt_id": consent["receipt_id"], **probe})
    assert back.status_code == 201, back.text
    assert "name" not in back.text.lower()

    withdrawn = client.post(f"/api/receipts/{consent['receipt_id']}/withdraw").json()
    assert withdrawn["status"] == "withdrawn"
    third = start(client)["session_id"]
    refused = client.post(f"/api/kiosk/sessions/{third}/return", json={
        "receipt_id": consent["receipt_id"], **probe})
    assert refused.status_code == 401  # as for a stranger: nothing says the receipt exists
    assert refused.json()["error"] == "not_verified"


def test_decliner_goes_straight_to_phone_and_is_not_asked_again(
    live: Live, client: httpx.Client
) -> None:
    s = start(client)
    sid = s["session_id"]
    assert client.post(f"/api/kiosk/sessions/{sid}/decline-face").json()["next"] == "phone"
    again = client.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
        "notice_hash": s["notice"]["content_hash"], "age_14_or_over": True, "agree": True})
    assert again.status_code == 409
    assert again.json()["error"] == "face_declined_this_visit"
    client.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": "13600001234"})
    done = client.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
        "mobile": "13600001234", "code": live.last_code(), "agree": True,
        "notice_hash": s["notice"]["content_hash"]})
    assert done.status_code == 201, done.text
    assert done.json()["method"] == "phone"
    assert done.json()["receipt"]["receipt"]["sensitive"] is False


def test_phone_receipt_is_served_and_hash_matches(live: Live, client: httpx.Client) -> None:
    from keyuan.domain.canonical import sha256_hex

    done = phone_check_in(live, client, "13512345678").json()
    receipt = client.get(f"/api/receipts/{done['receipt']['receipt_id']}").json()
    assert receipt["receipt_sha256"] == sha256_hex(receipt["receipt"])
    assert receipt["receipt"]["version"] == "KI-CR-v1.1.0"


def test_minor_is_refused_face_and_nothing_is_stored(live: Live, client: httpx.Client) -> None:
    s = start(client)
    r = client.post(f"/api/kiosk/sessions/{s['session_id']}/face-consent", json={
        "notice_hash": s["notice"]["content_hash"], "age_14_or_over": False, "agree": True})
    assert r.status_code == 403
    assert r.json()["error"] == "minor_face_refused"


def test_c10_the_product_runs_with_the_face_module_off(tmp_path: Path) -> None:
    with live_server(tmp_path, engine=None, face_module="off") as off, \
            kiosk_client(off, timeout=30) as client:
        s = start(client)
        assert s["face_available"] is False
        r = client.post(f"/api/kiosk/sessions/{s['session_id']}/face-consent", json={
            "notice_hash": s["notice"]["content_hash"], "age_14_or_over": True, "agree": True})
        assert r.status_code == 409
        assert r.json()["error"] == "face_module_disabled"
        assert phone_check_in(off, client, "13712345678").status_code == 201


def test_c15_no_face_image_is_kept_after_enrollment(live: Live, client: httpx.Client,
                                                    face_root: Path) -> None:
    shots = photo_shots(identity_photos(face_root, PERSON), skip=3)
    frames = shots.frames
    s = start(client)
    consent = client.post(f"/api/kiosk/sessions/{s['session_id']}/face-consent", json={
        "notice_hash": s["notice"]["content_hash"], "age_14_or_over": True, "agree": True}).json()
    r = client.post(f"/api/kiosk/sessions/{s['session_id']}/face-enrollment", json={
        "consent_id": consent["receipt_id"], **shots.wire()})
    assert r.status_code == 201, r.text

    stored = b"".join(p.read_bytes() for p in live.app.settings.data_dir.rglob("*") if p.is_file())
    assert stored, "the scan must have read the stores"
    assert b"\xff\xd8\xff\xe0" not in stored and b"\x89PNG\r\n" not in stored  # JFIF, PNG
    for frame in frames:  # not even a fragment of the encoded frames
        assert frame[200:264] not in stored
