"""A real uvicorn server on a free loopback port, in a thread, for API tests over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn

from keyuan.adapters.clock import FakeClock
from keyuan.adapters.sms.outbox import MemorySender
from keyuan.bootstrap import App, build, prepare_data_dir
from keyuan.config.settings import Settings
from keyuan.domain.checkin.liveness import Step
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.faces.landmarks import Landmarker
from keyuan.web.app import create_app
from support import stores
from support.challenge import liveness_for
from support.devices import kiosk_client
from support.offices import set_up_office
from support.pia import record_office_pia
from support.sequences import landmarker_for


class TickingClock(FakeClock):
    """A fake clock that also moves with real time (and still jumps when told to): for a test
    whose browser makes the server wait as a person does — a liveness challenge's answer is
    refused when its frames claim longer than the server saw pass since the challenge was
    issued (`liveness.check_server_time`)."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=time.monotonic() - self._started)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    base_url: str
    app: App
    sender: MemorySender
    clock: FakeClock

    def last_code(self) -> str:
        return self.sender.sent[-1][1].split("验证码 ")[1][:6]


@contextmanager
def live_server(
    data_dir: Path, *, engine: FaceEngine | None, face_module: str = "on",
    database_url: str | None = None, assess: bool = True, prepared: bool = False,
    configured_sender: bool = False, office: bool = True, landmarker: Landmarker | None = None,
    challenge_steps: Callable[[], tuple[Step, ...]] | None = None, ticking: bool = False,
    liveness: Mapping[str, object] | None = None, **overrides: object,
) -> Iterator[Live]:
    """`prepared`: the store already exists; neither migrate nor write to it at start.
    `configured_sender`: the SMS sender of the settings (`sms=…`), not a `MemorySender`.
    `office`: set up the office "demo-office" and its complete legal entity (as an admin
    would, `support.offices`); without it the store holds no office. `landmarker`,
    `challenge_steps`: as `bootstrap.build` takes them (a fake landmarker; a fixed liveness
    challenge for a test that plays a recorded sequence). `ticking`: the server's clock moves
    with real time too (`TickingClock`), as a browser that answers a liveness challenge needs.
    `liveness`: the liveness settings; none given, the challenge is off
    (`support.challenge.WITHOUT_CHALLENGE`)."""
    if database_url is None and not prepared and "vault_path" not in overrides:
        stores.seed_sqlite(data_dir)  # at the head migration already
    settings = Settings(
        data_dir=data_dir, environment="test", secret_key="test-secret-key-0123456789",
        face_module=face_module, database_url=database_url, liveness=liveness_for(liveness),
        **overrides,  # type: ignore[arg-type]
    )
    prepare_data_dir(settings)
    start = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    clock = TickingClock(start) if ticking else FakeClock(start)
    sender = MemorySender()
    app = build(settings, clock=clock, engine=engine, sender=None if configured_sender else sender,
                migrate_db=not prepared,
                landmarker=landmarker if landmarker is not None else landmarker_for(engine),
                challenge_steps=challenge_steps)
    if office and not prepared:
        set_up_office(app.deps)
    if assess and not prepared:
        record_office_pia(app.deps)  # C23: the office's own assessment
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(app), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", app, sender, clock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.close()


def mobile_check_in(live: Live, mobile: str, *, name: str | None = None,
                    office_id: str = "demo-office") -> dict[str, Any]:
    """A visitor checks in by mobile at the kiosk, over the kiosk API (code from the SMS
    outbox), from a tablet paired for the office: returns the check-in (`at`,
    `receipt.receipt_id`, …)."""
    with kiosk_client(live, office_id, timeout=30) as http:
        session = http.post("/api/kiosk/sessions", json={"office_id": office_id}).json()
        sid = session["session_id"]
        sent = http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": mobile})
        assert sent.status_code == 202, sent.text
        visit = http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
            "mobile": mobile, "code": live.last_code(), "agree": True, "name": name,
            "notice_hash": session["notice"]["content_hash"]})
        assert visit.status_code == 201, visit.text
        return dict(visit.json())
