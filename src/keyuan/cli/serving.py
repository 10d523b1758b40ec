"""How `keyuan serve` listens: HTTP on loopback, HTTPS off it (browsers keep Secure cookies and
the camera only in a secure context, and loopback is one), the plain-HTTP redirect beside
HTTPS, ports bound before anything is printed, and only URLs that open printed.

`plan` decides (and refuses) before the store is touched; `bind` takes the ports before any URL
is printed, so a busy port is one line on stderr; `run` serves on the bound sockets."""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from keyuan.adapters.crypto import tls
from keyuan.config.settings import Settings
from keyuan.config.tls import CA_CERT, SERVER_CERT, SERVER_KEY, tls_dir
from keyuan.domain.errors import KeyuanError

RECHECK_SECONDS = 12 * 3600
"""While serving, how often the server certificate is checked for renewal."""
ANY_HOSTS = ("0.0.0.0", "::", "")


class ServeRefused(KeyuanError):
    code, status, default_message = "serve_refused", 400, "cannot serve"


class TlsRequired(ServeRefused):
    code = "tls_required"


class PortBusy(ServeRefused):
    code = "port_busy"


@dataclass
class Plan:
    host: str
    port: int
    cert: Path | None = None
    key: Path | None = None
    auto: bool = False
    """The certificate is the office one under data_dir/tls/: renewed from the office CA."""
    redirect_port: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def scheme(self) -> str:
        return "https" if self.cert else "http"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def plan(settings: Settings, host: str | None, port: int | None, cert: Path | None,
         key: Path | None, *, insecure_lan: bool, now: datetime) -> Plan:
    """What to serve, or `ServeRefused` with the one thing to do about it."""
    host = host or settings.host
    loopback = is_loopback(host)
    if (cert is None) != (key is None):
        raise ServeRefused("--tls-cert and --tls-key go together")
    if cert is None and settings.tls.mode == "files":
        cert, key = settings.tls.cert_file, settings.tls.key_file
    if cert is not None and key is not None:
        for path in (cert, key):
            if not path.is_file():
                raise ServeRefused(f"{path} does not exist")
        return _with_redirect(settings, Plan(host, port or settings.tls.port, cert, key),
                              loopback)
    office = tls_dir(settings.data_dir)
    if settings.tls.mode == "auto" and not loopback and tls.has_office_ca(office):
        renewed = tls.renew_if_due(office, now, settings.tls.renew_days, _names_for(host))
        out = Plan(host, port or settings.tls.port, office / SERVER_CERT, office / SERVER_KEY,
                   auto=True)
        if renewed is not None:
            out.notes.append(f"renewed the server certificate ({renewed[0]}); valid until "
                             f"{renewed[1].not_after:%Y-%m-%d}")
        return _with_redirect(settings, out, loopback)
    if not loopback and not insecure_lan:
        raise TlsRequired(
            f"serving on {host} (off loopback) needs HTTPS, or staff cannot log in and the kiosk "
            "cannot open its camera: run `keyuan tls init` first (or give --tls-cert/--tls-key; "
            "--insecure-lan serves plain HTTP anyway)")
    out = Plan(host, port or settings.port)
    if not loopback:
        out.notes.append("INSECURE: plain HTTP off loopback (--insecure-lan): browsers on other "
                         "machines drop the Secure login cookie and refuse the camera")
    return out


def _names_for(host: str) -> tls.Names:
    names = tls.machine_names()
    if host in ANY_HOSTS:
        return names
    try:
        return names | tls.Names((), (ipaddress.ip_address(host.strip("[]")),))
    except ValueError:
        return names | tls.parse_names([host], [])


def _with_redirect(settings: Settings, out: Plan, loopback: bool) -> Plan:
    if not loopback and settings.tls.redirect and settings.port != out.port:
        out.redirect_port = settings.port
    return out


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on host:port, or `ServeRefused` in one line."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeRefused(f"cannot resolve --host {host}: {exc.strerror}") from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # not over a live listener
    if family == socket.AF_INET6 and host in ANY_HOSTS:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise PortBusy(f"port {port} is already in use on {shown} (another keyuan "
                               "serve?): stop it, or choose another with --port") from exc
        raise ServeRefused(f"cannot listen on {shown}: {exc.strerror}") from exc
    return sock


def _url(scheme: str, address: str, port: int) -> str:
    shown = f"[{address}]" if ":" in address else address
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{shown}" + ("" if port == default else f":{port}") + "/"


