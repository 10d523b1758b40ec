"""The one place errors become responses: `{"error": code, "message": ...}` with a status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from keyuan.domain.checkin.liveness import NotLive
from keyuan.domain.errors import KeyuanError

log = logging.getLogger("keyuan.api")


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": code, "message": message, **extra}


def domain_error(exc: KeyuanError) -> JSONResponse:
    extra: dict[str, object] = {"details": exc.details} if exc.details else {}
    if isinstance(exc, NotLive):  # which liveness check failed: `liveness.<reason>` words
        extra["reason"] = str(exc.reason)
    retry_after = getattr(exc, "retry_after", None)  # Throttled, SmsNotDelivered
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(error_body(exc.code, exc.message, **extra), status_code=exc.status,
                        headers=headers)


def http_error_code(exc: HTTPException) -> str:
    return {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
        exc.status_code, "http_error")


def http_error(exc: HTTPException) -> JSONResponse:
    return JSONResponse(error_body(http_error_code(exc), str(exc.detail)),
                        status_code=exc.status_code)


def install(app: FastAPI) -> None:
    """JSON errors for every route. (`web.app` answers browser page requests with a page.)
    A bug is answered by `InternalErrors`, installed as middleware."""

    @app.exception_handler(KeyuanError)
    async def _domain(_: Request, exc: KeyuanError) -> Response:
        return domain_error(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo input values back: they may hold a mobile number or image data.
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        ]
        return JSONResponse(error_body("invalid_request", "; ".join(problems)), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> Response:
        return http_error(exc)



def route_of(scope: Scope) -> str:
    """The matched route's template (`/api/receipts/{receipt_id}`), never the path itself: a
    path can carry a receipt id, a query string anything."""
    return str(getattr(scope.get("route"), "path", None) or "(no route)")


class InternalErrors:
    """An exception no handler took (a bug, not bad input) becomes a JSON 500 here, and stops
    here: Starlette's `ServerErrorMiddleware` would print the traceback and re-raise it to
    uvicorn, which logs it again and drops the keep-alive connection. The exception's text can
    hold SQL parameters (a mobile number, a name), so only its type and the route are logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            log.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"),
                      route_of(scope))
            if not started:
                body = error_body("internal_error", "Something went wrong on our side.")
                await JSONResponse(body, status_code=500)(scope, receive, send)
