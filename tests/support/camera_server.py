"""A local HTTP server playing a face-capture camera that serves its pictures by URL, as an
ISAPI camera does: every request must carry HTTP digest authentication (RFC 7616, MD5, qop=auth)
that this server checks itself. Paths: `/ISAPI/pictures/<name>` (the picture), `/slow` (longer
than any test timeout), `/redirect-same` (to a picture on this host), `/redirect-off` (to the
same server under another host name), `/huge` (a body over the cap), `/missing` (404)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REALM = "IP Camera(E1234)"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _params(header: str) -> dict[str, str]:
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "digest":
        return {}
    out: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            out[key.strip().lower()] = value.strip().strip('"')
    return out


@dataclass
class Camera:
    username: str
    password: str
    picture: bytes
    port: int = 0
    nonces: set[str] = field(default_factory=set)
    authorized: list[str] = field(default_factory=list)
    """Paths served after a digest response that checked out."""
    refused: int = 0
    """Requests with a missing or wrong digest response."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def verify(self, method: str, header: str) -> bool:
        p = _params(header)
        if (p.get("username") != self.username or p.get("realm") != REALM
                or p.get("nonce") not in self.nonces or p.get("qop") != "auth"):
            return False
        ha1 = _md5(f"{self.username}:{REALM}:{self.password}")
        ha2 = _md5(f"{method}:{p.get('uri', '')}")
        want = _md5(f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:auth:{ha2}")
        return secrets.compare_digest(want, p.get("response", ""))


def _handler(camera: Camera) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if not camera.verify("GET", self.headers.get("Authorization", "")):
                camera.refused += 1
                nonce = secrets.token_hex(16)
                camera.nonces.add(nonce)
                self.send_response(401)
                self.send_header("WWW-Authenticate", f'Digest realm="{REALM}", qop="auth", '
                                 f'nonce="{nonce}", algorithm=MD5')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            camera.authorized.append(self.path)
            if self.path == "/slow":
                time.sleep(3)
            if self.path == "/redirect-same":
                return self._redirect("/ISAPI/pictures/face.jpg")
            if self.path == "/redirect-off":
                return self._redirect(f"http://localhost:{camera.port}/ISAPI/pictures/face.jpg")
            if self.path == "/huge":
                return self._send(b"\xff\xd8\xff" + b"\0" * 9_000_000)
            if self.path.startswith("/ISAPI/pictures/"):
                return self._send(camera.picture)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # the client may stop reading at its cap

    return Handler


@contextmanager
def camera_server(username: str, password: str, picture: bytes) -> Iterator[Camera]:
    camera = Camera(username, password, picture)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(camera))
    server.daemon_threads = True
    camera.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield camera
    finally:
        server.shutdown()
        server.server_close()
