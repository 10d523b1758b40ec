"""The ASGI application, built from an already-wired `bootstrap.App`."""

from __future__ import annotations

from fastapi import FastAPI

from keyuan import __version__
from keyuan.api import access_log, errors
from keyuan.api.guard import guard_config
from keyuan.api.guard import install as install_guard
from keyuan.api.headers import SecurityHeaders
from keyuan.api.limits import BodyLimit
from keyuan.api.routes.accounts import router as auth_router
from keyuan.api.routes.attribution.adjudication import router as attribution_router
from keyuan.api.routes.attribution.settlement import router as settlement_router
from keyuan.api.routes.capture import install_capture
from keyuan.api.routes.checkin import router
from keyuan.api.routes.compliance.records import router as compliance_router
from keyuan.api.routes.compliance.rights import router as rights_router
from keyuan.bootstrap import App
from keyuan.web.routes.shell import install_web


def create_app(app: App) -> FastAPI:
    api = FastAPI(
        title="keyuan (客源)", version=__version__,
        description="Consent-first visitor check-in and attribution evidence for sales offices.",
    )
    api.state.deps = app.deps
    errors.install(api)
    access_log.install()  # no query strings, no receipt ids in the access log
    install_guard(api, app.deps, guard_config(app.settings))  # one policy, every route
    # Frames are base64 JSON read into memory (never a spooled temp file); cap the body first,
    # chunked bodies included.
    api.add_middleware(BodyLimit, limit=app.settings.max_request_bytes)
    api.add_middleware(SecurityHeaders)  # CSP and no-frame on pages, no-referrer everywhere

    @api.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, object]:
        return {"status": "ok", "gallery": len(app.deps.gallery),
                "face_module": app.deps.engine is not None}

    api.include_router(auth_router)
    api.include_router(router)
    api.include_router(compliance_router)
    api.include_router(rights_router)
    api.include_router(attribution_router)
    api.include_router(settlement_router)
    install_capture(api, app.capture)  # camera push + /metrics (capture runtime on api.state)
    install_web(api)  # server-rendered pages (same policy, same API underneath)
    return api
