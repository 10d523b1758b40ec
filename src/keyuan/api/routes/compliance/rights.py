"""Rights self-service (C19) and the staff side of it: a receipt id + a code to the mobile on
file → a 30-minute token (`X-Rights-Token`) to see, export, correct, withdraw, delete; the staff
queue; in-person verification at reception. Each route parses, calls one service, renders."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas import Frames, decode_frames
from keyuan.services.compliance import in_person as compliance_in_person
from keyuan.services.compliance import rights

router = APIRouter(prefix="/api")


RightsToken = Annotated[str, Header(alias="X-Rights-Token", min_length=8, max_length=64)]


class RightsCodeIn(BaseModel):
    receipt_id: str = Field(min_length=8, max_length=32)


class RightsVerifyIn(RightsCodeIn):
    code: str = Field(pattern=r"^\d{6}$")


class RightsCodePublic(BaseModel):
    masked_mobile: str
    expires_at: datetime


class RightsAccessPublic(BaseModel):
    token: str
    expires_at: datetime


class CorrectIn(BaseModel):
    name: str | None = Field(None, max_length=100)
    mobile: str | None = Field(None, max_length=20)


class RightsRequestPublic(BaseModel):
    id: str
    kind: str
    status: str
    received_at: datetime
    due_on: date | None
    detail: dict[str, Any]


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    outcome: str = Field(min_length=1, max_length=2000)


def _request(r: Any) -> RightsRequestPublic:
    detail = {k: v for k, v in r.detail.items() if k != "new_mobile"}
    return RightsRequestPublic(id=r.id, kind=r.kind.value, status=r.status.value,
                               received_at=r.received_at, due_on=r.due_on, detail=detail)


@router.get("/rights/portal", tags=["rights"], status_code=307,
            response_class=RedirectResponse)
def rights_portal(request: Request) -> RedirectResponse:
    """Superseded by the visitor portal /me: old printed posters' QR codes still land there,
    keeping the receipt id and language they carry."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k in ("receipt", "lang")]
    target = str(request.url_for("my_data_page"))
    return RedirectResponse(f"{target}?{urlencode(kept)}" if kept else target, status_code=307)


@router.post("/rights/code", status_code=202, tags=["rights"])
def rights_code(body: RightsCodeIn, deps: ServiceDeps) -> RightsCodePublic:
    sent = rights.request_access_code(body.receipt_id, deps)
    return RightsCodePublic(masked_mobile=sent.masked_mobile, expires_at=sent.expires_at)


@router.post("/rights/verify", tags=["rights"])
def rights_verify(body: RightsVerifyIn, deps: ServiceDeps) -> RightsAccessPublic:
    access = rights.verify_access_code(body.receipt_id, body.code, deps)
    return RightsAccessPublic(token=access.token, expires_at=access.expires_at)


@router.get("/rights/me", tags=["rights"])
def rights_me(token: RightsToken, deps: ServiceDeps) -> dict[str, Any]:
    return rights.my_data(token, deps)


@router.get("/rights/me/export", tags=["rights"])
def rights_export(token: RightsToken, deps: ServiceDeps) -> Response:
    data = rights.my_data(token, deps, export=True)
    return Response(json.dumps(data, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-data.json"'})


@router.post("/rights/me/correct", tags=["rights"])
def rights_correct(body: CorrectIn, token: RightsToken, deps: ServiceDeps) -> RightsRequestPublic:
    return _request(rights.correct(token, rights.CorrectCmd(body.name, body.mobile), deps))


@router.post("/rights/me/withdraw", tags=["rights"])
def rights_withdraw(token: RightsToken, deps: ServiceDeps) -> RightsRequestPublic:
    return _request(rights.withdraw_all(token, deps))


@router.post("/rights/me/delete", tags=["rights"])
def rights_delete(token: RightsToken, deps: ServiceDeps) -> RightsRequestPublic:
    return _request(rights.delete_everything(token, deps))


@router.get("/rights/requests", tags=["rights"])
def rights_queue(deps: ServiceDeps) -> list[RightsRequestPublic]:
    """Staff queue: requests that need a person, soonest due first."""
    return [_request(r) for r in rights.staff_queue(deps)]


@router.post("/rights/requests/{request_id}/close", tags=["rights"])
def rights_close(
    request_id: str, body: CloseIn, who: CurrentPrincipal, deps: ServiceDeps
) -> RightsRequestPublic:
    return _request(rights.close_request(request_id, approve=body.approve, outcome=body.outcome,
                                         actor=who.actor, deps=deps))


class InPersonIn(RightsCodeIn):
    frames: Frames


class InPersonPublic(BaseModel):
    """`verified`: the rights token (same as the mobile path's); `queued`: the staff task."""

    outcome: str
    token: str | None = None
    expires_at: datetime | None = None
    request: RightsRequestPublic | None = None


@router.post("/rights/in-person", tags=["rights"], response_model=InPersonPublic,
             responses={202: {"model": InPersonPublic}})
def rights_in_person(body: InPersonIn, who: CurrentPrincipal, deps: ServiceDeps) -> JSONResponse:
    """At reception (当面核验): the visitor's live face 1:1 against their receipt's own template
    opens a rights session; with no template left, the request is queued for staff (202)."""
    done = compliance_in_person.start_in_person(compliance_in_person.InPersonCmd(
        body.receipt_id, decode_frames(body.frames), who.username), deps)
    if done.access is not None:
        out = InPersonPublic(outcome="verified", token=done.access.token,
                             expires_at=done.access.expires_at)
        return JSONResponse(out.model_dump(mode="json"))
    assert done.queued is not None
    out = InPersonPublic(outcome="queued", request=_request(done.queued))
    return JSONResponse(out.model_dump(mode="json"), status_code=202)
