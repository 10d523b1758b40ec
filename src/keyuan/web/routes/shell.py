"""The pages' shared parts: the home page and the static assets (hand-written CSS/JS only).
Each area's pages live in `web/routes/<area>.py`; `web.app` includes them all."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from keyuan.web.pages import landing_for, nav_for, principal_of, render

router = APIRouter(include_in_schema=False)
STATIC_DIR = str(resources.files("keyuan.web") / "static")


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """Visitors: the kiosk and the portal. Accounts: straight to their landing page."""
    who = principal_of(request)
    landing = landing_for(who)
    if landing is not None:
        return RedirectResponse(landing, status_code=303)
    return render(request, "home.html", pages=nav_for(who))


def mount_static(api: FastAPI) -> None:
    api.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
