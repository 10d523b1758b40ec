"""The one place errors become responses: `{"error": code, "message": ...}` with a status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from keyuan.domain.errors import KeyuanError
from keyuan.web.pages import error_page, is_page_request

log = logging.getLogger("keyuan.api")


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": code, "message": message, **extra}


def install(app: FastAPI) -> None:
    @app.exception_handler(KeyuanError)
    async def _domain(request: Request, exc: KeyuanError) -> Response:
        if is_page_request(request):  # a browser page: log in first, or a readable page
            return error_page(request, exc.status, exc.code, exc.message)
        extra = {"details": exc.details} if exc.details else {}
        return JSONResponse(error_body(exc.code, exc.message, **extra), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo input values back: they may hold a mobile number or image data.
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        ]
        return JSONResponse(error_body("invalid_request", "; ".join(problems)), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
            exc.status_code, "http_error")
        if is_page_request(request):
            return error_page(request, exc.status_code, code, str(exc.detail))
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: log the type and route only (no request body, no images).
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "Something went wrong on our side."),
                            status_code=500)
