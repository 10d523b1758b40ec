"""Camera vendor profiles against a real `keyuan serve` process with the dlib engine: a generic
JSON push and Hikvision pushes whose picture is fetched by URL from a local server playing the
camera (digest auth checked there) are processed; a slow camera, another host and a malformed
event get their errors; and serve's whole log (stdout and stderr: uvicorn, access log, our
handlers, httpx) holds no picture, no picture URL, no digest exchange and not the camera's
password, and the data directory no picture."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.bootstrap import build, prepare_data_dir
from keyuan.config.capture import CaptureSettings
from keyuan.config.settings import Settings
from keyuan.services.capture import service
from keyuan.services.compliance import notices
from support import images
from support import vendor_payloads as vp
from support.camera_server import camera_server
from support.cameras import lane_camera
from support.live import free_port
from support.offices import set_up_office
from support.pia import record_office_pia

pytestmark = pytest.mark.slow
KEYUAN = [sys.executable, "-m", "keyuan.cli.main"]
SECRET = "e2e-vendors-secret-0123456789"
OFFICE = "demo-office"
USER, PASSWORD = "admin", "Cam-Passw0rd-e2e-91"
MP = f"multipart/form-data; boundary={vp.BOUNDARY}"
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def set_up(data_dir: Path, camera_port: int) -> dict[str, tuple[str, str]]:
    """The office, a generic-JSON camera and a Hikvision camera whose pictures come by URL from
    127.0.0.1:`camera_port`, every gate open; made before serving."""
    settings = Settings(data_dir=data_dir, environment="test", secret_key=SECRET,
                        capture=CaptureSettings(workers=0))  # type: ignore[arg-type]
    prepare_data_dir(settings)
    app = build(settings)
    try:
        set_up_office(app.deps)
        rt = CaptureRuntime.build(app.deps, settings.capture, SECRET)
        json_cam, json_token = lane_camera(rt, OFFICE, "东门", profile="generic-json")
        hik_cam, hik_token = lane_camera(rt, OFFICE, "西门")
        service.set_camera_profile(rt, hik_cam.id, "hikvision-isapi", actor="test",
                                   host=f"127.0.0.1:{camera_port}", login=(USER, PASSWORD))
        service.confirm_signage(rt, OFFICE, actor="test")
        notices.republish(OFFICE, app.deps, actor="dpo")
        record_office_pia(app.deps)
        rt.close()
        return {"json": (json_cam.id, json_token), "hik": (hik_cam.id, hik_token)}
    finally:
        app.close()


def test_vendor_pushes_through_serve_leave_no_picture_url_or_login_in_its_log(
    tmp_path: Path,
) -> None:
    picture = images.encode(images.astronaut())
    data_dir = tmp_path / "data"
    with camera_server(USER, PASSWORD, picture) as ipc:
        cams = set_up(data_dir, ipc.port)
        port, log_file = free_port(), tmp_path / "serve.log"
        env = {**os.environ, "KEYUAN_DATA_DIR": str(data_dir), "KEYUAN_ENVIRONMENT": "test",
               "KEYUAN_SECRET_KEY": SECRET, "KEYUAN_CAPTURE__WORKERS": "0",
               "KEYUAN_CAPTURE__PICTURE_FETCH_TIMEOUT_SECONDS": "1"}
        with log_file.open("w") as log:
            proc = subprocess.Popen([*KEYUAN, "serve", "--port", str(port)], env=env,
                                    stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, proc)
            with httpx.Client(base_url=base, timeout=60) as http:
                answers = _pushes(http, cams, ipc.url)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        fetched = list(ipc.authorized)

    assert answers[0] == (200, 1), "the JSON picture's face was found"
    assert answers[1] == (200, 1), "the picture fetched by URL was processed"
    assert answers[2:] == [(504, "camera_picture_timeout"), (422, "camera_picture_refused"),
                           (422, "capture_payload_invalid")]
    assert fetched == ["/ISAPI/pictures/ch01_0001.jpg", "/slow"]
    text = log_file.read_text("utf-8")
    assert "Uvicorn running" in text or "Application startup complete" in text, text[-2000:]
    for needle in ("/9j/", "\\xff\\xd8", "ISAPI/pictures", "/slow", PASSWORD, "Digest ",
                   "/captures"):
        assert needle not in text, needle
    for path in data_dir.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert not any(sig in blob for sig in SIGNATURES), path
            assert PASSWORD.encode() not in blob, path


def _pushes(http: httpx.Client, cams: dict[str, tuple[str, str]],
            camera_url: str) -> list[tuple[int, object]]:
    now = datetime.now(UTC)
    picture = images.encode(images.astronaut())

    def push(which: str, body: bytes, kind: str) -> httpx.Response:
        cam, token = cams[which]
        return http.post(f"/api/cameras/{cam}/captures", content=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": kind})

    def hik(url: str) -> httpx.Response:
        return push("hik", vp.hikvision_push(vp.hikvision_xml(now, face_url=url)), MP)

    replies = [push("json", vp.generic_json(picture, now), "application/json"),
               hik(f"{camera_url}/ISAPI/pictures/ch01_0001.jpg"),
               hik(f"{camera_url}/slow"),
               hik("http://192.0.2.10/ISAPI/pictures/elsewhere.jpg"),
               push("json", b'{"image": 42}', "application/json")]
    return [(r.status_code, r.json()["faces"] if r.status_code == 200 else r.json()["error"])
            for r in replies]


def wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("serve exited before answering")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("serve did not answer within 120 s")
