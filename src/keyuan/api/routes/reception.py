"""Reception workspace API (前台工作台, reception and admin): today's visits at the office with the
SMS gateway's state (the page polls it), the claims to confirm an escorted visit against (the
confirmation itself is `POST /api/registrations/{id}/visit-confirmation`), and a check-in on a
visitor's behalf (前台代登记). Each route parses, calls one service, renders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.reception import (
    FoundRegistrationPublic,
    OnBehalfIn,
    OnBehalfPublic,
    TodayPublic,
    found_public,
    today_public,
)
from keyuan.domain.checkin.receipt_code import format_code
from keyuan.domain.mobile import mask_mobile, normalize_mobile
from keyuan.services import sms
from keyuan.services.attribution import reception as board
from keyuan.services.checkin import reception as desk

router = APIRouter(prefix="/api/offices/{office_id}/reception", tags=["reception"])


@router.get("/today")
def today(office_id: str, deps: ServiceDeps) -> TodayPublic:
    """Today's visits (local day), newest first, and whether SMS codes are getting through."""
    return today_public(board.today(office_id, deps), sms.sms_health(deps))


@router.get("/registrations")
def registrations(office_id: str, deps: ServiceDeps,
                  q: Annotated[str, Query(max_length=40)] = "") -> list[FoundRegistrationPublic]:
    """Claims by registration id, last four digits, masked or full mobile."""
    return [found_public(r) for r in board.find_registrations(office_id, q, deps)]


@router.post("/check-ins", status_code=201)
def check_in(office_id: str, body: OnBehalfIn, who: CurrentPrincipal,
             deps: ServiceDeps) -> OnBehalfPublic:
    """The visitor states their mobile, reads the notice on the reception screen and agrees."""
    done = desk.check_in_on_behalf(desk.OnBehalfCmd(
        office_id=office_id, mobile=body.mobile, notice_hash=body.notice_hash, agree=body.agree,
        reason=body.reason, staff=who.actor, name=body.name), deps)
    return OnBehalfPublic(visit_id=done.visit.id, at=done.visit.at,
                          method=done.visit.method.value,
                          reason=str(done.visit.evidence.get("reason", body.reason.value)),
                          masked_mobile=mask_mobile(normalize_mobile(body.mobile)),
                          receipt_id=done.consent.id if done.receipt_here else None,
                          receipt_code=(format_code(done.consent.receipt_code)
                                        if done.receipt_here else None))
