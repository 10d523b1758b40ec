"""The pages' shared parts: the home page, the static assets, and `install_web` (one line in
`api.app.create_app`). Each area's pages live in their own `routes_<area>.py`."""

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


def install_web(api: FastAPI) -> None:
    """Pages and their assets (hand-written CSS/JS only; nothing copied from elsewhere)."""
    from keyuan.web.routes import areas as routes_areas

    api.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    api.include_router(router)
    for area_router in routes_areas.ROUTERS:
        api.include_router(area_router)
