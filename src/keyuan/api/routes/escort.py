"""扫码带访 (QR escort): an agent asks for a one-time pass for one of its channel's registrations;
reception scans it (or types its short code) to confirm the escorted visit. Each route parses,
calls one service, renders."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.escort import EscortIn, EscortPublic, escort_public, pass_public
from keyuan.services.attribution import escort as escort_svc

router = APIRouter(prefix="/api", tags=["escort"])


@router.post("/channels/{channel_id}/registrations/{registration_id}/escort-pass",
             status_code=201)
def issue_pass(channel_id: str, registration_id: str, who: CurrentPrincipal,
               deps: ServiceDeps) -> JSONResponse:
    """带访码: valid a few minutes, for one registration at its office, used once. Not cached:
    the token is a credential until it is used or expires."""
    issued = escort_svc.issue_pass(escort_svc.IssuePassCmd(
        channel_id=channel_id, registration_id=registration_id, actor=who.actor), deps)
    return JSONResponse(pass_public(issued).model_dump(mode="json"), status_code=201,
                        headers={"Cache-Control": "no-store"})


@router.post("/offices/{office_id}/reception/escorts", status_code=201)
def confirm_escort(office_id: str, body: EscortIn, who: CurrentPrincipal,
                   deps: ServiceDeps) -> EscortPublic:
    """The scanned QR code (`token`) or the typed code (`code`), and the customer's mobile:
    到访确认 of the pass's registration at this moment, once."""
    return escort_public(escort_svc.confirm_escort(escort_svc.EscortCmd(
        office_id=office_id, token=body.token, code=body.code, mobile=body.mobile,
        staff=who.actor, name=body.name), deps))
