"""`keyuan serve` as a user runs it: a separate process on a free port, real HTTP, real SQLite,
real dlib; a restart keeps every committed template and rebuilds the gallery from the vault."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from support.challenge import WITHOUT_CHALLENGE_ENV
from support.devices import pair_with_cli
from support.live import free_port
from support.sequences import identity_photos, photo_shots

pytestmark = pytest.mark.slow
KEYUAN = [sys.executable, "-m", "keyuan.cli.main"]


def serve_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "KEYUAN_DATA_DIR": str(data_dir), "KEYUAN_ENVIRONMENT": "test",
            "KEYUAN_DEMO": "1", "KEYUAN_SECRET_KEY": "e2e-secret-key-0123456789",
            "KEYUAN_OTP_RESEND_SECONDS": "0", **WITHOUT_CHALLENGE_ENV}


@contextmanager
def serve(data_dir: Path, startup: list[str] | None = None) -> Iterator[str]:
    """`keyuan serve` on a free port; `startup` receives what it printed before serving."""
    port = free_port()
    proc = subprocess.Popen([*KEYUAN, "serve", "--port", str(port)], env=serve_env(data_dir),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not answer within 60 s")
            time.sleep(0.2)
        while startup is not None and proc.stdout is not None:
            startup.append(line := proc.stdout.readline())
            if not line or line.startswith("keyuan serving on"):
                break
        yield base
    finally:
        proc.send_signal(signal.SIGKILL)  # the harshest stop: nothing committed may be lost
        proc.wait(timeout=10)


def outbox_code(data_dir: Path) -> str:
    env = {**os.environ, "KEYUAN_DATA_DIR": str(data_dir)}
    out = subprocess.run([*KEYUAN, "outbox", "--limit", "1"], env=env, capture_output=True,
                         text=True, check=True).stdout
    return out.split("验证码 ")[1][:6]


def test_serve_checks_in_by_face_and_phone_and_survives_a_kill(
        tmp_path: Path, face_root: Path) -> None:
    live_face = photo_shots(identity_photos(face_root, "df_id01")).wire()  # a live sequence
    with serve(tmp_path) as base, httpx.Client(base_url=base, timeout=60) as http:
        tablet = pair_with_cli(base, serve_env(tmp_path))  # the reception tablet
        http.headers.update(tablet)
        s = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
        sid, notice_hash = s["session_id"], s["notice"]["content_hash"]
        consent = http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": notice_hash, "age_14_or_over": True, "agree": True}).json()
        r = http.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                      json={"consent_id": consent["receipt_id"], **live_face})
        assert r.status_code == 201, r.text
        p = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
        http.post(f"/api/kiosk/sessions/{p['session_id']}/phone-code",
                  json={"mobile": "13800138000"}).raise_for_status()
        done = http.post(f"/api/kiosk/sessions/{p['session_id']}/phone-check-in", json={
            "mobile": "13800138000", "code": outbox_code(tmp_path), "agree": True,
            "notice_hash": notice_hash})
        assert done.status_code == 201, done.text

    startup: list[str] = []
    with serve(tmp_path, startup) as base, httpx.Client(base_url=base, timeout=60) as http:
        http.headers.update(tablet)  # still paired after the kill and restart
        assert any(line.startswith("gallery: 1 consented") for line in startup), startup
        assert http.get("/healthz").json() == {"status": "up"}  # no counts for anyone
        s = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
        back = http.post(f"/api/kiosk/sessions/{s['session_id']}/return",
                         json={"receipt_id": consent["receipt_id"], **photo_shots(
                             identity_photos(face_root, "df_id01"), skip=3).wire()})
        assert back.status_code == 201, back.text


def test_serve_answers_pages_and_their_assets(tmp_path: Path) -> None:
    """The pages work from the installed package: templates, catalog and static files found."""
    html = {"Accept": "text/html"}
    with serve(tmp_path) as base, httpx.Client(base_url=base, timeout=60) as http:
        home = http.get("/", headers=html)
        english = http.get("/?lang=en", headers=html)
        login = http.get("/login", headers=html)
        staff_page = http.get("/dashboard", headers=html)
        css = http.get("/static/app.css")
        js = http.get("/static/app.js")
    assert home.status_code == 200 and '<html lang="zh-CN">' in home.text and "客源" in home.text
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert login.status_code == 200 and 'for="username"' in login.text
    assert staff_page.status_code == 303 and staff_page.headers["location"].startswith("/login")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert js.status_code == 200 and "keyuan" in js.text


def test_c18_serve_starts_the_purge_scheduler_and_reports_it(tmp_path: Path) -> None:
    with serve(tmp_path) as base, httpx.Client(base_url=base, timeout=60) as http:
        deadline = time.monotonic() + 30
        while True:  # the first run starts with the server; it may still be running
            metrics = http.get("/metrics").text
            if "keyuan_retention_runs_total 1.0" in metrics or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        home = http.get("/", headers={"Accept": "text/html"}).text
    assert "keyuan_retention_scheduler_running 1.0" in metrics
    assert "keyuan_retention_runs_total 1.0" in metrics
    assert "keyuan_retention_failures_total 0.0" in metrics
    assert 'class="demo-banner"' in home  # KEYUAN_DEMO=1, as `make run` serves
