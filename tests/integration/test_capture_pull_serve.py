"""Pulls run by serve (fake engine, real HTTP): their frames, matches, visits and tracks show in
serve's own /metrics, the stream URL is shown without credentials, and the gate re-check every
50 frames stops a pull with the reason when the camera is switched off or the impact
assessment no longer covers the face settings."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine, solid_face
from keyuan.adapters.capture import pull as pull_module
from keyuan.adapters.capture.pull import Frame
from keyuan.adapters.capture.pulls import redact
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from support import auth
from support.live import Live, live_server
from support.pia import record_office_pia

from .conftest import png_bytes

OFFICE = "demo-office"
PERSON = (120, 72, 40)


@dataclass
class Site:
    live: Live
    manager: httpx.Client
    camera: str

    def pull(self, source: str = "clip.mp4") -> httpx.Response:
        return self.manager.post(f"/api/cameras/{self.camera}/pull",
                                 json={"source": source, "fps": 2})

    def finished(self) -> dict[str, Any]:
        deadline = time.monotonic() + 30
        while True:
            status: dict[str, Any] = self.manager.get(f"/api/cameras/{self.camera}/pull").json()
            if not status["running"]:
                return status
            assert time.monotonic() < deadline, status
            time.sleep(0.05)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A camera with signage confirmed, named by a republished notice; PERSON enrolled under
    consent to it three hours ago."""
    monkeypatch.setenv("KEYUAN_FACE__MIN_SHARPNESS", "0")  # solid colours have no edges
    with live_server(tmp_path, engine=FakeEngine()) as live:
        deps = live.app.deps
        with auth.client(live.base_url, live.app, "manager") as manager, \
                auth.client(live.base_url, live.app, "compliance") as compliance:
            camera = manager.post(f"/api/offices/{OFFICE}/cameras", json={"name": "stage"})
            assert compliance.post(f"/api/offices/{OFFICE}/signage").status_code == 200
            republished = compliance.post(f"/api/offices/{OFFICE}/notices/republish")
            assert republished.status_code in (200, 201), republished.text
            record_office_pia(deps)  # C23: the assessment covers the camera switched on
            session, notice = kiosk_service.start_session(OFFICE, deps)
            consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
                session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True),
                deps)
            face_service.enroll_face(face_service.EnrollCmd(session.id, consent.id,
                                                            [png_bytes(PERSON)] * 3), deps)
            live.clock.advance(hours=3)
            yield Site(live, manager, camera.json()["id"])


def fake_video(monkeypatch: pytest.MonkeyPatch, frames: int,
               at_frame: Callable[[int], None] = lambda _: None) -> None:
    """The pull reads `frames` frames of PERSON, half a second apart; `at_frame(n)` runs just
    before frame n is handed over (what happens in the office meanwhile)."""
    def file_frames(path: str, fps: float, start: datetime, *,
                    progress: bool = True) -> Iterator[Frame]:
        for n in range(frames):
            at_frame(n)
            yield Frame(start + timedelta(seconds=n / 2), solid_face(PERSON, (160, 160)),
                        time.perf_counter())

    monkeypatch.setattr(pull_module, "file_frames", file_frames)


def test_a_pull_run_by_serve_shows_in_its_metrics_and_records_one_visit(
    site: Site, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_video(monkeypatch, 10)
    started = site.pull()
    assert started.status_code == 202, started.text
    status = site.finished()
    assert (status["frames"], status["matched"], status["visits_recorded"]) == (10, 10, 1)
    assert status["error"] is None and status["finished_at"] is not None
    metrics = httpx.get(f"{site.live.base_url}/metrics").text
    assert 'keyuan_capture_frames_total{source="pull"} 10.0' in metrics
    assert "keyuan_capture_visits_total 1.0" in metrics
    assert "keyuan_capture_tracks 1.0" in metrics  # the pull's track lives in serve
    assert "keyuan_capture_pulls 0.0" in metrics


def test_switching_the_camera_off_stops_a_running_pull_with_the_reason(
    site: Site, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def switch_off(n: int) -> None:
        if n == 20:
            with site.live.app.deps.uow() as uow:
                uow.capture.set_enabled(site.camera, False)
                uow.commit()

    fake_video(monkeypatch, 500, switch_off)
    assert site.pull().status_code == 202
    status = site.finished()
    assert status["frames"] == 50 and "camera_disabled" in status["error"]


def test_a_lapsed_impact_assessment_stops_a_running_pull_with_the_reason(
    site: Site, monkeypatch: pytest.MonkeyPatch,
) -> None:
    deps = site.live.app.deps

    def new_settings_assessed(n: int) -> None:
        if n == 70:  # the latest assessment now covers other face settings than serve's
            other = replace(deps, face=deps.face.model_copy(update={"min_face_px": 90}))
            record_office_pia(other)

    fake_video(monkeypatch, 500, new_settings_assessed)
    assert site.pull().status_code == 202
    status = site.finished()
    assert status["frames"] == 100 and "impact_assessment_stale" in status["error"]


def test_one_pull_per_camera_and_only_managers_run_them(
    site: Site, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_video(monkeypatch, 100_000)
    assert site.pull().status_code == 202
    again = site.pull()
    assert (again.status_code, again.json()["error"]) == (409, "pull_already_running")
    with auth.client(site.live.base_url, site.live.app, "reception") as reception:
        refused = reception.post(f"/api/cameras/{site.camera}/pull", json={"source": "x.mp4"})
        assert refused.status_code == 403
    stopped = site.manager.delete(f"/api/cameras/{site.camera}/pull").json()
    assert stopped["running"] is False and 0 < stopped["frames"] < 100_000
    missing = site.manager.get("/api/cameras/cam_0000000000000000/pull")
    assert (missing.status_code, missing.json()["error"]) == (404, "pull_not_found")


def test_stream_credentials_are_never_shown() -> None:
    assert redact("rtsp://admin:s3cret@10.0.0.5:554/Streaming/Channels/101?transport=tcp") \
        == "rtsp://10.0.0.5:554/Streaming/Channels/101"
    assert redact("/srv/clips/door.mp4") == "/srv/clips/door.mp4"
