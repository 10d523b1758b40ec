"""Camera vendor profiles over real HTTP (uvicorn on loopback) with the fake engine (a person is
a colour): generic JSON + base64, Hikvision ISAPI face-capture events with the picture inline
and by URL — fetched from a local server playing the camera, which checks HTTP digest auth —
and Dahua face-detection events. Each makes visits as a JPEG push does; bad payloads get a
clear 4xx/5xx and leave nothing behind; no picture reaches the disk or the logs; the camera's
login is never returned or logged."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.config.capture import CaptureSettings
from keyuan.services.capture import service
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.compliance import notices
from support import auth, images
from support import vendor_payloads as vp
from support.camera_server import Camera, camera_server
from support.cameras import ALTERNATIVE, LANE, lane_camera
from support.images import face_jpeg as jpeg
from support.live import Live, live_server
from support.pia import record_office_pia
from support.sequences import fake_shots

OFFICE = "demo-office"
PERSONS = [(120, 72, 40), (40, 136, 200), (200, 56, 104)]
STRANGER = (232, 232, 24)
CAM_USER, CAM_PASSWORD = "admin", "Cam-Passw0rd-7f3a"
MP = f"multipart/form-data; boundary={vp.BOUNDARY}"
DAHUA_MP = "multipart/x-mixed-replace; boundary=myboundary"
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


@dataclass
class Site:
    live: Live
    rt: CaptureRuntime
    http: httpx.Client

    def camera(self, profile: str, name: str = "entrance") -> tuple[str, str]:
        cam, token = lane_camera(self.rt, OFFICE, name, actor="test")
        service.set_camera_profile(self.rt, cam.id, profile, actor="test")
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

    def at(self, seconds: float = 0) -> datetime:
        return self.live.clock.now() + timedelta(seconds=seconds)

    def push(self, cam: str, token: str, body: bytes, content_type: str) -> httpx.Response:
        return self.http.post(f"/api/cameras/{cam}/captures", content=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": content_type})

    def written(self, cam: str) -> tuple[int, list[tuple[datetime, int, int]]]:
        """Audit entries and the camera's hourly counts: a refused push changes neither."""
        with self.live.app.deps.uow() as uow:
            return len(uow.audit.all()), uow.capture.hourly(cam)

    def camera_visits(self, person_id: str) -> int:
        with self.live.app.deps.uow() as uow:
            return len([v for v in uow.visits.for_person(person_id)
                        if v.method.value == "camera"])


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Iterator[Site]:
    """On SQLite and on PostgreSQL (the profile columns, the sealed login)."""
    monkeypatch.setenv("KEYUAN_FACE__MIN_SHARPNESS", "0")  # solid colours have no edges
    with live_server(tmp_path / "data", engine=FakeEngine(), database_url=store_url,
                     capture=CaptureSettings(picture_fetch_timeout_seconds=1.0)) as live, \
            httpx.Client(base_url=live.base_url, timeout=30) as http:
        rt = CaptureRuntime.build(live.app.deps, live.app.settings.capture,
                                  live.app.settings.secret_key)
        service.confirm_signage(rt, OFFICE, actor="manager")
        yield Site(live, rt, http)


@pytest.fixture
def ipc() -> Iterator[Camera]:
    with camera_server(CAM_USER, CAM_PASSWORD, jpeg(PERSONS[2], seed=1)) as camera:
        yield camera


def ok(response: httpx.Response) -> dict[str, int]:
    assert response.status_code == 200, response.text
    body: dict[str, int] = response.json()
    return body


def error(response: httpx.Response) -> tuple[int, str, object]:
    body = response.json()
    assert set(body) >= {"error", "message"}, body
    return response.status_code, body["error"], body.get("details", {}).get("reason")


def test_generic_json_base64_pushes_make_one_visit(site: Site) -> None:
    cam, token = site.camera("generic-json")
    person = site.enroll(PERSONS[0])
    first = ok(site.push(cam, token, vp.generic_json(jpeg(PERSONS[0], seed=1), site.at()),
                         "application/json"))
    assert (first["matched"], first["visits_recorded"]) == (1, 0)
    second = ok(site.push(cam, token, vp.generic_json(jpeg(PERSONS[0], seed=2), site.at(2),
                                                      data_url=True), "application/json"))
    assert second["visits_recorded"] == 1 and site.camera_visits(person) == 1


