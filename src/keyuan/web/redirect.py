"""The plain-HTTP listener beside HTTPS on the office network: every request is answered 308 to
the same path and query over HTTPS (a 308 keeps the method and body), except the office CA's
certificate, which it hands out as it is — a tablet fetches it before it can trust HTTPS (the
admin page shows its fingerprint to compare). Nothing else is served over plain HTTP."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

CA_PATH = "/tls/ca.crt"
CA_MEDIA_TYPE = "application/x-x509-ca-cert"
CA_DOWNLOAD_NAME = "keyuan-office-ca.crt"
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])"
                   r"(?::\d{1,5})?$")


def ca_response(ca_file: Path) -> Response:
    """The office CA certificate (PEM) as a download, or 404 when this server has none."""
    try:
        pem = ca_file.read_bytes()
    except FileNotFoundError:
        return Response('{"error": "not_found", "message": "this server has no office CA '
                        '(its certificate comes from elsewhere)"}', status_code=404,
                        media_type="application/json")
    return Response(pem, media_type=CA_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{CA_DOWNLOAD_NAME}"',
        "Cache-Control": "no-cache"})


def _hostname(host_header: str) -> str | None:
    """The host part of a well-formed Host header (no port), else None."""
    if not _HOST.match(host_header):
        return None
    if host_header.startswith("["):
        return host_header[:host_header.index("]") + 1]
    return host_header.rsplit(":", 1)[0] if ":" in host_header else host_header


class HttpsRedirect:
    """The ASGI app of the plain-HTTP listener. `fallback_host`: where to send a request whose
    Host header is missing or malformed (one of the addresses the certificate names)."""

    def __init__(self, https_port: int, ca_file: Path, fallback_host: str) -> None:
        self.https_port = https_port
        self.ca_file = ca_file
        self.fallback_host = fallback_host

    def location(self, scope: Scope) -> str:
        headers = dict(scope.get("headers") or [])
        host = _hostname(headers.get(b"host", b"").decode("latin-1")) or self.fallback_host
        port = "" if self.https_port == 443 else f":{self.https_port}"
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        return f"https://{host}{port}{path}" + (f"?{query}" if query else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is off for this listener; nothing else comes
            return
        if scope["path"] == CA_PATH and scope["method"] in ("GET", "HEAD"):
            response = ca_response(self.ca_file)
        else:
            response = Response(status_code=308, headers={"Location": self.location(scope)})
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        await response(scope, receive, send)
