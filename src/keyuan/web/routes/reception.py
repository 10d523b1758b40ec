"""The reception workspace (前台工作台, `/reception`): where reception lands after logging in.
Today's visits at the office (polled from `/api/offices/{id}/reception/today`), 到访确认 of
escorted visits, 前台代登记 (a visitor without a phone, or whose SMS code did not arrive, is
checked in on their behalf after reading the notice shown here), whether SMS codes are getting
through, and the in-person rights desk (当面核验, `POST /api/rights/in-person`). The page's JS
(`static/reception.js`) calls those API routes; each is under its own policy entry."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyuan.api.deps import ServiceDeps
from keyuan.domain.checkin.consultants import ReassignReason
from keyuan.domain.checkin.notice import SECTIONS
from keyuan.domain.checkin.visit import OnBehalfReason
from keyuan.services.attribution import reception as board
from keyuan.services.checkin import reception as desk
from keyuan.web.pages import lang_of, render

router = APIRouter(include_in_schema=False)
AREAS = ("reception", "consultant", "challenge", "liveness", "escort")  # liveness.js words


@router.get("/reception", response_class=HTMLResponse)
def reception_page(request: Request, deps: ServiceDeps, office: str | None = None
                   ) -> HTMLResponse:
    office_id, office_name = board.reception_office(office, deps)  # NoOfficeYet → a page
    notice = desk.notice_to_show(office_id, lang_of(request), deps)
    sections = [] if notice is None else [
        (f"kiosk.section_{name}", getattr(notice, name))
        for name in SECTIONS if getattr(notice, name)]
    return render(request, "reception.html", areas=AREAS, office_id=office_id,
                  challenge=deps.liveness.challenge_required,
                  office_name=office_name, notice=notice, sections=sections,
                  reasons=[(r.value, f"reception.reason_{r.value}") for r in OnBehalfReason],
                  reassign_reasons=[(r.value, f"consultant.reason_{r.value}")
                                    for r in ReassignReason])
