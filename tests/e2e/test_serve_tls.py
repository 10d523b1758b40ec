"""`keyuan serve` on the office network as a second machine sees it: HTTPS on this machine's
non-loopback address (found the way the product finds it), verified against the office CA only;
plain HTTP redirecting to it; the refusals (no certificate, busy port) before any URL."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest

from support.auth import PASSWORD
from support.lan import keyuan, lan_ipv4, lan_server

pytestmark = pytest.mark.slow
URL = re.compile(r"\b(?:https?)://\S+")


def test_serve_on_the_lan_speaks_https_verified_by_the_office_ca(tmp_path: Path) -> None:
    with lan_server(tmp_path, staff="office-admin") as server:
        printed = "".join(server.startup)
        urls = URL.findall(printed)
        assert f"keyuan serving on {server.base_url}" in printed
        assert "0.0.0.0" not in printed and urls
        for url in {u.rstrip(");,") for u in urls if "/tls/ca.crt" not in u}:
            if url.startswith("https://"):  # every printed URL opens, trusting the office CA
                got = httpx.get(url, verify=server.verify(), timeout=30,
                                headers={"Accept": "text/html"})
                if url.endswith("/kiosk"):  # this client is no paired tablet: the page says so
                    assert got.status_code == 401 and 'data-error="device_not_paired"' in got.text
                    continue
                assert got.status_code in (200, 303), url
        with httpx.Client(base_url=server.base_url, verify=server.verify(), timeout=60) as http:
            login = http.post("/api/auth/login",
                              json={"username": "office-admin", "password": PASSWORD})
            assert login.status_code == 200, login.text
            cookie = login.headers["set-cookie"]
            assert "keyuan_session=" in cookie and "Secure" in cookie
            me = http.get("/admin/tls", headers={"Accept": "text/html"})
            assert me.status_code == 200  # the session cookie came back over HTTPS
            assert f"http://{server.address}:{server.http_port}/tls/ca.crt" in me.text
        with pytest.raises(httpx.ConnectError):  # not trusted without the office CA
            httpx.get(f"{server.base_url}/healthz", timeout=10)


def test_plain_http_on_the_lan_redirects_to_https_and_hands_out_the_ca(tmp_path: Path) -> None:
    with lan_server(tmp_path) as server:
        plain = f"http://{server.address}:{server.http_port}"
        got = httpx.post(f"{plain}/login?next=/dashboard", follow_redirects=False, timeout=10)
        assert got.status_code == 308
        assert got.headers["location"] == f"{server.base_url}/login?next=/dashboard"
        ca = httpx.get(f"{plain}/tls/ca.crt", timeout=10)
        assert ca.status_code == 200 and ca.content == server.ca.read_bytes()
        followed = httpx.get(f"{plain}/healthz", verify=server.verify(), follow_redirects=True,
                             timeout=10)
        assert followed.json() == {"status": "up"} and followed.url.scheme == "https"
        printed = "".join(server.startup)
        assert f"office CA: {plain}/tls/ca.crt" in printed


def test_off_loopback_without_a_certificate_serve_refuses_before_anything(
        tmp_path: Path) -> None:
    lan_ipv4()
    refused = keyuan(tmp_path, "serve", "--host", "0.0.0.0")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: tls_required: ") and "keyuan tls init" in \
        refused.stderr and refused.stderr.count("\n") == 1
    assert refused.stdout == "" and not (tmp_path / "keyuan.db").exists()


def test_a_busy_port_fails_in_one_line_before_any_url_is_printed(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = keyuan(tmp_path, "serve", "--port", str(port), KEYUAN_FACE_MODULE="off")
    assert busy.returncode == 1
    assert busy.stderr == (f"error: port_busy: port {port} is already in use on "
                           f"127.0.0.1:{port} (another keyuan serve?): stop it, or choose "
                           "another with --port\n")
    assert "http" not in busy.stdout
