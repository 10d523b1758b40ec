"""The office CA for devices, over real HTTP: `/tls/ca.crt` for anyone (a tablet installs it
before it can trust HTTPS), and `/admin/tls` — fingerprint, QR code of the download, install
steps in both languages — for those who set devices up (reception, admin)."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from keyuan.adapters.crypto import tls
from keyuan.domain.accounts.model import Role
from support import auth
from support.live import Live, live_server

HTML = {"Accept": "text/html"}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off") as server:
        yield server


def _office_ca(live: Live) -> Path:
    tls.init(live.app.settings.data_dir / "tls", tls.machine_names(), datetime.now(UTC))
    return live.app.settings.data_dir / "tls" / "ca.crt"


def test_the_office_ca_is_a_public_download_and_its_key_is_not(live: Live) -> None:
    missing = httpx.get(f"{live.base_url}/tls/ca.crt")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    ca = _office_ca(live)
    got = httpx.get(f"{live.base_url}/tls/ca.crt")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/x-x509-ca-cert"
    assert 'filename="keyuan-office-ca.crt"' in got.headers["content-disposition"]
    assert got.content == ca.read_bytes()
    for path in ("/tls/ca.key", "/tls/server.key", "/tls/../tls/ca.key"):
        assert httpx.get(f"{live.base_url}{path}").status_code == 404, path


@pytest.mark.parametrize("lang,title,step", [
    ("zh-CN", "局域网 HTTPS：安装本售楼处证书", "证书信任设置"),
    ("en", "HTTPS on the office network: install the office certificate",
     "Certificate Trust Settings"),
])
def test_the_install_page_shows_fingerprint_qr_and_steps(live: Live, lang: str, title: str,
                                                        step: str) -> None:
    ca = _office_ca(live)
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(ca.read_text())).hexdigest().upper()
    with auth.client(live.base_url, live.app, Role.admin) as http:
        page = http.get(f"/admin/tls?lang={lang}", headers=HTML)
    assert page.status_code == 200, page.text
    assert title in page.text and step in page.text
    assert ":".join(digest[i:i + 2] for i in range(0, 64, 2)) in page.text
    assert "<svg" in page.text  # the QR code of the download, inline
    assert f'href="{live.base_url}/tls/ca.crt"' in page.text
    assert 'href="/admin/tls"' in page.text  # in the admin's menu


def test_the_install_page_is_for_reception_and_admin_only(live: Live) -> None:
    _office_ca(live)
    with auth.client(live.base_url, live.app, Role.reception) as http:
        assert http.get("/admin/tls", headers=HTML).status_code == 200
    for role in (Role.manager, Role.compliance, Role.sales):
        with auth.client(live.base_url, live.app, role) as http:
            page = http.get("/admin/tls", headers=HTML)
            assert page.status_code == 403, role
            assert 'href="/admin/tls"' not in http.get("/", headers=HTML,
                                                       follow_redirects=True).text
    anonymous = httpx.get(f"{live.base_url}/admin/tls", headers=HTML)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_without_an_office_ca_the_page_says_how_to_make_one(live: Live) -> None:
    with auth.client(live.base_url, live.app, Role.admin) as http:
        page = http.get("/admin/tls?lang=en", headers=HTML)
    assert page.status_code == 200
    assert 'data-tls="no-ca"' in page.text and "keyuan tls init" in page.text
    assert "<svg" not in page.text
