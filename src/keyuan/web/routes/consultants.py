"""The consultant's page (置业顾问, `/consultant`, the `sales` role): the visits reception assigned
to them today and "your customer is back" for today's returns — proven by mobile — of customers
whose first visit here they received. Masked mobiles and times only: never how a visit was
established (no biometric fact, C17). `static/consultant.js` refreshes it from
`/api/consultant/today`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.services.checkin import consultants
from keyuan.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/consultant", response_class=HTMLResponse)
def consultant_page(request: Request, who: CurrentPrincipal, deps: ServiceDeps,
                    office: str | None = None) -> HTMLResponse:
    day = consultants.consultant_day(who.user_id, office, deps)  # NoOfficeYet → a page
    return render(request, "consultant.html", areas=("consultant",), day=day,
                  username=who.username)
