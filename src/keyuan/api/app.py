"""The ASGI application, built from an already-wired `bootstrap.App`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from keyuan import __version__
from keyuan.api import errors
from keyuan.api.errors import error_body
from keyuan.api.routes import router
from keyuan.api.routes_attribution import router as attribution_router
from keyuan.api.routes_compliance import router as compliance_router
from keyuan.bootstrap import App


def create_app(app: App) -> FastAPI:
    api = FastAPI(
        title="keyuan (客源)", version=__version__,
        description="Consent-first visitor check-in and attribution evidence for sales offices.",
    )
    api.state.deps = app.deps
    errors.install(api)
    # Frames are base64 JSON read into memory (never a spooled temp file); cap the body first.
    limit = app.settings.max_request_bytes

    @api.middleware("http")
    async def _cap_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return JSONResponse(error_body("request_too_large", f"Bodies are capped at {limit} "
                                           "bytes."), status_code=413)
        return await call_next(request)

    @api.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, object]:
        return {"status": "ok", "gallery": len(app.deps.gallery),
                "face_module": app.deps.engine is not None}

    api.include_router(router)
    api.include_router(compliance_router)
    api.include_router(attribution_router)
    return api