def test_generic_json_bad_payloads_get_clear_errors_and_the_camera_keeps_working(
    site: Site,
) -> None:
    cam, token = site.camera("generic-json")
    big = b'{"image": "' + b"A" * 10_700_000 + b'"}'
    cases = [
        (b"{nope", "application/json", (422, "capture_payload_invalid", "not_json")),
        (b'{"img": "AAAA"}', "application/json", (422, "capture_payload_invalid", "no_image")),
        (b'{"image": "%%%%"}', "application/json", (422, "capture_payload_invalid",
                                                    "bad_base64")),
        (jpeg(STRANGER), "image/jpeg", (415, "capture_format_invalid", None)),
        (big, "application/json", (413, "image_too_large", None)),
        (vp.generic_json(b"\xff\xd8\xff garbage", site.at()), "application/json",
         (400, "not_an_image", None)),
        (vp.generic_json(jpeg(STRANGER), site.at(3600)), "application/json",
         (422, "capture_time_invalid", "future")),
    ]
    before = site.written(cam)
    for body, kind, want in cases:
        assert error(site.push(cam, token, body, kind)) == want
    assert site.written(cam) == before  # nothing half-written
    assert ok(site.push(cam, token, vp.generic_json(jpeg(STRANGER), site.at()),
                        "application/json"))["unmatched"] == 1


def test_a_standard_camera_still_refuses_json_and_a_json_camera_passes_the_gate_first(
    site: Site,
) -> None:
    cam, token = site.camera("standard")
    body = vp.generic_json(jpeg(STRANGER), site.at())
    assert error(site.push(cam, token, body, "application/json"))[:2] == (
        415, "capture_format_invalid")
    json_cam, json_token = site.camera("generic-json", "side door")
    service.set_camera_enabled(site.rt, json_cam, False, actor="manager")
    assert error(site.push(json_cam, json_token, body, "application/json"))[1] == \
        "camera_disabled"
    assert error(site.push(json_cam, "wrong", body, "application/json"))[1] == \
        "camera_token_invalid"


def test_hikvision_inline_face_capture_xml_and_json_events_make_a_visit(site: Site) -> None:
    cam, token = site.camera("hikvision-isapi")
    person = site.enroll(PERSONS[1])
    xml = vp.hikvision_push(vp.hikvision_xml(site.at()), face=jpeg(PERSONS[1], seed=1),
                            scene=jpeg(STRANGER))
    assert ok(site.push(cam, token, xml, MP))["matched"] == 1  # the face, not the scene
    as_json = vp.hikvision_push(vp.hikvision_json(site.at(2)), face=jpeg(PERSONS[1], seed=2),
                                scene=jpeg(STRANGER), event_type="application/json")
    assert ok(site.push(cam, token, as_json, MP))["visits_recorded"] == 1
    assert site.camera_visits(person) == 1


def test_a_camera_may_send_its_token_as_the_http_basic_password(site: Site) -> None:
    cam, token = site.camera("hikvision-isapi")
    body = vp.hikvision_push(vp.hikvision_xml(site.at()), face=jpeg(STRANGER))
    for user, secret, status in (("admin", token, 200), ("admin", "wrong", 401),
                                 ("", token, 200)):
        reply = site.http.post(f"/api/cameras/{cam}/captures", content=body, auth=(user, secret),
                               headers={"Content-Type": MP})
        assert reply.status_code == status, reply.text
    garbled = site.http.post(f"/api/cameras/{cam}/captures", content=body, headers={
        "Content-Type": MP, "Authorization": "Basic %%%"})
    assert error(garbled)[:2] == (401, "camera_token_invalid")


def test_hikvision_bad_events_get_clear_errors(site: Site) -> None:
    cam, token = site.camera("hikvision-isapi")
    face = jpeg(STRANGER)
    cases = [
        (vp.hikvision_push(vp.hikvision_xml(site.at(), event_type="VMD"), face=face),
         (422, "capture_payload_invalid", "not_face_capture")),
        (vp.hikvision_push(vp.hikvision_xml(site.at())),
         (422, "capture_payload_invalid", "no_picture")),
        (vp.multipart([({"Content-Type": "image/jpeg"}, face)]),
         (422, "capture_payload_invalid", "no_event")),
        (vp.hikvision_push(b"<EventNotificationAlert><eventType>", face=face),
         (422, "capture_payload_invalid", "bad_event")),
    ]
    written = site.written(cam)
    for body, want in cases:
        assert error(site.push(cam, token, body, MP)) == want
    assert site.written(cam) == written
    assert error(site.push(cam, token, face, "image/jpeg"))[:2] == (415,
                                                                    "capture_format_invalid")


