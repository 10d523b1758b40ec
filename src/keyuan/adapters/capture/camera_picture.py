"""Pictures a camera's event names by URL, fetched from that camera and nowhere else, and the
camera's login for it, sealed.

Fetch rules (no SSRF): the URL must be http or https, carry no user:password, and point at the
camera's own configured picture host (`host` → the scheme's default port; `host:port` → that
port); a redirect is followed only while it stays on that host; the environment's proxies are
not used. HTTP digest authentication (what ISAPI cameras use) with the camera's login; a
timeout per step and an overall deadline; the body is read into memory up to the image cap.
Nothing is written to disk, and while a fetch runs the `httpx`/`httpcore` loggers drop their
records, at any level (a request line would say someone passed the camera at that moment,
C11; a debug line would carry the digest exchange).

Credentials are AES-GCM sealed under a key derived from the installation secret (HMAC label
`camera_credentials`), with the camera id as associated data; they travel with the store and
its backups, and a changed installation secret makes them (like camera tokens) unusable."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from contextvars import ContextVar

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keyuan.domain.capture.cameras import Camera
from keyuan.domain.capture.errors import (
    CameraPictureRefused,
    CameraPictureTimeout,
    CameraPictureUnreachable,
)
from keyuan.domain.errors import ImageTooLarge

MAX_REDIRECTS = 3
DEFAULT_PORTS = {"http": 80, "https": 443}
_FETCHING: ContextVar[bool] = ContextVar("camera_picture_fetching", default=False)


class _QuietWhileFetching(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _FETCHING.get()


# filters do not pass down to child loggers: each logger httpx and httpcore log to, by name
for _name in ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2",
              "httpcore.proxy", "httpcore.socks"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _QuietWhileFetching) for f in _logger.filters):
        _logger.addFilter(_QuietWhileFetching())


def allowed_url(url: str, picture_host: str) -> httpx.URL:
    """The URL, if keyuan may fetch it for a camera whose picture host is `picture_host`;
    else `CameraPictureRefused` (422) with the reason."""
    if not picture_host:
        raise CameraPictureRefused("This camera has no picture host configured, so pictures by "
                                   "URL are refused (`keyuan capture camera profile "
                                   "--picture-host`).", reason="no_picture_host")
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise CameraPictureRefused("The picture URL is not a URL.", reason="bad_url") from exc
    if target.scheme not in DEFAULT_PORTS:
        raise CameraPictureRefused("Picture URLs are http or https only.", reason="scheme")
    if target.userinfo:
        raise CameraPictureRefused("Picture URLs may not carry a user or password.",
                                   reason="userinfo")
    host, _, port = picture_host.rpartition(":") if _has_port(picture_host) else (
        picture_host, "", "")
    want_port = int(port) if port else DEFAULT_PORTS[target.scheme]
    got_port = target.port or DEFAULT_PORTS[target.scheme]
    if target.host.lower() != host.strip("[]").lower() or got_port != want_port:
        raise CameraPictureRefused(reason="other_host")
    return target


def _has_port(picture_host: str) -> bool:
    if picture_host.startswith("["):
        return "]:" in picture_host
    return picture_host.count(":") == 1


def fetch_picture(url: str, *, picture_host: str, credentials: tuple[str, str] | None,
                  timeout: float, max_bytes: int) -> bytes:
    """The picture at `url` on the camera, in memory; refused (422), unreachable (502) or
    timed out (504) otherwise, too large (413)."""
    target = allowed_url(url, picture_host)
    deadline = time.monotonic() + timeout * 2
    auth = httpx.DigestAuth(*credentials) if credentials else None
    token = _FETCHING.set(True)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                          auth=auth) as client:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", target) as response:
                    if response.is_redirect:
                        target = _next_hop(target, response, picture_host)
                        continue
                    if response.status_code != 200:
                        raise CameraPictureUnreachable(
                            f"The camera answered {response.status_code} for the picture.",
                            reason="auth" if response.status_code == 401 else "status",
                            status=response.status_code)
                    return _read(response, max_bytes, deadline)
            raise CameraPictureUnreachable("The camera redirected too often.",
                                           reason="redirects")
    except httpx.TimeoutException as exc:
        raise CameraPictureTimeout() from exc
    except httpx.HTTPError as exc:
        raise CameraPictureUnreachable("The camera could not be reached for the picture.",
                                       reason="connect") from exc
    finally:
        _FETCHING.reset(token)


def _next_hop(target: httpx.URL, response: httpx.Response, picture_host: str) -> httpx.URL:
    location = response.headers.get("location", "")
    try:
        return allowed_url(str(target.join(location)), picture_host)
    except CameraPictureRefused as exc:
        raise CameraPictureUnreachable("The camera redirected the picture away from its own "
                                       "host; not followed.", reason="redirect_off_host") from exc


def _read(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ImageTooLarge(f"Pictures are capped at {max_bytes} bytes.")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise ImageTooLarge(f"Pictures are capped at {max_bytes} bytes.")
        if time.monotonic() > deadline:
            raise CameraPictureTimeout()
    if not body:
        raise CameraPictureUnreachable("The camera sent an empty picture.", reason="empty")
    return bytes(body)


def _key(secret: bytes) -> bytes:
    return hmac.new(secret, b"camera_credentials", hashlib.sha256).digest()


def seal_credentials(secret: bytes, camera_id: str, username: str, password: str) -> str:
    nonce = os.urandom(12)
    plain = json.dumps({"u": username, "p": password}).encode()
    sealed = AESGCM(_key(secret)).encrypt(nonce, plain, camera_id.encode())
    return base64.b64encode(nonce + sealed).decode("ascii")


def open_credentials(secret: bytes, camera: Camera) -> tuple[str, str] | None:
    """The camera's login, or None when none is set. A seal that does not open (another
    installation secret) is an unreachable camera (502), never a crash."""
    if camera.sealed_credentials is None:
        return None
    try:
        raw = base64.b64decode(camera.sealed_credentials)
        plain = AESGCM(_key(secret)).decrypt(raw[:12], raw[12:], camera.id.encode())
        doc = json.loads(plain)
        return str(doc["u"]), str(doc["p"])
    except (InvalidTag, ValueError, KeyError) as exc:
        raise CameraPictureUnreachable("The camera's stored login cannot be opened with this "
                                       "installation's secret; set it again.",
                                       reason="credentials") from exc
