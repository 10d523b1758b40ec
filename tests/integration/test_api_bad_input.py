"""Every bad input gets `{"error", "message"}` with a 4xx, leaves nothing half-written, and the
service keeps serving. Real HTTP against a real uvicorn, real dlib, real SQLite."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.adapters.store.tables import checkin as tables
from keyuan.config.face import FaceSettings
from support import images
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import identity_photos, photo_shots, shots

COUNTED = (tables.persons, tables.consents, tables.visits, tables.templates, tables.one_time_codes)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("api"), engine=DlibEngine(FaceSettings())) as server:
        yield server


@pytest.fixture
def client(live: Live) -> Iterator[httpx.Client]:
    with kiosk_client(live) as http:
        yield http


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def counts(live: Live) -> dict[str, int]:
    with live.app.db.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in COUNTED}


def session(client: httpx.Client) -> tuple[str, str]:
    body = client.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
    return body["session_id"], body["notice"]["content_hash"]


def face_consent(client: httpx.Client) -> tuple[str, str]:
    sid, notice_hash = session(client)
    r = client.post(f"/api/kiosk/sessions/{sid}/face-consent",
                    json={"notice_hash": notice_hash, "age_14_or_over": True, "agree": True})
    assert r.status_code == 201, r.text
    return sid, r.json()["receipt_id"]


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.text


ASTRONAUT = images.astronaut()
GOOD = images.frames(ASTRONAUT)

BAD_FRAMES = {
    "not an image": ([b"hello, I am not a picture"] * 3, 400, "not_an_image"),
    "empty image": ([b""] * 3, 400, "not_an_image"),
    "truncated image": ([GOOD[0][: len(GOOD[0]) // 2]] * 3, 400, "image_truncated"),
    "decompression bomb": ([images.png_bomb()] * 3, 413, "image_too_large"),
}
STILLS = {  # one picture repeated: the liveness check refuses it before any quality gate
    "no face": ([images.encode(images.no_face())] * 3, "no_face"),
    "two faces": ([images.encode(images.side_by_side(ASTRONAUT))] * 3, "frames_identical"),
    "face too small": ([images.encode(images.scaled(ASTRONAUT, 0.8))] * 3, "frames_identical"),
}


@pytest.mark.parametrize("case", list(BAD_FRAMES), ids=list(BAD_FRAMES))
def test_bad_enrollment_frames_are_refused_and_store_nothing(
    case: str, live: Live, client: httpx.Client
) -> None:
    frames, status, code = BAD_FRAMES[case]
    sid, receipt = face_consent(client)
    before = counts(live)
    r = client.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                    json={"consent_id": receipt, **shots(frames).wire()})
    assert_error(r, status, code)
    assert counts(live) == before
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("case", list(STILLS), ids=list(STILLS))
def test_still_enrollment_frames_are_refused_as_not_live_and_store_nothing(
    case: str, live: Live, client: httpx.Client
) -> None:
    frames, reason = STILLS[case]
    sid, receipt = face_consent(client)
    before = counts(live)
    r = client.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                    json={"consent_id": receipt, **shots(frames).wire()})
    assert_error(r, 422, "not_live")
    assert r.json()["reason"] == reason
    assert counts(live) == before


def test_a_live_sequence_with_two_faces_in_each_frame_is_refused_and_stores_nothing(
    live: Live, client: httpx.Client, face_root: Path
) -> None:
    photos = identity_photos(face_root, "df_id01")[:3]
    frames = [images.encode(images.side_by_side(np.asarray(Image.open(p).convert("RGB"))))
              for p in photos]  # distinct photos, each beside its mirror image
    sid, receipt = face_consent(client)
    before = counts(live)
    r = client.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                    json={"consent_id": receipt, **shots(frames).wire()})
    assert_error(r, 422, "multiple_faces")
    assert counts(live) == before


def test_frames_that_are_not_base64_are_refused(client: httpx.Client) -> None:
    sid, receipt = face_consent(client)
    r = client.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                    json={"consent_id": receipt, "frames": ["***not base64***"]})
    assert_error(r, 400, "not_an_image")


def test_enrollment_without_consent_is_refused(live: Live, client: httpx.Client) -> None:
    sid, _ = session(client)
    before = counts(live)
    r = client.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                    json={"consent_id": "0" * 32, "frames": [b64(f) for f in GOOD]})
    assert_error(r, 403, "consent_missing")
    assert counts(live) == before


def test_enrollment_under_a_withdrawn_consent_is_refused(live: Live, client: httpx.Client) -> None:
    sid, receipt = face_consent(client)
    assert client.post(f"/api/receipts/{receipt}/withdraw").json()["status"] == "withdrawn"
    before = counts(live)
    r = client.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                    json={"consent_id": receipt, "frames": [b64(f) for f in GOOD]})
    assert_error(r, 403, "consent_withdrawn")
    assert counts(live) == before


def test_unticked_face_consent_is_not_consent(client: httpx.Client) -> None:
    sid, notice_hash = session(client)
    r = client.post(f"/api/kiosk/sessions/{sid}/face-consent",
                    json={"notice_hash": notice_hash, "age_14_or_over": True, "agree": False})
    assert_error(r, 422, "invalid_request")


@pytest.mark.parametrize("mobile", ["12345", "2381234567", "1381234567x", "+1 202 555 0100", ""])
def test_bad_mobile_numbers_are_refused(mobile: str, live: Live, client: httpx.Client) -> None:
    sid, _ = session(client)
    before = counts(live)
    r = client.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": mobile})
    assert_error(r, 422, "invalid_mobile")
    assert counts(live) == before


def test_a_wrong_code_is_refused_and_counted(live: Live, client: httpx.Client) -> None:
    sid, notice_hash = session(client)
    assert client.post(f"/api/kiosk/sessions/{sid}/phone-code",
                       json={"mobile": "13900001111"}).status_code == 202
    wrong = "000000" if live.last_code() != "000000" else "111111"
    r = client.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
        "mobile": "13900001111", "code": wrong, "notice_hash": notice_hash, "agree": True})
    assert_error(r, 400, "code_invalid")
    assert "4 tries left" in r.json()["message"]


def test_an_expired_code_is_refused(live: Live, client: httpx.Client) -> None:
    sid, notice_hash = session(client)
    client.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": "13900002222"})
    code = live.last_code()
    live.clock.advance(seconds=live.app.settings.otp_ttl_seconds + 1)
    before = counts(live)
    r = client.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
        "mobile": "13900002222", "code": code, "notice_hash": notice_hash, "agree": True})
    assert_error(r, 410, "code_expired")
    assert counts(live) == before


@pytest.mark.parametrize("claim", [{"receipt_id": "f" * 32}, {"mobile": "13700000000"}])
def test_a_return_claim_for_an_unknown_person_is_refused(
    claim: dict[str, str], client: httpx.Client, face_root: Path
) -> None:
    sid, _ = session(client)
    live_face = photo_shots(identity_photos(face_root, "df_id01"))  # a live face: compared
    r = client.post(f"/api/kiosk/sessions/{sid}/return", json={**claim, **live_face.wire()})
    assert r.status_code == 401, r.text  # the answer a known person's wrong face gets
    assert r.json()["error"] == "not_verified"


def test_unknown_session_office_and_receipt_are_404(client: httpx.Client) -> None:
    assert_error(client.post("/api/kiosk/sessions", json={"office_id": "nope"}), 404,
                 "unknown_office")
    assert_error(client.post("/api/kiosk/sessions/nope/decline-face"), 404, "unknown_session")
    assert_error(client.get("/api/receipts/KY-00000-00000"), 404, "unknown_consent")
    assert_error(client.get("/api/receipts/nope"), 422, "receipt_code_invalid")


def test_malformed_json_and_unknown_fields_are_clear_422s(client: httpx.Client) -> None:
    r = client.post("/api/kiosk/sessions", content=b"{not json",
                    headers={"content-type": "application/json"})
    assert_error(r, 422, "invalid_request")
    r = client.post("/api/kiosk/sessions", json={"office_id": "demo-office", "extra": 1})
    assert_error(r, 422, "invalid_request")


def test_an_oversized_body_is_refused_before_it_is_read(client: httpx.Client) -> None:
    r = client.post("/api/kiosk/sessions/x/return", content=b"{" + b" " * 25_000_000 + b"}",
                    headers={"content-type": "application/json"})
    assert_error(r, 413, "request_too_large")


def test_a_chunked_body_over_the_cap_is_refused_as_it_arrives(client: httpx.Client) -> None:
    def chunks():  # no Content-Length: httpx sends Transfer-Encoding: chunked
        yield b'{"office_id": "'
        for _ in range(26):
            yield b"x" * 1_000_000
        yield b'"}'

    r = client.post("/api/kiosk/sessions", content=chunks(),
                    headers={"content-type": "application/json"})
    assert_error(r, 413, "request_too_large")
    assert client.get("/healthz").status_code == 200
