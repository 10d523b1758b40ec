"""C6 across real processes, on SQLite and PostgreSQL: `keyuan serve` (one capture worker) and a
separate `keyuan capture pull` of a live MJPEG stream (one worker of its own) both hold the
gallery; while both are idle — no frame anywhere — a withdrawal through the API and then a
`keyuan purge` from the command line reach every copy: each process's in-memory gallery, the
shared-memory segment its workers are handed (the superseded one unlinked from /dev/shm, mapped
by no worker), and a frame of the withdrawn person matches no one. Nothing is left in /dev/shm
once both have stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.capture.shared_gallery import segments_of
from keyuan.adapters.clock import FakeClock
from keyuan.bootstrap import App, build
from keyuan.config.settings import Settings
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.services.capture import service
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.compliance import notices
from support import postgres
from support.cameras import lane_camera
from support.live import free_port
from support.pia import record_office_pia
from support.sequences import Shots, identity_photos, photo_shots
from support.shm import children, mapped_segments, segment_keys

pytestmark = [pytest.mark.slow, pytest.mark.faces]
KEYUAN = [sys.executable, "-m", "keyuan.cli.main"]
SECRET = "e2e-c6-secret-0123456789"
OFFICE = "demo-office"
FOLLOW_DEADLINE_S = 20.0  # generous for a loaded machine: the claim is "no copy survives"
PERSON_PHOTO = "Jackie_Chan"
SEEN_PERSON = "df_id01"
"""Who the camera sees ("the astronaut" below, who withdraws): enrolled from three distinct photos
of her (a live sequence), the camera films one of them."""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    with postgres.fresh_database(postgres.admin_url()) as url:
        yield url


def env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    values = {**os.environ, "KEYUAN_DATA_DIR": str(data_dir), "KEYUAN_ENVIRONMENT": "test",
              "KEYUAN_DEMO": "1", "KEYUAN_SECRET_KEY": SECRET, "KEYUAN_CAPTURE__WORKERS": "1"}
    if database_url:
        values["KEYUAN_DATABASE_URL"] = database_url
    return values


@dataclass
class Enrolled:
    camera: str
    token: str
    astronaut: str  # the consent (receipt) id
    astronaut_person: str
    other_person: str


def prepare(data_dir: Path, database_url: str | None, seen: list[Path],
            other: list[Path]) -> Enrolled:
    """The store, a camera with its signage and assessment, and two people enrolled ten days
    ago: the astronaut (who will withdraw) and another (whom `keyuan purge` will take)."""
    subprocess.run([*KEYUAN, "init", "--demo"], env=env(data_dir, database_url), check=True,
                   capture_output=True)
    settings = Settings(data_dir=data_dir, environment="test", secret_key=SECRET, demo=True,
                        database_url=database_url,  # type: ignore[arg-type]
                        capture={"workers": 1})
    app = build(settings)
    try:
        rt = CaptureRuntime.build(app.deps, settings.capture, SECRET)
        camera, token = lane_camera(rt, OFFICE, "entrance", actor="e2e")  # C11: its lane, confirmed
        service.confirm_signage(rt, OFFICE, actor="e2e")
        notices.republish(OFFICE, app.deps, actor="e2e")  # the notice names the lane first
        record_office_pia(app.deps)  # C23: the assessment covers the camera
    finally:
        app.close()
    app = build(settings, clock=FakeClock(datetime.now(UTC) - timedelta(days=10)))
    try:
        astronaut = _enroll(app, photo_shots(seen))  # distinct photos: a live sequence
        purged = _enroll(app, photo_shots(other))
        return Enrolled(camera.id, token, astronaut[0], astronaut[1], purged[1])
    finally:
        app.close()


def _enroll(app: App, live_face: Shots) -> tuple[str, str]:
    deps = app.deps
    session, notice = kiosk_service.start_session(OFFICE, deps)
    consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
        session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True), deps)
    face_service.enroll_face(face_service.EnrollCmd(session.id, consent.id, **live_face.cmd()),
                             deps)
    return consent.id, consent.person_id


class Stream:
    """A live MJPEG camera on loopback: while `showing` is set it sends a frame of the astronaut
    every 0.2 s on any connection, her photos in turn (one picture sent again and again is not a
    live person to the lane: no visit); cleared, the stream stays open with nothing on it (the
    pull waits, idle)."""

    def __init__(self, frames: list[bytes]) -> None:
        self._parts = [b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                       % len(frame) + frame + b"\r\n" for frame in frames]
        self.showing = threading.Event()
        self._closed = threading.Event()
        stream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                sent = 0
                try:
                    while not stream._closed.wait(0.2):
                        if stream.showing.is_set():
                            self.wfile.write(stream._parts[sent % len(stream._parts)])
                            self.wfile.flush()
                            sent += 1
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}/stream"

    def close(self) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()


def quiet(pid: int, seconds: float = 2.0) -> bool:
    """No worker of `pid` maps a segment for `seconds` on end: no frame is being searched (the
    drop-oldest queue's few frames are answered; nothing more comes)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(mapped_segments(child) for child in children(pid)):
            return False
        time.sleep(0.05)
    return True


def start_serve(data_dir: Path, database_url: str | None,
                log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen([*KEYUAN, "serve", "--port", str(port)],
                                env=env(data_dir, database_url), stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(base, proc), 120)
    return proc, base


def _answers(base: str, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, "serve exited"
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_until(condition: Callable[[], bool], seconds: float = FOLLOW_DEADLINE_S,
               what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)


def metric(base: str, name: str) -> float:
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def push(base: str, who: Enrolled, at: datetime, frame: bytes) -> dict[str, int]:
    answer = httpx.post(f"{base}/api/cameras/{who.camera}/captures", content=frame,
                        headers={"Authorization": f"Bearer {who.token}",
                                 "Content-Type": "image/jpeg", "X-Capture-Time": at.isoformat()},
                        timeout=120)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _running(proc: subprocess.Popen[bytes], err: Path) -> bool:
    assert proc.poll() is None, f"the pull exited: {err.read_text('utf-8')[-2000:]}"
    return True


def camera_visits(store: App) -> int:
    with store.deps.uow() as uow:
        return sum(v.method is VisitMethod.CAMERA for v in uow.visits.for_office(OFFICE))


def holds(pid: int, person: str) -> bool:
    """Whether any gallery segment process `pid` publishes still names `person`."""
    return any(person in segment_keys(name) for name in segments_of(pid))


def copies_followed(pid: int, superseded: set[str], people: int, gone: str) -> bool:
    """The process's superseded segments are unlinked, what it publishes now holds `people`
    templates and not `gone`'s, and none of its workers (idle) maps any segment."""
    current = segments_of(pid)
    return (not superseded & set(current) and all(len(segment_keys(n)) == people
                                                  for n in current)
            and not holds(pid, gone)
            and all(mapped_segments(child) == [] for child in children(pid)))


def test_c6_withdrawal_and_cli_purge_reach_every_idle_copy(
    tmp_path: Path, database_url: str | None, east_asian_root: Path, face_root: Path,
) -> None:
    seen = identity_photos(face_root, SEEN_PERSON)
    frame = seen[0].read_bytes()  # one picture of her: it matches, but alone it is no visit
    other = sorted((east_asian_root / "identities" / PERSON_PHOTO).glob("*.jpg"))
    data_dir = tmp_path / "data"
    who = prepare(data_dir, database_url, seen, other)
    serve, base = start_serve(data_dir, database_url, tmp_path / "serve.log")
    stream = Stream([photo.read_bytes() for photo in seen])
    pull_err = tmp_path / "pull.err"
    pull: subprocess.Popen[bytes] | None = None
    store = build(Settings(data_dir=data_dir, environment="test", secret_key=SECRET,
                           database_url=database_url),  # type: ignore[arg-type]
                  migrate_db=False)
    try:
        with pull_err.open("wb") as err:
            pull = subprocess.Popen([*KEYUAN, "capture", "pull", stream.url, "--camera",
                                     who.camera, "--fps", "5"], env=env(data_dir, database_url),
                                    stdout=subprocess.DEVNULL, stderr=err)
        stream.showing.set()  # the astronaut at the door: a visit once two frames agree
        wait_until(lambda: _running(pull, pull_err) and camera_visits(store) == 1, 300,
                   "the pull's visit")
        stream.showing.clear()  # nobody at the door from here on
        wait_until(lambda: quiet(pull.pid), 120, "the pull's last frames answered")
        assert push(base, who, datetime.now(UTC), frame)["matched"] == 1  # serve's worker
        assert metric(base, "keyuan_gallery_templates") == 2
        serve_old, pull_old = set(segments_of(serve.pid)), set(segments_of(pull.pid))
        assert holds(serve.pid, who.astronaut_person) and holds(pull.pid, who.astronaut_person)

        withdrawn = httpx.post(f"{base}/api/receipts/{who.astronaut}/withdraw", timeout=30)
        assert withdrawn.status_code == 200, withdrawn.text

        wait_until(lambda: copies_followed(serve.pid, serve_old, 1, who.astronaut_person),
                   what="serve's copies after the withdrawal")
        wait_until(lambda: copies_followed(pull.pid, pull_old, 1, who.astronaut_person),
                   what="the pull's copies after the withdrawal")
        assert metric(base, "keyuan_gallery_templates") == 1
        assert metric(base, "keyuan_capture_shared_gallery_templates") == 1
        wait_until(lambda: "1 templates" in pull_err.read_text("utf-8"))
        seen_now = push(base, who, datetime.now(UTC) + timedelta(minutes=1), frame)
        assert (seen_now["matched"], seen_now["unmatched"]) == (0, 1)

        serve_old, pull_old = set(segments_of(serve.pid)), set(segments_of(pull.pid))
        purged = subprocess.run([*KEYUAN, "purge", "--no-deal-days", "5"],
                                env=env(data_dir, database_url), capture_output=True, text=True)
        assert purged.returncode == 0, purged.stderr

        wait_until(lambda: copies_followed(serve.pid, serve_old, 0, who.other_person),
                   what="serve's copies after the purge")
        wait_until(lambda: copies_followed(pull.pid, pull_old, 0, who.other_person),
                   what="the pull's copies after the purge")
        assert metric(base, "keyuan_gallery_templates") == 0
        wait_until(lambda: "0 templates" in pull_err.read_text("utf-8"))
    finally:
        store.close()
        stopped = [p for p in (pull, serve) if p is not None]
        for proc in stopped:
            proc.send_signal(signal.SIGINT if proc is pull else signal.SIGTERM)
        for proc in stopped:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        stream.close()
    wait_until(lambda: segments_of(serve.pid) == [] and segments_of(pull.pid) == [])