def urls(out: Plan, port: int | None = None, scheme: str | None = None) -> list[str]:
    """URLs that open: every LAN address when bound to all of them (never 0.0.0.0), only the
    ones the certificate names when serving HTTPS, and loopback when it is reachable."""
    port = port or out.port
    scheme = scheme or out.scheme
    if out.host in ANY_HOSTS:
        found = tls.lan_addresses()
        if out.host == "0.0.0.0":
            found = [a for a in found if a.version == 4]
        hosts = [str(a) for a in found] + ["127.0.0.1"]
    elif out.host == "localhost":
        hosts = ["127.0.0.1"]
    else:
        hosts = [out.host.strip("[]")]
    if out.cert is not None:
        named = tls.read_info(out.cert).names
        ips = {str(a) for a in named.ips}
        kept = [h for h in hosts if h in ips or h in named.dns]
        hosts = kept or [n for n in named.dns if "*" not in n] or hosts
        if out.host in ANY_HOSTS and "127.0.0.1" not in kept and "localhost" in named.dns:
            hosts.append("localhost")
    return [_url(scheme, h, port) for h in hosts]


def print_addresses(out: Plan, office_ids: list[str]) -> list[str]:
    """What `serve` prints once its ports are bound. Returns the CA download URLs."""
    for note in out.notes:
        typer.echo(note)
    opened = urls(out)
    base = opened[0].rstrip("/")
    typer.echo(f"keyuan serving on {base}\n  pages:     {base}/ (staff and channels "
               f"{base}/login, offices {base}/admin/offices)\n"
               f"  kiosk:     {base}/kiosk on a paired tablet (pair one at {base}/admin/devices)\n"
               f"  API docs:  {base}/docs\n  health:    {base}/healthz")
    for office_id in office_ids:
        typer.echo(f"  notice:    {base}/api/offices/{office_id}/notice")
    for other in opened[1:]:
        typer.echo(f"  also:      {other}")
    downloads = []
    if out.cert is not None and out.auto:
        downloads = [f"{u}tls/ca.crt" for u in (
            urls(out, out.redirect_port, "http") if out.redirect_port else opened)
            if "127.0.0.1" not in u and "localhost" not in u]
        info = tls.read_info(out.cert)
        typer.echo(f"  office CA: {(downloads or [base + '/tls/ca.crt'])[0]} (install it on "
                   f"each tablet and PC: {base}/admin/tls); certificate valid until "
                   f"{info.not_after:%Y-%m-%d}")
    if out.redirect_port is not None:
        typer.echo(f"  plain HTTP on port {out.redirect_port} redirects to HTTPS")
    return downloads


def run(web: Any, out: Plan, main: socket.socket, redirect: socket.socket | None,
        settings: Settings) -> None:
    """Serve the app on `main` (TLS when the plan has a certificate) and the redirect on
    `redirect`, until interrupted. The office certificate is re-checked every 12 hours and a
    renewed one is loaded without a restart."""
    import uvicorn  # the web stack loads only when serving (see cli/main.py)

    from keyuan.web.redirect import HttpsRedirect  # Starlette, likewise

    ssl: dict[str, Any] = {}
    if out.cert is not None:
        ssl = {"ssl_certfile": str(out.cert), "ssl_keyfile": str(out.key)}
    server = uvicorn.Server(uvicorn.Config(web, log_level="info", **ssl))
    side: uvicorn.Server | None = None
    threads = []
    if redirect is not None:
        fallback = urls(out)[0].split("://", 1)[1].rsplit(":", 1)[0].rstrip("/")
        side = uvicorn.Server(uvicorn.Config(
            HttpsRedirect(out.port, tls_dir(settings.data_dir) / CA_CERT, fallback),
            log_level="warning", lifespan="off"))
        threads.append(threading.Thread(target=side.run, kwargs={"sockets": [redirect]},
                                        name="https-redirect", daemon=True))
    stop = threading.Event()
    if out.auto:
        threads.append(threading.Thread(target=_renewals, args=(server, out, settings, stop),
                                        name="tls-renewal", daemon=True))
    for thread in threads:
        thread.start()
    try:
        server.run(sockets=[main])
    finally:
        stop.set()
        if side is not None:
            side.should_exit = True
        for thread in threads:
            thread.join(timeout=5)


def _renewals(server: Any, out: Plan, settings: Settings, stop: threading.Event) -> None:
    while not stop.wait(RECHECK_SECONDS):
        try:
            renewed = tls.renew_if_due(tls_dir(settings.data_dir), datetime.now(UTC),
                                       settings.tls.renew_days, _names_for(out.host))
        except tls.TlsError as exc:
            typer.echo(f"warning: tls: {exc}", err=True)
            continue
        context = getattr(server.config, "ssl", None)
        if renewed is not None and context is not None:
            context.load_cert_chain(str(out.cert), str(out.key))  # new handshakes only
            typer.echo(f"renewed the server certificate ({renewed[0]})")
