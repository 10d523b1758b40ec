"""The one ASGI application, built from an already-wired `bootstrap.App`: the JSON API
(`api/routes`), the pages (`web/routes`), and the middleware and error handling both share. A
browser asking for a page gets a page for an error (log in first, or a readable message); every
other caller gets the JSON error of `api.errors`."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from keyuan import __version__
from keyuan.api import access_log, errors
from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import install as install_guard
from keyuan.api.headers import SecurityHeaders
from keyuan.api.idempotency import Idempotency
from keyuan.api.limits import BodyLimit, RefuseControlCharacters
from keyuan.api.routes import accounts as accounts_api
from keyuan.api.routes import admin_accounts as admin_accounts_api
from keyuan.api.routes import admin_channels as admin_channels_api
from keyuan.api.routes import attribution as attribution_api
from keyuan.api.routes import checkin as checkin_api
from keyuan.api.routes import compliance as compliance_api
from keyuan.api.routes import consultants as consultants_api
from keyuan.api.routes import devices as devices_api
from keyuan.api.routes import escort as escort_api
from keyuan.api.routes import offices as offices_api
from keyuan.api.routes import reception as reception_api
from keyuan.api.routes import teams as teams_api
from keyuan.api.routes.capture import install_capture
from keyuan.bootstrap import App
from keyuan.config.tls import CA_CERT, tls_dir
from keyuan.domain.errors import KeyuanError
from keyuan.services.checkin.setup import store_answers
from keyuan.web.pages import error_page, is_page_request
from keyuan.web.routes import accounts as accounts_pages
from keyuan.web.routes import admin as admin_pages
from keyuan.web.routes import admin_ops as admin_ops_pages
from keyuan.web.routes import attribution as attribution_pages
from keyuan.web.routes import checkin as kiosk_pages
from keyuan.web.routes import compliance as compliance_pages
from keyuan.web.routes import consultants as consultant_pages
from keyuan.web.routes import devices as device_pages
from keyuan.web.routes import escort as escort_pages
from keyuan.web.routes import offices as office_pages
from keyuan.web.routes import reception as reception_pages
from keyuan.web.routes import shell
from keyuan.web.routes import tls as tls_pages

API_ROUTERS: tuple[APIRouter, ...] = (
    accounts_api.router, checkin_api.router, compliance_api.router, attribution_api.router,
    offices_api.router, admin_accounts_api.router, devices_api.router,
    admin_channels_api.router, reception_api.router, escort_api.router, teams_api.router,
    consultants_api.router,
)
PAGE_ROUTERS: tuple[APIRouter, ...] = (
    shell.router, accounts_pages.router, kiosk_pages.router, compliance_pages.router,
    compliance_pages.printouts, attribution_pages.router, attribution_pages.printouts,
    tls_pages.router,
    office_pages.router, admin_pages.router, device_pages.router, admin_ops_pages.router,
    reception_pages.router, escort_pages.router, consultant_pages.router,
)


def create_app(app: App) -> FastAPI:
    api = FastAPI(
        title="keyuan (客源)", version=__version__,
        description="Consent-first visitor check-in and attribution evidence for sales offices.",
    )
    api.state.deps = app.deps
    api.state.retention = app.retention  # the purge scheduler's runs, for the dashboard
    api.state.tls_ca = tls_dir(app.settings.data_dir) / CA_CERT  # public: /tls/ca.crt
    api.state.ca_downloads = []  # `serve` sets the plain-HTTP download URLs it printed
    errors.install(api)
    _install_page_errors(api)
    access_log.install()  # no query strings, no receipt ids in the access log
    install_guard(api, app.deps, app.guard)  # one policy, every route
    # Frames are base64 JSON read into memory (never a spooled temp file); cap the body first,
    # chunked bodies included.
    api.add_middleware(Idempotency, deps=app.deps)  # Idempotency-Key on money-changing POSTs
    api.add_middleware(BodyLimit, limit=app.settings.max_request_bytes,
                       timeout_s=app.settings.body_timeout_seconds)  # 413, 408
    api.add_middleware(RefuseControlCharacters)  # in the path or the query string: 422
    api.add_middleware(errors.InternalErrors)  # a bug: JSON 500, logged as type and route only
    api.add_middleware(SecurityHeaders)  # CSP and no-frame on pages, no-referrer everywhere

    @api.get("/healthz", tags=["ops"])
    def healthz(deps: ServiceDeps) -> JSONResponse:
        """Up or down, nothing more: this answers anyone (no counts, no settings)."""
        up = store_answers(deps)
        return JSONResponse({"status": "up" if up else "down"}, status_code=200 if up else 503)

    for router in API_ROUTERS:
        api.include_router(router)
    install_capture(api, app.capture)  # camera push + /metrics (capture runtime on api.state)
    shell.mount_static(api)
    for router in PAGE_ROUTERS:  # server-rendered pages (same policy, same API underneath)
        api.include_router(router)
    return api


def _install_page_errors(api: FastAPI) -> None:
    @api.exception_handler(KeyuanError)
    async def _domain(request: Request, exc: KeyuanError) -> Response:
        if is_page_request(request):  # a browser page: log in first, or a readable page
            return error_page(request, exc.status, exc.code, exc.message)
        return errors.domain_error(exc)

    @api.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if is_page_request(request):
            return error_page(request, exc.status_code, errors.http_error_code(exc),
                              str(exc.detail))
        return errors.http_error(exc)
