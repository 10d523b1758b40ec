"""FastAPI dependencies as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from keyuan.services.ports import Deps


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


ServiceDeps = Annotated[Deps, Depends(_deps)]