def _by_url(site: Site, ipc: Camera, *, host: str | None = None,
            login: tuple[str, str] | None = (CAM_USER, CAM_PASSWORD)) -> tuple[str, str]:
    cam, token = site.camera("hikvision-isapi")
    service.set_camera_profile(site.rt, cam, "hikvision-isapi", actor="test",
                               host=host if host is not None else f"127.0.0.1:{ipc.port}",
                               login=login)
    return cam, token


def _url_event(site: Site, url: str, seconds: float = 0, *, as_json: bool = False) -> bytes:
    if as_json:
        return vp.hikvision_push(vp.hikvision_json(site.at(seconds), face_url=url),
                                 event_type="application/json")
    return vp.hikvision_push(vp.hikvision_xml(site.at(seconds), face_url=url))


def test_hikvision_picture_by_url_is_fetched_from_the_camera_with_digest_auth(
    site: Site, ipc: Camera,
) -> None:
    cam, token = _by_url(site, ipc)
    person = site.enroll(PERSONS[2])
    url = f"{ipc.url}/ISAPI/pictures/ch01_face_0001.jpg"
    assert ok(site.push(cam, token, _url_event(site, url), MP))["matched"] == 1
    ipc.picture = jpeg(PERSONS[2], seed=2)  # the camera's next capture
    same_host_redirect = _url_event(site, f"{ipc.url}/redirect-same", 2, as_json=True)
    assert ok(site.push(cam, token, same_host_redirect, MP))["visits_recorded"] == 1
    assert site.camera_visits(person) == 1
    alone = vp.hikvision_xml(site.at(4), face_url=f"{ipc.url}/ISAPI/pictures/alone.jpg")
    assert ok(site.push(cam, token, alone, "application/xml"))["matched"] == 1
    assert ipc.authorized == ["/ISAPI/pictures/ch01_face_0001.jpg", "/redirect-same",
                              "/ISAPI/pictures/face.jpg", "/ISAPI/pictures/alone.jpg"]
    assert ipc.refused >= 1  # the digest challenge was answered, not skipped


def test_by_url_refuses_other_hosts_schemes_and_redirects_off_the_camera(
    site: Site, ipc: Camera,
) -> None:
    cam, token = _by_url(site, ipc)
    port = ipc.port
    cases = [
        (f"http://127.0.0.2:{port}/ISAPI/pictures/x.jpg", (422, "camera_picture_refused",
                                                           "other_host")),
        (f"http://localhost:{port}/ISAPI/pictures/x.jpg", (422, "camera_picture_refused",
                                                           "other_host")),
        (f"http://127.0.0.1:{port + 1}/ISAPI/pictures/x.jpg", (422, "camera_picture_refused",
                                                               "other_host")),
        (f"ftp://127.0.0.1:{port}/x.jpg", (422, "camera_picture_refused", "scheme")),
        (f"http://admin:x@127.0.0.1:{port}/x.jpg", (422, "camera_picture_refused", "userinfo")),
        (f"{ipc.url}/redirect-off", (502, "camera_picture_unreachable", "redirect_off_host")),
        (f"{ipc.url}/missing", (502, "camera_picture_unreachable", "status")),
        (f"{ipc.url}/huge", (413, "image_too_large", None)),
        (f"{ipc.url}/slow", (504, "camera_picture_timeout", None)),
    ]
    before, written = len(ipc.authorized), site.written(cam)
    for url, want in cases:
        assert error(site.push(cam, token, _url_event(site, url), MP)) == want, url
    assert site.written(cam) == written  # nothing half-written
    # refused URLs were never requested; only the camera's own paths were
    assert ipc.authorized[before:] == ["/redirect-off", "/missing", "/huge", "/slow"]
    assert ok(site.push(cam, token, _url_event(site, f"{ipc.url}/ISAPI/pictures/a.jpg"),
                        MP))["faces"] == 1


