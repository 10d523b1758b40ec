"""The login page, server-rendered in the page shell (zh-CN default, en); pages redirect here
with `?next=`. The form posts back here and gets the same cookies as `POST /api/auth/login`."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from keyuan.api.deps import ClientAddress, ServiceDeps
from keyuan.api.guard import AccountsConfig
from keyuan.api.routes.accounts import set_session_cookies
from keyuan.domain.accounts.errors import LoginFailed, LoginThrottled
from keyuan.services.accounts import service
from keyuan.services.accounts.service import GuardConfig
from keyuan.web.pages import render

router = APIRouter(tags=["accounts"])
LOGIN_CSRF_COOKIE = "keyuan_login_csrf"


def _safe_next(target: str) -> str:
    """Only a local path: never an open redirect to another site."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"


def _page(request: Request, next_: str, config: GuardConfig, *, status: int = 200,
          error: str | None = None, username: str = "") -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)  # double-submit: cookie + hidden field, before any session
    response = render(request, "login.html", status=status, next=_safe_next(next_), csrf=csrf,
                      error=error, username=username)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, max_age=3600, path="/login", httponly=True,
                        secure=config.cookie_secure, samesite="strict")
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, config: AccountsConfig, next: str = "/") -> HTMLResponse:
    return _page(request, next, config)


@router.post("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(
    request: Request, deps: ServiceDeps, config: AccountsConfig, client: ClientAddress,
    username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=64)], next: Annotated[str, Form()] = "/",
    login_csrf: Annotated[str | None, Cookie(alias=LOGIN_CSRF_COOKIE)] = None,
) -> Response:
    if not login_csrf or not hmac.compare_digest(login_csrf, csrf_token):
        return _page(request, next, config, status=403, error="login.expired", username=username)
    try:
        logged = service.login(username, password, "cookie", deps, config.sessions,
                               client=client)
    except LoginThrottled as throttled:
        page = _page(request, next, config, status=429, error="login.throttled",
                     username=username)
        page.headers["Retry-After"] = str(throttled.retry_after)
        return page
    except LoginFailed:
        return _page(request, next, config, status=401, error="login.failed", username=username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookies(response, config, logged)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response
