"""`keyuan serve` as a separate process, real dlib, cameras pushing over HTTP: a `kill -9`
mid-stream loses no acknowledged visit (acknowledged = a 2xx saying a visit was recorded), and
the gallery its worker processes shared leaves nothing in /dev/shm once the next start swept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.capture.shared_gallery import remove_stale, segments_of
from keyuan.bootstrap import build
from keyuan.config.settings import Settings
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.services.capture import service
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.compliance import notices
from support.cameras import lane_camera
from support.live import free_port
from support.pia import record_office_pia
from support.sequences import identity_photos, photo_shots

pytestmark = pytest.mark.slow
KEYUAN = [sys.executable, "-m", "keyuan.cli.main"]
SECRET = "e2e-capture-secret-0123456789"
OFFICE = "demo-office"


def env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "KEYUAN_DATA_DIR": str(data_dir), "KEYUAN_ENVIRONMENT": "test",
            "KEYUAN_DEMO": "1",
            "KEYUAN_SECRET_KEY": SECRET, "KEYUAN_CAPTURE__VISIT_WINDOW_MINUTES": "1"}


PERSON = "df_id01"
"""Enrolled from three of her photos (a live sequence); the camera sees two of them in turn."""


def prepare(data_dir: Path, photos: list[Path]) -> tuple[str, str]:
    """Init the store, enroll a person under consent, register a camera, confirm signage."""
    subprocess.run([*KEYUAN, "init"], env=env(data_dir), check=True, capture_output=True)
    settings = Settings(data_dir=data_dir, environment="test", secret_key=SECRET, demo=True,
                        capture={"visit_window_minutes": 1})  # as serve runs: one assessment
    app = build(settings)
    try:
        deps = app.deps
        rt = CaptureRuntime.build(deps, settings.capture, SECRET)
        camera, token = lane_camera(rt, OFFICE, "entrance", actor="e2e")
        service.confirm_signage(rt, OFFICE, actor="e2e")
        notices.republish(OFFICE, deps, actor="e2e")  # the notice names the lane first
        record_office_pia(deps)  # C23: the assessment covers the camera
        session, notice = kiosk_service.start_session(OFFICE, deps)
        consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
            session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True), deps)
        face_service.enroll_face(face_service.EnrollCmd(
            session.id, consent.id, **photo_shots(photos).cmd()), deps)
        return camera.id, token
    finally:
        app.close()


def start_serve(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen([*KEYUAN, "serve", "--port", str(port)], env=env(data_dir),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("serve did not answer within 60 s")


def test_kill_9_mid_stream_loses_no_acknowledged_visit(tmp_path: Path, face_root: Path) -> None:
    photos = identity_photos(face_root, PERSON)
    camera_id, token = prepare(tmp_path, photos)
    proc, base = start_serve(tmp_path)
    seen = [p.read_bytes() for p in photos[:2]]  # two sightings of her, not one still
    acknowledged: list[datetime] = []  # first-sighting times of visits the server confirmed
    stop = threading.Event()
    start = datetime.now(UTC) - timedelta(hours=20)

    def camera() -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            for n in range(10_000):
                if stop.is_set():
                    return
                first = start + timedelta(minutes=2 * n)  # each pair: a new visit (1 min window)
                for offset in (0, 1):
                    at = (first + timedelta(seconds=offset)).isoformat()
                    try:
                        r = http.post(f"/api/cameras/{camera_id}/captures", content=seen[offset],
                                      headers={"Authorization": f"Bearer {token}",
                                               "Content-Type": "image/jpeg",
                                               "X-Capture-Time": at})
                    except httpx.TransportError:
                        return  # killed mid-request: not acknowledged
                    if r.status_code == 200 and r.json()["visits_recorded"]:
                        acknowledged.append(first)

    pusher = threading.Thread(target=camera)
    pusher.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert segments_of(proc.pid), "serve matched in its worker processes (shared gallery)"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    stop.set()
    pusher.join(timeout=30)
    assert len(acknowledged) >= 5
    remove_stale()  # what the next start does, should the resource tracker not have
    assert segments_of(proc.pid) == []

    app = build(Settings(data_dir=tmp_path, environment="test", secret_key=SECRET))
    try:
        with app.deps.uow() as uow:
            stored = {v.at for v in uow.visits.for_office(OFFICE)
                      if v.method is VisitMethod.CAMERA}
    finally:
        app.close()
    assert set(acknowledged) <= stored
