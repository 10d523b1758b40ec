"""Pulls run by serve (fake engine, real HTTP) from a live MJPEG stream on loopback: their
frames, matches, visits and tracks show in serve's own /metrics, the stream URL is shown without
credentials, the gate re-check every 50 frames stops a pull with the reason when the camera is
switched off or the impact assessment no longer covers the face settings, and a file or
recorded footage is refused (C13)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.capture.pulls import redact
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from support import auth
from support.cameras import ALTERNATIVE, LANE
from support.images import fake_face
from support.live import Live, live_server
from support.mjpeg import MjpegStream, file_server, jpeg, mjpeg_stream
from support.pia import record_office_pia
from support.sequences import fake_shots

OFFICE = "demo-office"
PERSON = (120, 72, 40)


@dataclass
class Site:
    live: Live
    manager: httpx.Client
    camera: str

    def pull(self, source: str) -> httpx.Response:
        return self.manager.post(f"/api/cameras/{self.camera}/pull",
                                 json={"source": source, "fps": 30})

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = self.manager.get(f"/api/cameras/{self.camera}/pull").json()
        return status

    def until(self, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while not done(status := self.status()):
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
        return status

    def finished(self) -> dict[str, Any]:
        return self.until(lambda status: not status["running"])


@contextmanager
def person_stream(fps: float = 60.0) -> Iterator[MjpegStream]:
    """A live MJPEG stream of PERSON's face on loopback, until the test ends (C13: a pull takes
    live streams only)."""
    frames = [jpeg(fake_face(PERSON, seed)) for seed in range(1, 9)]  # a live camera's
    with mjpeg_stream(frames, fps=fps) as stream:
        yield stream


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A camera with signage confirmed, named by a republished notice; PERSON enrolled under
    consent to it three hours ago."""
    monkeypatch.setenv("KEYUAN_FACE__MIN_SHARPNESS", "0")  # solid colours have no edges
    with live_server(tmp_path, engine=FakeEngine()) as live:
        deps = live.app.deps
        with auth.client(live.base_url, live.app, "manager") as manager, \
                auth.client(live.base_url, live.app, "compliance") as compliance:
            camera = manager.post(f"/api/offices/{OFFICE}/cameras", json={
                "name": "stage", "lane": LANE, "alternative": ALTERNATIVE})
            assert compliance.post(f"/api/offices/{OFFICE}/signage").status_code == 200
            confirmed = compliance.post(f"/api/cameras/{camera.json()['id']}/lane/confirm")
            assert confirmed.status_code == 200, confirmed.text
            assert manager.put(f"/api/cameras/{camera.json()['id']}/enabled",  # registered off
                               json={"enabled": True}).status_code == 200
            republished = compliance.post(f"/api/offices/{OFFICE}/notices/republish")
            assert republished.status_code in (200, 201), republished.text
            record_office_pia(deps)  # C23: the assessment covers the camera switched on
            session, notice = kiosk_service.start_session(OFFICE, deps)
            consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
                session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True),
                deps)
            face_service.enroll_face(face_service.EnrollCmd(session.id, consent.id,
                                                            **fake_shots(PERSON).cmd()), deps)
            live.clock.advance(hours=3)
            # a live stream's frames are timed as received: the clock runs on from here
            start, started = live.clock.now(), time.perf_counter()
            monkeypatch.setattr(live.clock, "now", lambda: start + timedelta(
                seconds=time.perf_counter() - started))
            yield Site(live, manager, camera.json()["id"])


