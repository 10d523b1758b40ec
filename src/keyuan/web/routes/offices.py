"""The office admin page (admin role): the legal entities behind this installation's offices
— the controller every notice and receipt names — and the offices. The page lists them; its
JS adds and edits through `/api/admin/…` (same policy, same service underneath)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyuan.api.deps import ServiceDeps
from keyuan.services.checkin import offices as svc
from keyuan.web.i18n import Translator
from keyuan.web.pages import render

router = APIRouter(include_in_schema=False)


def field_words(t: Translator, missing: list[str]) -> str:
    """The controller fields not on file, in the page's language."""
    return ", ".join(t(f"offices.field_{name}") for name in missing)


@router.get("/admin/offices", response_class=HTMLResponse)
def offices_page(request: Request, deps: ServiceDeps) -> HTMLResponse:
    return render(request, "offices.html", areas=("offices",), field_words=field_words,
                  entities=svc.legal_entities(deps), offices=svc.offices(deps))
