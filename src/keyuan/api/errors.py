"""The one place errors become responses: `{"error": code, "message": ...}` with a status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from keyuan.domain.errors import KeyuanError

log = logging.getLogger("keyuan.api")


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": code, "message": message, **extra}


def domain_error(exc: KeyuanError) -> JSONResponse:
    extra = {"details": exc.details} if exc.details else {}
    return JSONResponse(error_body(exc.code, exc.message, **extra), status_code=exc.status)


def http_error_code(exc: HTTPException) -> str:
    return {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
        exc.status_code, "http_error")


def http_error(exc: HTTPException) -> JSONResponse:
    return JSONResponse(error_body(http_error_code(exc), str(exc.detail)),
                        status_code=exc.status_code)


def install(app: FastAPI) -> None:
    """JSON errors for every route. (`web.app` answers browser page requests with a page.)"""

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

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: log the type and route only (no request body, no images).
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "Something went wrong on our side."),
                            status_code=500)
