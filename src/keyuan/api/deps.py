"""FastAPI dependencies as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from keyuan.services.ports import Deps
from keyuan.services.throttle import client_address


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


ServiceDeps = Annotated[Deps, Depends(_deps)]


def _client(request: Request) -> str | None:
    deps: Deps = request.app.state.deps
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"),
                          deps.limits.trusted_proxies)


ClientAddress = Annotated[str | None, Depends(_client)]
"""The address throttles count the caller by; X-Forwarded-For only from a trusted proxy."""
