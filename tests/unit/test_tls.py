"""The office CA and server certificate (`keyuan tls init`), their renewal, and how `serve`
decides between HTTP and HTTPS, binds before printing, and redirects plain HTTP."""

from __future__ import annotations

import ipaddress
import socket
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from starlette.testclient import TestClient

from keyuan.adapters.crypto import tls
from keyuan.cli import serving
from keyuan.config.settings import Settings
from keyuan.web.redirect import HttpsRedirect

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(data_dir=tmp_path, environment="test", **overrides)  # type: ignore[arg-type]


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_init_makes_a_ca_and_a_server_certificate_for_every_name_of_the_machine(
        tmp_path: Path) -> None:
    extra = tls.parse_names(["sales.office.example"], ["10.1.2.3"])
    created, server = tls.init(tmp_path, tls.machine_names() | extra, NOW)
    assert created
    ca_cert, leaf = _cert(tmp_path / "ca.crt"), _cert(tmp_path / "server.crt")
    leaf.verify_directly_issued_by(ca_cert)  # raises if not signed by the office CA
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    host = socket.gethostname()
    assert host in server.names.dns and "localhost" in server.names.dns
    if "." not in host:
        assert f"{host}.local" in server.names.dns
    assert "sales.office.example" in server.names.dns
    expected_ips = {*tls.lan_addresses(), ipaddress.ip_address("127.0.0.1"),
                    ipaddress.ip_address("::1"), ipaddress.ip_address("10.1.2.3")}
    assert set(server.names.ips) == expected_ips
    assert not any(a.is_link_local for a in server.names.ips)
    assert server.not_after - NOW == timedelta(days=tls.SERVER_DAYS)
    assert _cert(tmp_path / "ca.crt").not_valid_after_utc - NOW == timedelta(days=tls.CA_DAYS)


