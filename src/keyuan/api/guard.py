"""The one place the policy is enforced: one dependency on every API route of the app.

`install` puts `authorize` on the app's router before any route is added, so every APIRoute —
the included routers and routes defined on the app itself — runs it before its own parameters
are parsed. It looks the route's full path template up in `accounts.policy.POLICY` (no entry:
refused), authenticates a bearer token or the session cookie, resolves channel scope, checks
CSRF for cookie sessions, and sets `request.state.principal`; on a kiosk route it requires a
paired device (`DEVICE_COOKIE` or the `DEVICE_HEADER` of an API caller) and sets
`request.state.device`. FastAPI's own documentation
routes are plain Starlette routes that never run dependencies: a test holds them to PUBLIC."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from starlette.routing import BaseRoute

from keyuan.domain.accounts.errors import CsrfFailed, Forbidden, NotAuthenticated
from keyuan.domain.accounts.model import Principal
from keyuan.domain.accounts.policy import Kind, Rule, decide, rule_for
from keyuan.domain.checkin.devices import KioskDevice
from keyuan.domain.errors import DeviceNotPaired
from keyuan.services.accounts import service
from keyuan.services.accounts.service import GuardConfig
from keyuan.services.checkin import devices
from keyuan.services.ports import Deps
from keyuan.services.throttle import client_address

SESSION_COOKIE = "keyuan_session"
CSRF_COOKIE = "keyuan_csrf"
CSRF_HEADER = "X-CSRF-Token"
DEVICE_COOKIE = "keyuan_device"
DEVICE_HEADER = "X-Kiosk-Device"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def route_template(request: Request) -> str:
    """The matched route's full path template (with any include prefixes)."""
    context = request.scope.get("fastapi", {}).get("effective_route_context")
    if context is not None:
        return str(context.path_format)
    return str(getattr(request.scope.get("route"), "path", ""))


def app_routes(api: FastAPI) -> Iterator[tuple[str, str, bool]]:
    """(method, full path template, runs dependencies) of every route of the app."""
    def walk(routes: list[BaseRoute]) -> Iterator[tuple[str, str, bool]]:
        for route in routes:
            contexts = getattr(route, "effective_route_contexts", None)
            if contexts is not None:  # an included router
                for ctx in contexts():
                    for method in sorted(ctx.methods or ()):
                        yield method, ctx.path_format, True
                continue
            dependant = hasattr(route, "dependant")
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    yield method, str(getattr(route, "path", "")), dependant
    return walk(api.router.routes)


def credentials(request: Request) -> tuple[str | None, bool]:
    """(token, via_cookie). A bearer header wins over a cookie."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None, False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def device_token(request: Request) -> str | None:
    """A kiosk device's token: the header of an API caller wins over the tablet's cookie."""
    return request.headers.get(DEVICE_HEADER) or request.cookies.get(DEVICE_COOKIE) or None


def _kiosk_device(request: Request, deps: Deps) -> KioskDevice:
    peer = request.client.host if request.client else None
    client = client_address(peer, request.headers.get("x-forwarded-for"),
                            deps.limits.trusted_proxies)
    session_id = request.path_params.get("session_id")
    return devices.require_kiosk(device_token(request), deps, client=client,
                                 session_id=None if session_id is None else str(session_id))


def _channels(rule: Rule, who: Principal | None, params: dict[str, Any], deps: Deps
              ) -> list[str | None]:
    """Resolve only when it matters: a channel account on a channel-scoped route."""
    if rule.kind is not Kind.channel or who is None or who.role not in rule.channel_roles:
        return []
    out: list[str | None] = []
    for name in rule.via:
        value = params.get(name)
        if name == "statement_id" and value is not None:
            value = service.statement_channel(str(value), deps)
        out.append(None if value is None else str(value))
    return out


def authorize(request: Request) -> None:
    """The policy check every API route runs first (sync: FastAPI runs it in a thread)."""
    config: GuardConfig = request.app.state.accounts
    deps: Deps = request.app.state.deps
    rule = rule_for(request.method, route_template(request))
    token, via_cookie = credentials(request)
    principal = None
    if token is not None and rule.kind not in (Kind.visitor_token, Kind.camera_token):
        principal = service.authenticate(token, deps)
        if principal is not None and principal.via_cookie != via_cookie:
            principal = None  # a cookie session must arrive as a cookie, a bearer as a header
    decision = decide(rule, principal, _channels(rule, principal, request.path_params, deps))
    request.state.principal = principal  # known even on a refusal page (who is logged in)
    if not decision.allowed:
        if decision.status == 401:
            raise NotAuthenticated()
        raise Forbidden(f"{Forbidden.default_message} ({decision.reason})")
    if rule.kind is Kind.kiosk:  # read afresh every time: an unpairing holds at once
        request.state.device = _kiosk_device(request, deps)
    if principal is not None and via_cookie and token is not None \
            and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, service.csrf_for(config.secret, token)):
            raise CsrfFailed()


def install(api: FastAPI, deps: Deps, config: GuardConfig) -> None:
    """The one line `web.app.create_app` needs, before any route is added."""
    api.state.accounts = config
    api.state.deps = deps
    api.router.dependencies.append(Depends(authorize))


def _principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise NotAuthenticated()
    return principal


def _config(request: Request) -> GuardConfig:
    config: GuardConfig = request.app.state.accounts
    return config


def _device(request: Request) -> KioskDevice:
    device: KioskDevice | None = getattr(request.state, "device", None)
    if device is None:  # only a route the policy does not list as KIOSK gets here
        raise DeviceNotPaired()
    return device


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
CurrentDevice = Annotated[KioskDevice, Depends(_device)]
AccountsConfig = Annotated[GuardConfig, Depends(_config)]
