"""Load benchmark: N clients run mobile check-ins (session → code → check-in) and channel
registrations against a live `keyuan serve` process for a fixed time, on SQLite and on
PostgreSQL, and the figures are printed side by side: requests/s, p50/p99 per request kind and
errors. The codes are read from the outbox table the demo SMS sender writes, as reception
would; that read is not timed.

The server is a separate process (as in an office), started on a scratch data dir or a scratch
PostgreSQL database that is dropped afterwards, with the face module off: this measures the
store and the web stack, not the face engine (`keyuan bench engine` does that). Every client
speaks as one paired kiosk tablet, with the per-address and per-tablet limits lifted: the bench
measures throughput, not the throttles."""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import OperationalError

from keyuan.adapters.store.tables.checkin import outbox
from keyuan.api.guard import DEVICE_HEADER
from keyuan.bootstrap import build, prepare_data_dir
from keyuan.config.settings import Settings
from keyuan.demo.office import default_office, ensure_demo_office
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.accounts.service import AddUserCmd, SessionConfig, add_user, login
from keyuan.services.attribution.registration import create_channel
from keyuan.services.checkin import devices

Out = Callable[[str], object]
PG_ADMIN_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"
PASSWORD = "bench load password 1"
KINDS = ("session", "code", "check_in", "registration")
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


@dataclass
class Figures:
    """What one store did under load."""

    store: str
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + sum(self.errors.values())

    def percentile(self, kind: str, q: float) -> float:
        values = sorted(self.latencies.get(kind, []))
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(q * len(values)))]

    def overall(self, q: float) -> float:
        values = sorted(v for vs in self.latencies.values() for v in vs)
        return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


@dataclass(frozen=True)
class Target:
    base: str
    database_url: str
    office_id: str
    channel_id: str
    token: str
    tablet: str  # the device token of the one paired kiosk tablet every client speaks as


def run_load_bench(*, clients: int, seconds: float, stores: list[str], out: Out = print,
                   pg_admin_url: str = PG_ADMIN_URL) -> list[Figures]:
    results: list[Figures] = []
    for store in stores:
        try:
            with _server(store, pg_admin_url) as target:
                out(f"{store}: {clients} clients for {seconds:.0f} s against {target.base}")
                results.append(_drive(store, target, clients, seconds))
        except _Unavailable as why:
            out(f"{store}: skipped ({why})")
    _print(results, clients, out)
    return results


class _Unavailable(Exception):
    pass


def _drive(store: str, target: Target, clients: int, seconds: float) -> Figures:
    figures = Figures(store=store, seconds=seconds)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    codes = create_engine(target.database_url)

    def client(index: int) -> None:
        rnd = random.Random(index)
        with httpx.Client(base_url=target.base, timeout=30,
                          headers={DEVICE_HEADER: target.tablet}) as http:
            turn = index
            while time.perf_counter() < deadline:
                turn += 1
                if turn % 2:
                    _check_in(http, target, codes, rnd, figures, lock)
                else:
                    _register(http, target, rnd, figures, lock)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.seconds = time.perf_counter() - started
    codes.dispose()
    return figures


def _timed(http: httpx.Client, kind: str, figures: Figures, lock: threading.Lock,
           path: str, body: dict[str, object], expect: int,
           headers: dict[str, str] | None = None) -> dict[str, object] | None:
    start = time.perf_counter()
    try:
        response = http.post(path, json=body, headers=headers)
    except httpx.HTTPError as exc:
        with lock:
            figures.errors[f"{kind}: {type(exc).__name__}"] += 1
        return None
    elapsed = time.perf_counter() - start
    with lock:
        if response.status_code == expect:
            figures.latencies[kind].append(elapsed)
        else:
            figures.errors[f"{kind}: {response.status_code}"] += 1
            return None
    payload: dict[str, object] = response.json()
    return payload


# Every bench client calls from 127.0.0.1: the per-address limits would stop the bench, not
# measure it (the limiter still runs on every request; per-number limits hold with random numbers).
UNTHROTTLED = {f"KEYUAN_LIMITS__{name}": json.dumps({"limit": 10**6, "window_seconds": 60})
               for name in ("KIOSK_SESSIONS_PER_ADDRESS", "SMS_PER_ADDRESS",
                            "KIOSK_SESSIONS_PER_DEVICE", "SMS_PER_DEVICE")}


def _mobile(rnd: random.Random) -> str:
    return f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}"


