"""Camera push over real HTTP (uvicorn on loopback) with the fake engine: a person is a colour.
The gate, the token, bad input, two sightings per visit, one visit per window, strangers leave
only a count, four cameras at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.store.tables.capture import capture_hourly
from keyuan.services.capture import service
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.compliance import notices
from support import images
from support.cameras import lane_camera
from support.images import face_jpeg as jpeg
from support.live import Live, live_server
from support.pia import record_office_pia
from support.sequences import fake_shots

OFFICE = "demo-office"
# Colours at the centre of the fake engine's 16-level buckets survive JPEG compression.
PERSONS = [(120, 72, 40), (40, 136, 200), (200, 56, 104), (88, 184, 152)]
STRANGER = (232, 232, 24)


@dataclass
class Site:
    live: Live
    rt: CaptureRuntime
    http: httpx.Client

    def camera(self, name: str = "entrance") -> tuple[str, str]:
        cam, token = lane_camera(self.rt, OFFICE, name, actor="test")
        notices.republish(OFFICE, self.live.app.deps, actor="dpo")  # the notice names the lane
        record_office_pia(self.live.app.deps)  # C23: the assessment covers the camera
        return cam.id, token

    def enroll(self, rgb: tuple[int, int, int]) -> str:
        deps = self.live.app.deps
        session, notice = kiosk_service.start_session(OFFICE, deps)
        consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
            session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True), deps)
        face_service.enroll_face(face_service.EnrollCmd(session.id, consent.id,
                                                        **fake_shots(rgb).cmd()), deps)
        self.live.clock.advance(hours=3)  # the kiosk visit's window is over
        return consent.person_id

    def push(self, camera_id: str, token: str, body: bytes, *, seconds: float = 0,
             content_type: str = "image/jpeg") -> httpx.Response:
        at = self.live.clock.now() + timedelta(seconds=seconds)
        return self.http.post(f"/api/cameras/{camera_id}/captures", content=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": content_type,
            "X-Capture-Time": at.isoformat()})

    def camera_visits(self, person_id: str) -> list[object]:
        with self.live.app.deps.uow() as uow:
            return [v for v in uow.visits.for_person(person_id) if v.method.value == "camera"]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("KEYUAN_FACE__MIN_SHARPNESS", "0")  # solid colours have no edges
    with live_server(tmp_path, engine=FakeEngine()) as live, \
            httpx.Client(base_url=live.base_url, timeout=30) as http:
        rt = CaptureRuntime.build(live.app.deps, live.app.settings.capture,
                                  live.app.settings.secret_key)
        yield Site(live, rt, http)


def test_camera_input_is_refused_until_the_office_confirms_its_signage(site: Site) -> None:
    cam, token = site.camera()
    refused = site.push(cam, token, jpeg(PERSONS[0]))
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "signage_not_confirmed"
    service.confirm_signage(site.rt, OFFICE, actor="manager")
    assert site.push(cam, token, jpeg(PERSONS[0])).status_code == 200


def test_wrong_token_unknown_camera_and_disabled_camera_are_refused(site: Site) -> None:
    service.confirm_signage(site.rt, OFFICE, actor="manager")
    cam, token = site.camera()
    assert site.push(cam, "not-the-token", jpeg(STRANGER)).status_code == 401
    no_auth = site.http.post(f"/api/cameras/{cam}/captures", content=jpeg(STRANGER))
    assert no_auth.status_code == 401 and no_auth.json()["error"] == "camera_token_invalid"
    assert site.push("cam_nope", token, jpeg(STRANGER)).json()["error"] == "unknown_camera"
    service.set_camera_enabled(site.rt, cam, False, actor="manager")
    assert site.push(cam, token, jpeg(STRANGER)).json()["error"] == "camera_disabled"


def test_only_a_keyed_hash_of_the_token_is_stored(site: Site) -> None:
    cam, token = site.camera()
    with site.live.app.deps.uow() as uow:
        stored = uow.capture.camera(cam)
    assert stored is not None and token not in stored.token_hash
    assert stored.token_hash == site.rt.token_hash(token)


def test_bad_input_gets_a_clear_error_and_the_service_keeps_serving(site: Site) -> None:
    service.confirm_signage(site.rt, OFFICE, actor="manager")
    cam, token = site.camera()
    good, scene = jpeg(PERSONS[0]), images.encode(images.astronaut())
    cases = [
        (site.push(cam, token, scene[: len(scene) // 2]), 400, "image_truncated"),
        (site.push(cam, token, b"\xff\xd8\xff garbage"), 400, "not_an_image"),
        (site.push(cam, token, b""), 400, "not_an_image"),
        (site.push(cam, token, good, seconds=3600), 422, "capture_time_invalid"),
        (site.push(cam, token, good, seconds=-3 * 86400), 422, "capture_time_invalid"),
        (site.push(cam, token, good, content_type="text/plain"), 415, "capture_format_invalid"),
        (site.push(cam, token, b"\xff" * 8_300_000), 413, "image_too_large"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]) == (status, code)
    assert cases[3][0].json()["details"]["reason"] == "future"
    assert cases[4][0].json()["details"]["reason"] == "too_old"
    assert site.push(cam, token, good).status_code == 200


def test_two_agreeing_sightings_make_one_visit_and_the_window_holds_it_to_one(
    site: Site,
) -> None:
    service.confirm_signage(site.rt, OFFICE, actor="manager")
    cam, token = site.camera()
    person = site.enroll(PERSONS[0])
    first = site.push(cam, token, jpeg(PERSONS[0], seed=1)).json()
    assert (first["matched"], first["visits_recorded"]) == (1, 0)
    assert site.camera_visits(person) == []  # one sighting is not a visit
    second = site.push(cam, token, jpeg(PERSONS[0], seed=2), seconds=2).json()
    assert second["visits_recorded"] == 1  # acknowledged = stored
    assert len(site.camera_visits(person)) == 1
    for n in range(3, 8):
        site.push(cam, token, jpeg(PERSONS[0], seed=n), seconds=n)
    assert len(site.camera_visits(person)) == 1
    with site.live.app.deps.uow() as uow:
        actions = [e.action for e in uow.audit.all() if e.subject == person]
    assert actions.count("camera_match") == 7 and actions.count("camera_visit") == 1


def test_one_still_picture_pushed_again_makes_no_visit_and_is_counted_not_live(
    site: Site,
) -> None:
    service.confirm_signage(site.rt, OFFICE, actor="manager")
    cam, token = site.camera()
    person = site.enroll(PERSONS[0])
    still = jpeg(PERSONS[0], seed=1)
    replies = [site.push(cam, token, still, seconds=n).json() for n in range(4)]
    assert [(r["matched"], r["not_live"], r["visits_recorded"]) for r in replies] == [
        (1, 0, 0), (1, 1, 0), (1, 1, 0), (1, 1, 0)]
    assert site.camera_visits(person) == []
    metrics = site.http.get("/metrics").text
    assert 'keyuan_capture_not_live_total{reason="frames_identical"} 3.0' in metrics


def test_a_stranger_leaves_only_an_hourly_count(site: Site) -> None:
    service.confirm_signage(site.rt, OFFICE, actor="manager")
    cam, token = site.camera()
    site.enroll(PERSONS[0])
    with site.live.app.deps.uow() as uow:
        audit_before = len(uow.audit.all())
    for n in range(3):
        reply = site.push(cam, token, jpeg(STRANGER), seconds=n).json()
        assert (reply["faces"], reply["unmatched"], reply["matched"]) == (1, 1, 0)
    with site.live.app.deps.uow() as uow:
        assert len(uow.audit.all()) == audit_before  # nothing logged about a stranger
        assert uow.capture.hourly(cam)[0][1:] == (3, 0)
        rows = uow.capture.session.execute(select(capture_hourly)).all()
    assert [tuple(r._mapping) for r in rows] == [("camera_id", "hour", "unmatched",
                                                  "needs_review")]
    metrics = site.http.get("/metrics").text
    assert "keyuan_capture_unmatched_total 3.0" in metrics
    assert "keyuan_capture_frames_total{source=\"push\"}" in metrics


def test_a_multipart_event_with_json_and_a_face_image_is_accepted(site: Site) -> None:
    service.confirm_signage(site.rt, OFFICE, actor="manager")
    cam, token = site.camera()
    person = site.enroll(PERSONS[1])
    for n in range(2):
        at = (site.live.clock.now() + timedelta(seconds=n)).isoformat()
        files = {"event": ("event.json", f'{{"captureTime": "{at}"}}', "application/json"),
                 "faceImage": ("face.jpg", jpeg(PERSONS[1], seed=n + 1), "image/jpeg")}
        reply = site.http.post(f"/api/cameras/{cam}/captures", files=files,
                               headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 200, reply.text
    assert len(site.camera_visits(person)) == 1


def test_four_cameras_pushing_at_once_record_one_visit_per_person(site: Site) -> None:
    service.confirm_signage(site.rt, OFFICE, actor="manager")
    cameras = [site.camera(f"door {n}") for n in range(4)]
    people = [site.enroll(rgb) for rgb in PERSONS]
    statuses: list[int] = []

    def camera_thread(index: int) -> None:
        cam, token = cameras[index]
        with httpx.Client(base_url=site.live.base_url, timeout=30) as http:
            for n in range(6):  # each camera sees every person, plus a stranger
                rgb = [*PERSONS, STRANGER][(index + n) % 5]
                for k in range(2):  # two frames of a live camera, 300 ms apart
                    at = (site.live.clock.now() + timedelta(seconds=n + 0.3 * k)).isoformat()
                    frame = jpeg(rgb, seed=2 * n + k + 1)
                    r = http.post(f"/api/cameras/{cam}/captures", content=frame, headers={
                        "Authorization": f"Bearer {token}", "Content-Type": "image/jpeg",
                        "X-Capture-Time": at})
                    statuses.append(r.status_code)

    threads = [threading.Thread(target=camera_thread, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 40
    assert [len(site.camera_visits(p)) for p in people] == [1, 1, 1, 1]
