"""Log in, log out, who am I. (The login page is `web/routes/accounts.py`.)

Browsers get two cookies: `keyuan_session` (HttpOnly, SameSite=Strict, Secure unless turned off
for plain-HTTP localhost) and `keyuan_csrf` (readable by the page's JS, sent back as the
`X-CSRF-Token` header on every state-changing request). API clients and scripts use
`POST /api/auth/token` and send `Authorization: Bearer <token>` instead (no CSRF needed)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from keyuan.api.deps import ClientAddress, ServiceDeps
from keyuan.api.guard import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AccountsConfig,
    CurrentPrincipal,
)
from keyuan.api.schemas.accounts import (
    LoginIn,
    LoginPublic,
    MePublic,
    TokenPublic,
)
from keyuan.services.accounts import service
from keyuan.services.accounts.service import GuardConfig

router = APIRouter(tags=["accounts"])


def set_session_cookies(response: Response, config: GuardConfig, logged: service.LoggedIn) -> str:
    csrf = service.csrf_for(config.secret, logged.token)
    age = config.sessions.ttl_seconds
    for name, value, http_only in ((SESSION_COOKIE, logged.token, True),
                                   (CSRF_COOKIE, csrf, False)):
        response.set_cookie(name, value, max_age=age, path="/", secure=config.cookie_secure,
                            httponly=http_only, samesite="strict")
    return csrf


@router.post("/api/auth/login")
def login(body: LoginIn, response: Response, deps: ServiceDeps,
          config: AccountsConfig, client: ClientAddress) -> LoginPublic:
    """Browser login: sets the session and CSRF cookies."""
    logged = service.login(body.username, body.password, "cookie", deps, config.sessions,
                           client=client)
    csrf = set_session_cookies(response, config, logged)
    u = logged.user
    return LoginPublic(username=u.username, role=u.role.value, channel_id=u.channel_id,
                       csrf_token=csrf, expires_at=logged.session.expires_at)


@router.post("/api/auth/token")
def token(body: LoginIn, deps: ServiceDeps, config: AccountsConfig,
          client: ClientAddress) -> TokenPublic:
    """API clients and scripts: a bearer token (`Authorization: Bearer ...`), no cookie."""
    logged = service.login(body.username, body.password, "bearer", deps, config.sessions,
                           client=client)
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
