"""Pages of the kiosk area: the reception tablet's check-in page.

One page per office. The notice is rendered here, in the page's language, so the visitor reads
it before any choice and the consent calls carry the hash of exactly that version (C3). The
page's JS then drives the steps through the public kiosk API; nothing here writes anything."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keyuan.api.deps import ServiceDeps
from keyuan.domain.checkin.notice import REQUIRED_FIELDS
from keyuan.domain.errors import KeyuanError
from keyuan.services.checkin import kiosk as kiosk_svc
from keyuan.services.checkin.setup import office_or_first
from keyuan.services.ports import Deps
from keyuan.web.pages import lang_of, render

router = APIRouter(include_in_schema=False)


@router.get("/kiosk", response_class=HTMLResponse)
def kiosk_home(request: Request, deps: ServiceDeps) -> Response:
    """A tablet bookmarks /kiosk; it opens the office of this installation (the first one)."""
    with deps.uow() as uow:
        office = office_or_first(uow, None)
    query = f"?{urlencode({'lang': request.query_params['lang']})}" \
        if "lang" in request.query_params else ""
    return RedirectResponse(f"/kiosk/{office.id}{query}", status_code=303)


@router.get("/kiosk/{office_id}", response_class=HTMLResponse)
def kiosk_page(office_id: str, request: Request, deps: ServiceDeps) -> Response:
    """The check-in page: notice, two equal choices, then the chosen path (JS steps)."""
    lang = lang_of(request)
    with deps.uow() as uow:
        notice = kiosk_svc.active_notice(uow, office_id, lang)  # UnknownOffice → 404 page
        office = uow.offices.get(office_id)
        office_name = office.name if office else office_id
    sections = [(f"kiosk.section_{name}", getattr(notice, name)) for name in REQUIRED_FIELDS]
    return render(request, "kiosk.html", areas=("kiosk",), office_id=office_id,
                  office_name=office_name, notice=notice, sections=sections,
                  face_on=face_offered(deps))


def face_offered(deps: Deps) -> bool:
    """Face check-in is shown only when it can work: the module is on and its impact assessment
    is current (C10, C23). Otherwise the page offers mobile check-in alone."""
    try:
        deps.face_engine()
    except KeyuanError:
        return False
    return True
