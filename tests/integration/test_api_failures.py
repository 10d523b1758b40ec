"""When something fails that is not the caller's input, over real HTTP: a bug is a JSON 500 that
logs its type and route only and keeps the connection; a read-only, unreachable or read-only
PostgreSQL store is 503 `store_unavailable` and the service serves again once it is back; a body
that never arrives is 408."""

from __future__ import annotations

import http.client
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from keyuan.api.guard import DEVICE_HEADER
from keyuan.services.checkin import kiosk
from support import postgres
from support.devices import device_headers, kiosk_client
from support.live import Live, live_server

OFFICE = "demo-office"
MOBILE, NAME = "13912345678", "王小明"


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code and response.json()["message"]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off",
                     body_timeout_seconds=1) as server:
        yield server


def _leaky_bug(*_: object, **__: object) -> None:
    # What a constraint violation looks like: SQLAlchemy puts the SQL and its parameters in it.
    raise IntegrityError("INSERT INTO persons (mobile, name) VALUES (?, ?)", (MOBILE, NAME),
                         Exception("UNIQUE constraint failed: persons.mobile_hash"))


def test_a_bug_is_a_json_500_logged_as_type_and_route_and_the_connection_survives(
    live: Live, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(kiosk, "start_session", _leaky_bug)
    address = urlsplit(live.base_url)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    body = f'{{"office_id": "{OFFICE}"}}'
    with caplog.at_level(logging.DEBUG):
        conn.request("POST", "/api/kiosk/sessions", body=body,
                     headers={"content-type": "application/json", **device_headers(live)})
        first = conn.getresponse()
        payload = first.read().decode()
        sock = conn.sock
        conn.request("GET", f"/api/offices/{OFFICE}/notice")
        second = conn.getresponse()
        second.read()
        same_socket = conn.sock is sock and sock is not None
    conn.close()

    assert first.status == 500 and '"error":"internal_error"' in payload, payload
    assert not first.will_close and same_socket
    assert second.status == 200  # the same keep-alive connection answered the next request
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "unhandled IntegrityError on POST /api/kiosk/sessions" in logged
    printed = capfd.readouterr()
    for secret in (MOBILE, NAME, "INSERT INTO"):
        assert secret not in logged and secret not in printed.out + printed.err


def test_the_same_connection_carries_the_next_request_after_a_500(
    live: Live, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kiosk, "start_session", _leaky_bug)
    address = urlsplit(live.base_url)
    tablet = device_headers(live)[DEVICE_HEADER].encode()
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(_post(b"{}", tablet))
        assert _read_response(sock).startswith(b"HTTP/1.1 422")  # schema: office_id missing
        sock.sendall(_post(b'{"office_id": "x-office"}', tablet))
        assert _read_response(sock).startswith(b"HTTP/1.1 500")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200")


def _post(body: bytes, tablet: bytes) -> bytes:
    return (b"POST /api/kiosk/sessions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json"
            b"\r\nX-Kiosk-Device: %s\r\ncontent-length: %d\r\n\r\n%s"
            % (tablet, len(body), body))


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return head


def test_a_body_that_never_arrives_gets_408(live: Live) -> None:
    address = urlsplit(live.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(b"POST /api/kiosk/sessions HTTP/1.1\r\nHost: x\r\ncontent-type: "
                     b"application/json\r\ncontent-length: 50\r\n\r\n{\"office_id\"")
        answer = b""
        while chunk := sock.recv(65536):  # the head and the body may come in separate segments
            answer += chunk
            if b'"request_timeout"' in answer:
                break
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b'"request_timeout"' in answer
    assert httpx.get(f"{live.base_url}/healthz").status_code == 200


def test_a_read_only_sqlite_store_is_503_for_writes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with live_server(data, engine=None, face_module="off") as first:
        tablet = device_headers(first)  # a store with its office, notice and tablet
    read_only = f"sqlite:///file:{data / 'keyuan.db'}?mode=ro&uri=true"
    with live_server(data, engine=None, face_module="off", database_url=read_only,
                     prepared=True) as live, \
            httpx.Client(base_url=live.base_url, headers=tablet) as http:
        refused(http.post("/api/kiosk/sessions", json={"office_id": OFFICE}), 503,
                "store_unavailable")
        assert http.get(f"/api/offices/{OFFICE}/notice").status_code == 200  # reads still work


@pytest.fixture
def pg_live(tmp_path: Path) -> Iterator[tuple[Live, str, str]]:
    admin = postgres.admin_url()
    with postgres.fresh_database(admin) as url, live_server(
            tmp_path / "data", engine=None, face_module="off", database_url=url) as live:
        yield live, admin, str(make_url(url).database)


def _kick(admin: str, name: str, *changes: str) -> None:
    postgres.run_admin(admin, *changes, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")


@pytest.mark.postgres
def test_a_postgresql_store_that_goes_away_is_503_and_serves_again_when_back(
    pg_live: tuple[Live, str, str],
) -> None:
    live, admin, name = pg_live
    with kiosk_client(live, timeout=30) as http:
        assert http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).status_code == 201
        _kick(admin, name, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        refused(http.post("/api/kiosk/sessions", json={"office_id": OFFICE}), 503,
                "store_unavailable")
        assert http.get("/healthz").json() == {"status": "down"}
        postgres.run_admin(admin, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).status_code == 201
        assert http.get("/healthz").json() == {"status": "up"}


@pytest.mark.postgres
def test_a_read_only_postgresql_store_is_503_for_writes(pg_live: tuple[Live, str, str]) -> None:
    live, admin, name = pg_live
    tablet = device_headers(live)  # paired while the store could still be written
    _kick(admin, name, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    with httpx.Client(base_url=live.base_url, timeout=30, headers=tablet) as http:
        refused(http.post("/api/kiosk/sessions", json={"office_id": OFFICE}), 503,
                "store_unavailable")
        assert http.get(f"/api/offices/{OFFICE}/notice").status_code == 200  # reads still work