def test_by_url_with_a_wrong_login_no_host_or_a_dead_camera_is_a_clear_error(
    site: Site, ipc: Camera,
) -> None:
    url = f"{ipc.url}/ISAPI/pictures/a.jpg"
    wrong, wrong_token = _by_url(site, ipc, login=(CAM_USER, "not-the-password"))
    assert error(site.push(wrong, wrong_token, _url_event(site, url), MP)) == (
        502, "camera_picture_unreachable", "auth")
    no_host, no_host_token = _by_url(site, ipc, host="")
    assert error(site.push(no_host, no_host_token, _url_event(site, url), MP)) == (
        422, "camera_picture_refused", "no_picture_host")
    dead_port = ipc.port
    dead, dead_token = _by_url(site, ipc)
    assert ipc.authorized == []
    with camera_server(CAM_USER, CAM_PASSWORD, b"") as other:
        dead_port = other.port
    service.set_camera_profile(site.rt, dead, "hikvision-isapi", actor="test",
                               host=f"127.0.0.1:{dead_port}")
    gone = f"http://127.0.0.1:{dead_port}/ISAPI/pictures/a.jpg"
    assert error(site.push(dead, dead_token, _url_event(site, gone), MP)) == (
        502, "camera_picture_unreachable", "connect")
    stale = _url_event(site, url, -3 * 86400)  # refused on its time, before any fetch
    assert error(site.push(wrong, wrong_token, stale, MP))[1] == "capture_time_invalid"
    assert ipc.authorized == []


def test_picture_bombs_and_slivers_never_reach_the_detector_in_any_profile(
    site: Site, ipc: Camera,
) -> None:
    json_cam = site.camera("generic-json", "a")
    hik_cam = site.camera("hikvision-isapi", "b")
    url_cam = _by_url(site, ipc)
    dahua_cam = site.camera("dahua", "d")
    engine = site.live.app.deps.engine
    assert isinstance(engine, FakeEngine)
    detected = engine.calls.count("detect")
    for picture, want in ((images.png_bomb(20_000, 20_000), (413, "image_too_large")),
                          (images.png_bomb(1, 16_000_000), (422, "image_shape_refused"))):
        ipc.picture = picture
        replies = [
            site.push(*json_cam, vp.generic_json(picture, site.at()), "application/json"),
            site.push(*hik_cam, vp.hikvision_push(vp.hikvision_xml(site.at()), face=picture),
                      MP),
            site.push(*url_cam, _url_event(site, f"{ipc.url}/ISAPI/pictures/bomb.png"), MP),
            site.push(*dahua_cam, vp.dahua_event(site.at(), face=picture), DAHUA_MP),
        ]
        assert [error(r)[:2] for r in replies] == [want] * 4
    assert engine.calls.count("detect") == detected


def test_dahua_face_detection_events_make_a_visit(site: Site) -> None:
    cam, token = site.camera("dahua")
    person = site.enroll(PERSONS[0])
    snap = vp.dahua_snap(site.at(), scene=jpeg(STRANGER), face=jpeg(PERSONS[0], seed=1))
    assert ok(site.push(cam, token, snap, DAHUA_MP))["matched"] == 1  # the crop, not the scene
    line = vp.dahua_event(site.at(2), face=jpeg(PERSONS[0], seed=2))
    assert ok(site.push(cam, token, line, DAHUA_MP))["visits_recorded"] == 1
    assert site.camera_visits(person) == 1


def test_dahua_bad_events_get_clear_errors(site: Site) -> None:
    cam, token = site.camera("dahua")
    face = jpeg(STRANGER)
    motion = vp.dahua_snap(site.at(), scene=face, face=face, code="VideoMotion")
    heartbeat = vp.multipart([({"Content-Type": "text/plain"}, b"Heartbeat")], "myboundary")
    assert error(site.push(cam, token, motion, DAHUA_MP)) == (
        422, "capture_payload_invalid", "not_face_detection")
    assert error(site.push(cam, token, heartbeat, DAHUA_MP)) == (
        422, "capture_payload_invalid", "no_event")
    assert error(site.push(cam, token, face, "image/jpeg"))[:2] == (415, "capture_format_invalid")
    assert ok(site.push(cam, token, vp.dahua_event(site.at(), face=face),
                        DAHUA_MP))["unmatched"] == 1


