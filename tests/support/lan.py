"""`keyuan serve` on this machine's office-network address over HTTPS, as a second machine on
the network reaches it: the office CA from `keyuan tls init`, a staff account from `keyuan user
add`, the server as a subprocess. The address is found the way the product finds it
(`adapters.crypto.tls.lan_addresses`); a machine without one skips with the reason."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.crypto.tls import lan_addresses, read_info
from support.auth import PASSWORD

KEYUAN = [sys.executable, "-m", "keyuan.cli.main"]


def lan_ipv4() -> str:
    found = [a for a in lan_addresses() if a.version == 4]
    if not found:
        pytest.skip("this machine has no non-loopback IPv4 address to serve the office on")
    return str(found[0])


def free_lan_port(address: str) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def keyuan_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "KEYUAN_DATA_DIR": str(data_dir), "KEYUAN_ENVIRONMENT": "test",
            "KEYUAN_SECRET_KEY": "lan-secret-key-0123456789", **extra}


def keyuan(data_dir: Path, *args: str, stdin: str | None = None, **env: str
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KEYUAN, *args], env=keyuan_env(data_dir, **env), input=stdin,
                          capture_output=True, text=True, timeout=120)


@dataclass
class LanServer:
    address: str
    port: int
    http_port: int
    ca: Path
    server_cert: Path
    startup: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"https://{self.address}:{self.port}"

    def verify(self) -> ssl.SSLContext:
        """Trusts the office CA only (not the system's CAs)."""
        return ssl.create_default_context(cafile=str(self.ca))

    @property
    def spki(self) -> str:
        return read_info(self.server_cert).spki_sha256


@contextmanager
def lan_server(data_dir: Path, *, staff: str | None = None, face: bool = False
               ) -> Iterator[LanServer]:
    """The office CA and certificate made, `staff` an admin account, then `keyuan serve --host
    0.0.0.0` with HTTPS on a free port and the plain-HTTP redirect on another."""
    address = lan_ipv4()
    made = keyuan(data_dir, "tls", "init")
    assert made.returncode == 0, made.stderr
    env = {"KEYUAN_FACE_MODULE": "on" if face else "off", "KEYUAN_DEMO": "1"}
    if staff is not None:
        ready = keyuan(data_dir, "init", **env)
        assert ready.returncode == 0, ready.stderr
        added = keyuan(data_dir, "user", "add", staff, "--role", "admin",
                       stdin=PASSWORD + "\n", **env)
        assert added.returncode == 0, added.stderr
    port, http_port = free_lan_port(address), free_lan_port(address)
    proc = subprocess.Popen([*KEYUAN, "serve", "--host", "0.0.0.0", "--port", str(port)],
                            env=keyuan_env(data_dir, KEYUAN_PORT=str(http_port), **env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tls_dir = data_dir / "tls"
    server = LanServer(address, port, http_port, tls_dir / "ca.crt", tls_dir / "server.crt")
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"serve exited: {out}")
            try:
                got = httpx.get(f"{server.base_url}/healthz", verify=server.verify(), timeout=1)
                if got.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not answer over HTTPS within 90 s")
            time.sleep(0.2)
        while proc.stdout is not None:
            server.startup.append(line := proc.stdout.readline())
            if not line or "redirects to HTTPS" in line:
                break
        yield server
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
