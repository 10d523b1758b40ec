"""The pages' shared parts: the home page and the static assets (hand-written CSS/JS only).
Each area's pages live in `web/routes/<area>.py`; `web.app` includes them all."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from keyuan.web.pages import nav_for, principal_of, render

router = APIRouter(include_in_schema=False)
STATIC_DIR = str(resources.files("keyuan.web") / "static")


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """Visitors: the kiosk and the portal. Accounts: straight to their first page."""
    who = principal_of(request)
    pages = nav_for(who)
    if who is not None and pages:
        return RedirectResponse(pages[0][0], status_code=303)
    return render(request, "home.html", pages=pages)


def mount_static(api: FastAPI) -> None:
    api.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