def test_no_picture_reaches_disk_or_logs_and_the_login_never_leaves(
    site: Site, ipc: Camera, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
) -> None:
    temp = Path(tempfile.gettempdir())
    temp_before = set(temp.iterdir())
    caplog.set_level(logging.DEBUG)
    face = jpeg(STRANGER)
    json_cam, json_token = site.camera("generic-json", "a")
    hik_cam, hik_token = _by_url(site, ipc)
    dahua_cam, dahua_token = site.camera("dahua", "c")
    ok(site.push(json_cam, json_token, vp.generic_json(face, site.at()), "application/json"))
    ok(site.push(hik_cam, hik_token,
                 vp.hikvision_push(vp.hikvision_xml(site.at()), face=face), MP))
    ok(site.push(hik_cam, hik_token, _url_event(site, f"{ipc.url}/ISAPI/pictures/p.jpg"), MP))
    ok(site.push(dahua_cam, dahua_token, vp.dahua_snap(site.at(), scene=face, face=face),
                 DAHUA_MP))
    site.push(json_cam, json_token, b'{"image": "%%%"}', "application/json")
    site.push(hik_cam, hik_token, _url_event(site, f"{ipc.url}/slow"), MP)
    logged = caplog.text + "".join(capfd.readouterr())
    for needle in ("/9j/", "\\xff\\xd8", "ISAPI/pictures", CAM_PASSWORD, "Digest "):
        assert needle not in logged, needle
    for path in site.live.app.settings.data_dir.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert not any(sig in blob for sig in IMAGE_SIGNATURES), path
            assert CAM_PASSWORD.encode() not in blob and CAM_USER.encode() + b'"' not in blob
    for path in set(temp.iterdir()) - temp_before:
        if path.is_file():
            assert not any(sig in path.read_bytes() for sig in IMAGE_SIGNATURES), path


def test_admins_set_the_profile_and_login_over_the_api_which_never_returns_it(
    site: Site, ipc: Camera,
) -> None:
    app, url = site.live.app, site.live.base_url
    with auth.client(url, app, "manager") as manager, auth.client(url, app, "finance") as other:
        added = manager.post(f"/api/offices/{OFFICE}/cameras", json={
            "name": "东门", "lane": LANE, "alternative": ALTERNATIVE, "profile": "dahua"})
        assert added.status_code == 201 and added.json()["profile"] == "dahua", added.text
        cam = added.json()["id"]
        path = f"/api/cameras/{cam}/profile"
        body = {"profile": "hikvision-isapi", "picture_host": f"127.0.0.1:{ipc.port}",
                "username": CAM_USER, "password": CAM_PASSWORD}
        assert other.put(path, json=body).status_code == 403
        changed = manager.put(path, json=body)
        assert changed.status_code == 200, changed.text
        assert (changed.json()["profile"], changed.json()["has_login"]) == ("hikvision-isapi",
                                                                           True)
        bad = [manager.put(path, json={"profile": "axis"}),
               manager.put(path, json={"profile": "dahua", "picture_host": "http://x/y"}),
               manager.put(path, json={"profile": "dahua", "username": "only-user"})]
        assert [r.status_code for r in bad] == [422, 422, 422]
        assert [r.json()["error"] for r in bad[1:]] == ["camera_profile_invalid"] * 2
        listed = manager.get(f"/api/offices/{OFFICE}/cameras")
        cleared = manager.put(path, json={"profile": "hikvision-isapi", "clear_login": True})
        assert cleared.json()["has_login"] is False
        texts = [added.text, changed.text, listed.text, cleared.text] + [r.text for r in bad]
    assert not any(CAM_PASSWORD in t for t in texts)
    assert listed.json()["cameras"][0]["picture_host"] == f"127.0.0.1:{ipc.port}"
    with app.deps.uow() as uow:
        stored = uow.capture.camera(cam)
        events = [e for e in uow.audit.all() if e.action == "camera_profile_set"]
    assert stored is not None and stored.profile.value == "hikvision-isapi"
    assert [e.detail["login"] for e in events] == ["set", "cleared"]
    assert not any(CAM_PASSWORD in str(e.detail) for e in events)
