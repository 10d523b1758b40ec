"""Log in, log out, who am I — and a minimal server-rendered login page (zh-CN default, en).

Browsers get two cookies: `keyuan_session` (HttpOnly, SameSite=Strict, Secure unless turned off
for plain-HTTP localhost) and `keyuan_csrf` (readable by the page's JS, sent back as the
`X-CSRF-Token` header on every state-changing request). API clients and scripts use
`POST /api/auth/token` and send `Authorization: Bearer <token>` instead (no CSRF needed)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Cookie, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AccountsConfig,
    CurrentPrincipal,
    GuardConfig,
)
from keyuan.domain.accounts.errors import LoginFailed, LoginThrottled
from keyuan.services.accounts import service
from keyuan.web.pages import render

router = APIRouter(tags=["accounts"])
LOGIN_CSRF_COOKIE = "keyuan_login_csrf"


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256, repr=False)


class MePublic(BaseModel):
    username: str
    role: str
    channel_id: str | None


class LoginPublic(MePublic):
    csrf_token: str
    expires_at: datetime


class TokenPublic(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


def _set_session(response: Response, config: GuardConfig, logged: service.LoggedIn) -> str:
    csrf = service.csrf_for(config.secret, logged.token)
    age = config.sessions.ttl_seconds
    for name, value, http_only in ((SESSION_COOKIE, logged.token, True),
                                   (CSRF_COOKIE, csrf, False)):
        response.set_cookie(name, value, max_age=age, path="/", secure=config.cookie_secure,
                            httponly=http_only, samesite="strict")
    return csrf


@router.post("/api/auth/login")
def login(body: LoginIn, response: Response, deps: ServiceDeps,
          config: AccountsConfig) -> LoginPublic:
    """Browser login: sets the session and CSRF cookies."""
    logged = service.login(body.username, body.password, "cookie", deps, config.sessions)
    csrf = _set_session(response, config, logged)
    u = logged.user
    return LoginPublic(username=u.username, role=u.role.value, channel_id=u.channel_id,
                       csrf_token=csrf, expires_at=logged.session.expires_at)


@router.post("/api/auth/token")
def token(body: LoginIn, deps: ServiceDeps, config: AccountsConfig) -> TokenPublic:
    """API clients and scripts: a bearer token (`Authorization: Bearer ...`), no cookie."""
    logged = service.login(body.username, body.password, "bearer", deps, config.sessions)
    return TokenPublic(token=logged.token, expires_at=logged.session.expires_at)


@router.post("/api/auth/logout", status_code=204)
def logout(who: CurrentPrincipal, deps: ServiceDeps, config: AccountsConfig) -> Response:
    service.logout(who, deps)
    response = Response(status_code=204)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=config.cookie_secure, httponly=True,
                               samesite="strict")
    return response


@router.get("/api/auth/me")
def me(who: CurrentPrincipal) -> MePublic:
    return MePublic(username=who.username, role=who.role.value, channel_id=who.channel_id)


# --- the login page (server-rendered in the page shell; pages redirect here with ?next=) ---
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
    request: Request, deps: ServiceDeps, config: AccountsConfig,
    username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=64)], next: Annotated[str, Form()] = "/",
    login_csrf: Annotated[str | None, Cookie(alias=LOGIN_CSRF_COOKIE)] = None,
) -> Response:
    if not login_csrf or not hmac.compare_digest(login_csrf, csrf_token):
        return _page(request, next, config, status=403, error="login.expired", username=username)
    try:
        logged = service.login(username, password, "cookie", deps, config.sessions)
    except LoginThrottled:
        return _page(request, next, config, status=429, error="login.throttled",
                     username=username)
    except LoginFailed:
        return _page(request, next, config, status=401, error="login.failed", username=username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_session(response, config, logged)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response