def test_a_pull_run_by_serve_shows_in_its_metrics_and_records_one_visit(site: Site) -> None:
    with person_stream() as stream:
        started = site.pull(stream.url)
        assert started.status_code == 202, started.text
        site.until(lambda status: status["visits_recorded"] == 1 and status["frames"] >= 10)
        stopped = site.manager.delete(f"/api/cameras/{site.camera}/pull")
    status = stopped.json()
    assert status["running"] is False and status["error"] is None, status
    assert status["frames"] == status["matched"] >= 10 and status["visits_recorded"] == 1
    assert status["finished_at"] is not None and status["source"] == stream.url
    metrics = httpx.get(f"{site.live.base_url}/metrics").text
    assert f'keyuan_capture_frames_total{{source="pull"}} {float(status["frames"])}' in metrics
    assert "keyuan_capture_visits_total 1.0" in metrics
    assert "keyuan_capture_tracks 1.0" in metrics  # the pull's track lives in serve
    assert "keyuan_capture_pulls 0.0" in metrics


def test_switching_the_camera_off_stops_a_running_pull_with_the_reason(site: Site) -> None:
    with person_stream() as stream:
        assert site.pull(stream.url).status_code == 202
        site.until(lambda status: status["frames"] >= 5)
        with site.live.app.deps.uow() as uow:
            uow.capture.set_enabled(site.camera, False)
            uow.commit()
        status = site.finished()
    assert status["frames"] % 50 == 0 and "camera_disabled" in status["error"]


def test_a_lapsed_impact_assessment_stops_a_running_pull_with_the_reason(site: Site) -> None:
    deps = site.live.app.deps
    with person_stream() as stream:
        assert site.pull(stream.url).status_code == 202
        site.until(lambda status: status["frames"] >= 5)
        # the latest assessment now covers other face settings than serve's
        record_office_pia(replace(deps, face=deps.face.model_copy(update={"min_face_px": 90})))
        status = site.finished()
    assert status["frames"] % 50 == 0 and "impact_assessment_stale" in status["error"]


def test_one_pull_per_camera_and_only_managers_run_them(site: Site) -> None:
    with person_stream() as stream:
        assert site.pull(stream.url).status_code == 202
        again = site.pull(stream.url)
        assert (again.status_code, again.json()["error"]) == (409, "pull_already_running")
        with auth.client(site.live.base_url, site.live.app, "reception") as reception:
            refused = reception.post(f"/api/cameras/{site.camera}/pull",
                                     json={"source": stream.url})
            assert refused.status_code == 403
        site.until(lambda status: status["frames"] >= 1)
        stopped = site.manager.delete(f"/api/cameras/{site.camera}/pull").json()
    assert stopped["running"] is False and stopped["frames"] > 0
    missing = site.manager.get("/api/cameras/cam_0000000000000000/pull")
    assert (missing.status_code, missing.json()["error"]) == (404, "pull_not_found")


@pytest.mark.parametrize("source", ["clip.mp4", "/srv/nvr/export/door.dav",
                                    "file:///srv/clips/door.mp4",
                                    "http://127.0.0.1:9/records/door.mp4"])
def test_c13_serve_refuses_to_pull_a_file_or_recorded_footage(site: Site, source: str) -> None:
    refused = site.pull(source)
    assert (refused.status_code, refused.json()["error"]) == (422, "capture_source_not_live")
    assert refused.json()["message"]
    missing = site.manager.get(f"/api/cameras/{site.camera}/pull")
    assert missing.json()["error"] == "pull_not_found"  # nothing started
    with site.live.app.deps.uow() as uow:
        assert not [e for e in uow.audit.all() if e.action == "camera_pull_started"]


def test_c13_a_video_file_served_over_http_is_refused_as_recorded_footage(
    site: Site, face_root: Path,
) -> None:
    """Even behind a URL that does not look like a file: it declares a length, a live stream
    has none."""
    clip = (face_root / "video" / "short_hamilton_clip.mp4").read_bytes()
    with file_server(clip) as url:
        assert site.pull(url).status_code == 202
        status = site.finished()
    assert status["frames"] == 0 and "recorded footage" in status["error"]


def test_stream_credentials_are_never_shown() -> None:
    assert redact("rtsp://admin:s3cret@10.0.0.5:554/Streaming/Channels/101?transport=tcp") \
        == "rtsp://10.0.0.5:554/Streaming/Channels/101"
    assert redact("0") == "0"
