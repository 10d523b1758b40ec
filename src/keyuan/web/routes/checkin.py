"""Pages of the kiosk area: the reception tablet's check-in page.

One page per office. The notice is rendered here, in the page's language, so the visitor reads
it before any choice and the consent calls carry the hash of exactly that version (C3). The
page's JS then drives the steps through the public kiosk API; nothing here writes anything."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keyuan.api.deps import ServiceDeps
from keyuan.domain.checkin.notice import SECTIONS
from keyuan.services.checkin import kiosk as kiosk_svc
from keyuan.web.pages import lang_of, render

router = APIRouter(include_in_schema=False)


@router.get("/kiosk", response_class=HTMLResponse)
def kiosk_home(request: Request, deps: ServiceDeps) -> Response:
    """A tablet bookmarks /kiosk; it opens the office of this installation (the first one)."""
    office_id = kiosk_svc.installation_office(deps)
    query = f"?{urlencode({'lang': request.query_params['lang']})}" \
        if "lang" in request.query_params else ""
    return RedirectResponse(f"/kiosk/{office_id}{query}", status_code=303)


@router.get("/kiosk/{office_id}", response_class=HTMLResponse)
def kiosk_page(office_id: str, request: Request, deps: ServiceDeps) -> Response:
    """The check-in page: notice, two equal choices, then the chosen path (JS steps)."""
    page = kiosk_svc.kiosk_page(office_id, lang_of(request), deps)  # UnknownOffice → 404 page
    sections = [(f"kiosk.section_{name}", getattr(page.notice, name))
                for name in SECTIONS if getattr(page.notice, name)]
    return render(request, "kiosk.html", areas=("kiosk",), office_id=page.office_id,
                  office_name=page.office_name, notice=page.notice, sections=sections,
                  face_on=page.face_on, sms_offline=page.sms_offline)
