"""`Idempotency-Key` on every money-changing POST, as ASGI middleware.

A client that is not sure its request arrived (a timeout, a dropped connection) sends it again
with the same key: the first request runs once, and every repeat with the same key and the
same body bytes gets the first answer again, marked `Idempotent-Replayed: true`. The same key
with a different body is refused (422 `idempotency_key_reused`). A repeat that arrives while
the first is still running waits for it (up to `WAIT_S`, then 409 `idempotency_key_in_flight`).
Keys are scoped to the caller's credential, method and path, so one caller's key never
replays another's answer. Answers of 5xx, 401 and 403 are not kept: a retry runs again."""

from __future__ import annotations

import hashlib
import logging
import re
import time

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from keyuan.api.errors import domain_error
from keyuan.api.guard import SESSION_COOKIE
from keyuan.domain.errors import IdempotencyKeyInFlight, IdempotencyKeyInvalid, KeyuanError
from keyuan.services import idempotency as service
from keyuan.services.ports import Deps, IdempotencyRecord

log = logging.getLogger("keyuan.api")
HEADER = b"idempotency-key"
REPLAYED = (b"idempotent-replayed", b"true")
WAIT_S = 30.0
POLL_S = 0.05
KEY = re.compile(r"[\x21-\x7e]{1,255}")
MONEY_ROUTES = re.compile(
    r"/api/(offices/[^/]+/signings|signings/[^/]+/(review|send-to-review)"
    r"|channels/[^/]+/(agreements|statements)|statements/[^/]+/(approve|paid|void)"
    r"|channels/[^/]+/statements/[^/]+/disputes|disputes/[^/]+/decision)")
NOT_KEPT = frozenset({401, 403})


class Idempotency:
    def __init__(self, app: ASGIApp, *, deps: Deps) -> None:
        self.app = app
        self.deps = deps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        key = headers.get(HEADER)
        credential = _credential(headers)
        if (key is None or credential is None or scope["method"] != "POST"
                or not MONEY_ROUTES.fullmatch(scope["path"])):
            await self.app(scope, receive, send)
            return
        try:
            await self._once(scope, receive, send, key.decode("latin-1"), credential)
        except KeyuanError as exc:
            await domain_error(exc)(scope, receive, send)

    async def _once(self, scope: Scope, receive: Receive, send: Send, key: str,
                    credential: str) -> None:
        if not KEY.fullmatch(key):
            raise IdempotencyKeyInvalid()
        messages = await _read_body(receive)
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        caller = _digest(f"{credential}\n{scope['method']} {scope['path']}".encode())
        first = await self._claim(caller, key, _digest(body))
        if first is not None:
            await _replay(first, send)
            return
        answer = _Answer(send)
        try:
            await self.app(scope, _replayed(messages, receive), answer.send)
        except BaseException:
            await run_in_threadpool(service.release, caller, key, self.deps)
            raise
        try:
            if answer.status >= 500 or answer.status in NOT_KEPT:
                await run_in_threadpool(service.release, caller, key, self.deps)
            else:
                await run_in_threadpool(service.finish, caller, key, answer.record(), self.deps)
        except KeyuanError as exc:  # the answer went out; the claim goes stale (`STALE`)
            log.warning("idempotency key not recorded: %s", exc.code)

    async def _claim(self, caller: str, key: str, request_hash: str) -> IdempotencyRecord | None:
        """None: this request runs. A record: the first request's answer."""
        deadline = time.monotonic() + WAIT_S
        while True:
            found = await run_in_threadpool(service.claim, caller, key, request_hash, self.deps)
            if found is service.Claim.RUN:
                return None
            if isinstance(found, IdempotencyRecord):
                return found
            if time.monotonic() > deadline:
                raise IdempotencyKeyInFlight()
            await anyio.sleep(POLL_S)


class _Answer:
    """Passes the response on while keeping its status, type and body."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500
        self.content_type: str | None = None
        self.body = bytearray()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            found = dict(message.get("headers") or []).get(b"content-type")
            self.content_type = found.decode("latin-1") if found else None
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
        await self._send(message)

    def record(self) -> IdempotencyRecord:
        return IdempotencyRecord("", self.status, self.content_type, bytes(self.body))


async def _replay(first: IdempotencyRecord, send: Send) -> None:
    headers = [REPLAYED, (b"content-length", str(len(first.body)).encode())]
    if first.content_type:
        headers.append((b"content-type", first.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": first.status_code or 200,
                "headers": headers})
    await send({"type": "http.response.body", "body": first.body})


def _credential(headers: dict[bytes, bytes]) -> str | None:
    """The bearer token or session cookie (as `guard.credentials` reads them); hashed before
    it is stored, like everything else in the key's scope."""
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return "bearer:" + auth[7:].strip()
    cookie = cookie_parser(headers.get(b"cookie", b"").decode("latin-1")).get(SESSION_COOKIE)
    return "cookie:" + cookie if cookie else None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _read_body(receive: Receive) -> list[Message]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replayed(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
