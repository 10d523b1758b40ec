"""What a request may be before any route sees it, as ASGI middleware.

- `BodyLimit`: a declared Content-Length over the cap is refused (413) before anything is read;
  every body is read here, up to the cap and within a deadline, then replayed: a body that never
  arrives (or trickles in) gets 408 instead of holding a worker and a connection open.
- `RefuseControlCharacters`: NUL and other control characters in the path or the query string
  get 422 (bodies are checked by the schemas, `api/schemas/common.Input`)."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote_to_bytes

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from keyuan.domain.bounds import has_control_characters


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limit: int, timeout_s: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _refuse(scope, receive, send, 413, "request_too_large",
                          f"Bodies are capped at {self.limit} bytes.")
            return
        try:
            buffered = await asyncio.wait_for(self._read_capped(receive), self.timeout_s)
        except TimeoutError:
            await _refuse(scope, receive, send, 408, "request_timeout",
                          f"The request body did not arrive within {self.timeout_s:g} s.")
            return
        if buffered is None:
            await _refuse(scope, receive, send, 413, "request_too_large",
                          f"Bodies are capped at {self.limit} bytes.")
            return
        await self.app(scope, _replay(buffered, receive), send)

    async def _read_capped(self, receive: Receive) -> list[Message] | None:
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            seen += len(message.get("body", b""))
            if seen > self.limit:
                return None
            if not message.get("more_body", False):
                return messages


class RefuseControlCharacters:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = bytes(scope.get("query_string", b"")).replace(b"+", b" ")
            query = unquote_to_bytes(raw).decode("utf-8", "replace")
            if has_control_characters(str(scope.get("path", ""))) or has_control_characters(
                    query):
                await _refuse(scope, receive, send, 422, "invalid_request",
                              "The path or query string holds control characters.")
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, code: str,
                  message: str) -> None:
    # The body was not read (or not all of it): the connection cannot carry another request.
    response = JSONResponse({"error": code, "message": message}, status_code=status,
                            headers={"connection": "close"} if status == 408 else None)
    await response(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