def _check_in(http: httpx.Client, target: Target, codes: Engine, rnd: random.Random,
              figures: Figures, lock: threading.Lock) -> None:
    session = _timed(http, "session", figures, lock, "/api/kiosk/sessions",
                     {"office_id": target.office_id}, 201)
    if session is None:
        return
    sid, notice = str(session["session_id"]), session["notice"]
    mobile = _mobile(rnd)
    if _timed(http, "code", figures, lock, f"/api/kiosk/sessions/{sid}/phone-code",
              {"mobile": mobile}, 202) is None:
        return
    code = _code_for(codes, mobile)
    if code is None:
        with lock:
            figures.errors["code: not in outbox"] += 1
        return
    notice_hash = notice["content_hash"] if isinstance(notice, dict) else ""
    _timed(http, "check_in", figures, lock, f"/api/kiosk/sessions/{sid}/phone-check-in",
           {"mobile": mobile, "code": code, "notice_hash": notice_hash, "agree": True}, 201)


def _code_for(engine: Engine, mobile: str) -> str | None:
    with engine.connect() as conn:
        body = conn.execute(select(outbox.c.body).where(outbox.c.recipient == mobile)
                            .order_by(outbox.c.id.desc()).limit(1)).scalar_one_or_none()
    found = CODE.search(str(body)) if body is not None else None
    return found.group(0) if found else None


def _register(http: httpx.Client, target: Target, rnd: random.Random, figures: Figures,
              lock: threading.Lock) -> None:
    _timed(http, "registration", figures, lock, f"/api/channels/{target.channel_id}/registrations",
           {"customer_name": f"客户{rnd.randrange(10**6)}", "mobile": _mobile(rnd)}, 201,
           headers={"Authorization": f"Bearer {target.token}"})


@contextmanager
def _server(store: str, pg_admin_url: str) -> Iterator[Target]:
    with tempfile.TemporaryDirectory(prefix="keyuan-load-") as tmp, _database(store, pg_admin_url
                                                                               ) as url:
        data_dir = Path(tmp)
        secret = secrets.token_hex(24)
        settings = Settings.model_validate({
            "data_dir": data_dir, "environment": "test", "secret_key": secret,
            "database_url": url, "face_module": "off"})
        prepare_data_dir(settings)
        app = build(settings)
        office = default_office()
        ensure_demo_office(app.deps)
        channel = create_channel(office.id, ChannelKind.DISTRIBUTOR, "bench channel", app.deps)
        add_user(AddUserCmd(username="bench-distributor", role=Role.distributor,
                            password=PASSWORD, channel_id=channel.id), app.deps)
        token = login("bench-distributor", PASSWORD, "bearer", app.deps,
                      SessionConfig(ttl_seconds=86400)).token
        offer = devices.offer_pairing(office.id, "bench tablet", app.deps, actor="bench")
        tablet = devices.redeem(offer.code, app.deps, client=None).token
        database_url = settings.resolved_database_url
        app.db.dispose()
        port = _free_port()
        env = {**os.environ, "KEYUAN_DATA_DIR": str(data_dir), "KEYUAN_SECRET_KEY": secret,
               "KEYUAN_FACE_MODULE": "off", "KEYUAN_ENVIRONMENT": "test", **UNTHROTTLED}
        if url:
            env["KEYUAN_DATABASE_URL"] = url
        log = (data_dir / "serve.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "keyuan.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_up(base, server)
            yield Target(base=base, database_url=database_url, office_id=office.id,
                         channel_id=channel.id, token=token, tablet=tablet)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


@contextmanager
def _database(store: str, admin_url: str) -> Iterator[str | None]:
    if store == "sqlite":
        yield None
        return
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"keyuan_load_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:  # the server does not answer: no PostgreSQL here
        admin.dispose()
        raise _Unavailable(f"PostgreSQL at {admin_url} did not answer: {type(exc).__name__}"
                           ) from exc
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"keyuan serve exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("keyuan serve did not answer /healthz within 60 s")


def _ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:.0f}"


def _print(results: list[Figures], clients: int, out: Out) -> None:
    if not results:
        return
    out(f"\n{'store':<11}{'clients':>8}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'errors':>8}")
    for fig in results:
        out(f"{fig.store:<11}{clients:>8}{fig.requests / fig.seconds:>9.1f}"
            f"{_ms(fig.overall(0.5)):>8}{_ms(fig.overall(0.99)):>8}{sum(fig.errors.values()):>8}")
    out(f"\n{'request':<14}" + "".join(f"{f.store + ' p50/p99':>22}" for f in results))
    for kind in KINDS:
        out(f"{kind:<14}" + "".join(
            f"{_ms(f.percentile(kind, 0.5)) + ' / ' + _ms(f.percentile(kind, 0.99)):>22}"
            for f in results))
    for fig in results:
        for what, count in fig.errors.most_common(5):
            out(f"  {fig.store} error {what}: {count}")
    if len(results) == 2 and results[0].overall(0.99) > 0:
        a, b = results
        out(f"\n{b.store} p99 / {a.store} p99 = {b.overall(0.99) / a.overall(0.99):.2f}; "
            f"{b.store} req/s / {a.store} req/s = "
            f"{(b.requests / b.seconds) / (a.requests / a.seconds):.2f}")
