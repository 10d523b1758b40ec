"""Security headers on every response, as ASGI middleware.

- `Referrer-Policy: no-referrer` everywhere: receipt ids travel in some URLs (the portal link,
  the printable receipt), and must not leak to another site through the Referer header.
- `X-Content-Type-Options: nosniff` everywhere.
- On HTML pages (not FastAPI's /docs and /redoc, which load their UI from a CDN): a Content
  Security Policy allowing only this origin's scripts (the pages have no inline script), no
  framing (the kiosk and the consent step cannot be overlaid by another site), and the camera
  for this origin only (`Permissions-Policy`)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
DOCS_PREFIXES = ("/docs", "/redoc")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(DOCS_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Content-Type-Options"] = "nosniff"
                if not docs and headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = CSP
                    headers["X-Frame-Options"] = "DENY"
                    headers["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
            await send(message)

        await self.app(scope, receive, send_with_headers)