def test_the_private_keys_are_0600_and_a_readable_ca_key_is_refused(tmp_path: Path) -> None:
    tls.init(tmp_path, tls.machine_names(), NOW)
    for name in ("ca.key", "server.key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((tmp_path / "ca.crt").stat().st_mode) == 0o644
    (tmp_path / "ca.key").chmod(0o644)
    with pytest.raises(tls.TlsError, match="readable by others"):
        tls.issue_server(tmp_path, tls.machine_names(), NOW)


def test_a_second_init_keeps_the_ca_and_reissues_the_server_certificate(tmp_path: Path) -> None:
    tls.init(tmp_path, tls.machine_names(), NOW)
    ca_before = (tmp_path / "ca.crt").read_bytes()
    key_before = (tmp_path / "server.key").read_bytes()
    created, server = tls.init(tmp_path, tls.parse_names(["extra.example"], []), NOW)
    assert not created and (tmp_path / "ca.crt").read_bytes() == ca_before
    assert (tmp_path / "server.key").read_bytes() != key_before
    assert server.names.dns == ("extra.example",)


def test_renewal_is_due_within_the_window_and_keeps_the_ca_and_the_names(tmp_path: Path) -> None:
    names = tls.machine_names() | tls.parse_names(["extra.example"], ["10.9.8.7"])
    _, first = tls.init(tmp_path, names, NOW)
    ca_before = (tmp_path / "ca.crt").read_bytes()
    early = first.not_after - timedelta(days=31)
    assert tls.renewal_due(tmp_path, early, 30, tls.machine_names()) is None
    assert tls.renew_if_due(tmp_path, early, 30, tls.machine_names()) is None
    late = first.not_after - timedelta(days=29)
    assert tls.renewal_due(tmp_path, late, 30) == f"it expires {first.not_after:%Y-%m-%d}"
    renewed = tls.renew_if_due(tmp_path, late, 30, tls.machine_names())
    assert renewed is not None
    assert renewed[0] == f"it expires {first.not_after:%Y-%m-%d}"
    second = renewed[1]
    assert second.not_after == late + timedelta(days=tls.SERVER_DAYS)
    assert set(second.names.dns) == set(first.names.dns)  # the extra name is kept
    assert set(second.names.ips) == set(first.names.ips)
    assert (tmp_path / "ca.crt").read_bytes() == ca_before  # devices trust it still
    _cert(tmp_path / "server.crt").verify_directly_issued_by(_cert(tmp_path / "ca.crt"))
    assert tls.renewal_due(tmp_path, late, 30) is None


def test_renewal_is_due_when_the_machine_has_a_new_address(tmp_path: Path) -> None:
    tls.init(tmp_path, tls.parse_names(["office"], ["10.0.0.5"]), NOW)
    moved = tls.parse_names(["office"], ["10.0.0.6"])
    assert tls.renewal_due(tmp_path, NOW, 30, moved) == "it does not name 10.0.0.6"
    renewed = tls.renew_if_due(tmp_path, NOW, 30, moved)
    assert renewed is not None
    assert {str(a) for a in renewed[1].names.ips} == {"10.0.0.5", "10.0.0.6"}


def test_bad_names_are_refused_by_name() -> None:
    with pytest.raises(tls.TlsError, match="not a host name: 'bad name'"):
        tls.parse_names(["bad name"], [])
    with pytest.raises(tls.TlsError, match=r"not an IP address: '300\.1\.1\.1'"):
        tls.parse_names([], ["300.1.1.1"])


def test_lan_addresses_are_this_machines_reachable_ones() -> None:
    for address in tls.lan_addresses():
        assert not (address.is_loopback or address.is_link_local or address.is_unspecified)
        family = socket.AF_INET if address.version == 4 else socket.AF_INET6
        with socket.socket(family) as sock:
            sock.bind((str(address), 0))  # only this machine's own addresses can be bound


# --- serve: HTTP or HTTPS, refusals, ports and URLs ---

def test_off_loopback_without_a_certificate_serve_refuses_and_names_tls_init(
        tmp_path: Path) -> None:
    with pytest.raises(serving.TlsRequired, match="run `keyuan tls init` first"):
        serving.plan(_settings(tmp_path), "0.0.0.0", None, None, None, insecure_lan=False,
                     now=NOW)
    insecure = serving.plan(_settings(tmp_path), "0.0.0.0", None, None, None,
                            insecure_lan=True, now=NOW)
    assert insecure.scheme == "http" and insecure.port == 8000
    assert any("INSECURE" in note for note in insecure.notes)


def test_loopback_stays_plain_http_even_with_the_office_ca(tmp_path: Path) -> None:
    tls.init(tmp_path / "tls", tls.machine_names(), NOW)
    out = serving.plan(_settings(tmp_path), None, None, None, None, insecure_lan=False, now=NOW)
    assert (out.host, out.port, out.scheme, out.redirect_port) == ("127.0.0.1", 8000, "http",
                                                                    None)
    assert serving.urls(out) == ["http://127.0.0.1:8000/"]


def test_off_loopback_with_the_office_ca_serve_uses_https_and_redirects_plain_http(
        tmp_path: Path) -> None:
    tls.init(tmp_path / "tls", tls.machine_names(), NOW)
    out = serving.plan(_settings(tmp_path), "0.0.0.0", None, None, None, insecure_lan=False,
                       now=NOW)
    assert (out.scheme, out.port, out.redirect_port, out.auto) == ("https", 8443, 8000, True)
    urls = serving.urls(out)
    assert all(u.startswith("https://") and "0.0.0.0" not in u for u in urls)
    lan4 = [str(a) for a in tls.lan_addresses() if a.version == 4]
    assert urls == [*(f"https://{a}:8443/" for a in lan4), "https://127.0.0.1:8443/"]
    same = serving.plan(_settings(tmp_path, port=8443), "0.0.0.0", None, None, None,
                        insecure_lan=False, now=NOW)
    assert same.redirect_port is None  # one port cannot speak both


def test_serve_renews_a_certificate_that_is_due_at_start(tmp_path: Path) -> None:
    _, first = tls.init(tmp_path / "tls", tls.machine_names(), NOW)
    later = first.not_after - timedelta(days=10)
    out = serving.plan(_settings(tmp_path), "0.0.0.0", None, None, None, insecure_lan=False,
                       now=later)
    assert out.notes == [f"renewed the server certificate (it expires "
                         f"{first.not_after:%Y-%m-%d}); valid until "
                         f"{later + timedelta(days=tls.SERVER_DAYS):%Y-%m-%d}"]
    again = serving.plan(_settings(tmp_path), "0.0.0.0", None, None, None, insecure_lan=False,
                         now=later)
    assert again.notes == []


def test_given_certificate_files_serve_https_on_any_host(tmp_path: Path) -> None:
    tls.init(tmp_path / "elsewhere", tls.parse_names(["localhost"], ["127.0.0.1"]), NOW)
    cert, key = tmp_path / "elsewhere" / "server.crt", tmp_path / "elsewhere" / "server.key"
    out = serving.plan(_settings(tmp_path), None, 9443, cert, key, insecure_lan=False, now=NOW)
    assert (out.scheme, out.port, out.auto, out.redirect_port) == ("https", 9443, False, None)
    assert serving.urls(out) == ["https://127.0.0.1:9443/"]
    with pytest.raises(serving.ServeRefused, match="go together"):
        serving.plan(_settings(tmp_path), None, None, cert, None, insecure_lan=False, now=NOW)


def test_a_busy_port_is_refused_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(serving.PortBusy) as refused:
            serving.bind("127.0.0.1", port)
    assert str(refused.value) == (f"port {port} is already in use on 127.0.0.1:{port} (another "
                                  "keyuan serve?): stop it, or choose another with --port")


# --- the plain-HTTP listener ---

def test_plain_http_redirects_with_308_to_the_same_path_over_https(tmp_path: Path) -> None:
    client = TestClient(HttpsRedirect(8443, tmp_path / "ca.crt", "192.0.2.9"))
    got = client.post("/api/kiosk/sessions?lang=en", json={}, follow_redirects=False,
                      headers={"Host": "192.0.2.2:8000"})
    assert got.status_code == 308
    assert got.headers["location"] == "https://192.0.2.2:8443/api/kiosk/sessions?lang=en"
    v6 = client.get("/kiosk", follow_redirects=False, headers={"Host": "[fd00::2]:8000"})
    assert v6.headers["location"] == "https://[fd00::2]:8443/kiosk"
    forged = client.get("/x", follow_redirects=False, headers={"Host": "evil/@x"})
    assert forged.headers["location"] == "https://192.0.2.9:8443/x"
    standard = TestClient(HttpsRedirect(443, tmp_path / "ca.crt", "office"))
    assert standard.get("/", follow_redirects=False, headers={"Host": "office"}
                        ).headers["location"] == "https://office/"


def test_plain_http_hands_out_the_office_ca_and_nothing_else(tmp_path: Path) -> None:
    client = TestClient(HttpsRedirect(8443, tmp_path / "tls" / "ca.crt", "office"))
    missing = client.get("/tls/ca.crt")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    tls.init(tmp_path / "tls", tls.machine_names(), NOW)
    got = client.get("/tls/ca.crt")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/x-x509-ca-cert"
    assert got.content == (tmp_path / "tls" / "ca.crt").read_bytes()
    assert b"PRIVATE" not in got.content


# --- make run HOST=... PORT=... ---

def _make_run(*args: str, env: dict[str, str] | None = None) -> str:
    import os
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parents[2]
    # Under `make test` the parent make's MAKEFLAGS/MAKELEVEL would make this one print
    # "Entering directory" lines around the recipe; the test reads the recipe alone.
    outer = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(["make", "--no-print-directory", "-n", "-W", "pyproject.toml",
                           "-o", ".venv/.installed", "run", *args], cwd=root,
                          capture_output=True, text=True, env={**outer, **(env or {})},
                          check=True)
    return done.stdout


def test_make_run_passes_host_and_port_and_makes_the_certificate_first_off_loopback() -> None:
    lan = _make_run("HOST=0.0.0.0", "PORT=8443")
    assert "keyuan tls init --if-missing" in lan
    assert lan.rstrip().endswith("keyuan serve --demo --host 0.0.0.0 --port 8443")
    loopback = _make_run("HOST=127.0.0.1")
    assert loopback.rstrip().endswith("keyuan serve --demo --host 127.0.0.1")
    shell_host = _make_run(env={"HOST": "somebox", "PORT": "1"})  # a shell's own $HOST
    assert shell_host.rstrip().endswith("keyuan serve --demo")


def test_while_serving_a_due_certificate_is_renewed_and_loaded_without_a_restart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    from types import SimpleNamespace

    now = datetime.now(UTC)
    _, old = tls.init(tmp_path / "tls", tls.machine_names(), now - timedelta(days=350))
    out = serving.plan(_settings(tmp_path), "0.0.0.0", None, None, None, insecure_lan=False,
                       now=now - timedelta(days=300))  # not due yet when serving starts
    assert out.notes == []
    loaded: list[tuple[str, str]] = []
    stop = threading.Event()

    class Context:
        def load_cert_chain(self, cert: str, key: str) -> None:
            loaded.append((cert, key))
            stop.set()

    monkeypatch.setattr(serving, "RECHECK_SECONDS", 0.01)
    server = SimpleNamespace(config=SimpleNamespace(ssl=Context()))
    worker = threading.Thread(target=serving._renewals,
                              args=(server, out, _settings(tmp_path), stop), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert loaded == [(str(out.cert), str(out.key))]
    renewed = tls.read_info(tmp_path / "tls" / "server.crt")
    assert renewed.not_after > old.not_after and renewed.names.ips == old.names.ips
