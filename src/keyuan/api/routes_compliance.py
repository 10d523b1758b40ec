"""Compliance endpoints: signed receipts (C8), impact assessment status (C23), audit chain (C17).
Each route parses, calls one service, renders."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from keyuan.accounts.guard import CurrentPrincipal
from keyuan.api.deps import ServiceDeps
from keyuan.api.schemas import Frames, decode_frames
from keyuan.compliance.render import page, qr_svg
from keyuan.compliance.signing import ALGORITHM
from keyuan.errors import ReceiptNotSigned
from keyuan.services import (
    compliance_audit,
    compliance_filing,
    compliance_in_person,
    compliance_inspect,
    compliance_pia,
    compliance_receipts,
    notices,
    rights,
)
from keyuan.services import kiosk as kiosk_svc

router = APIRouter(prefix="/api")
SHANGHAI = ZoneInfo("Asia/Shanghai")


class ReceiptKeyPublic(BaseModel):
    algorithm: str
    public_key: str
    key_id: str


class ReceiptCheckPublic(BaseModel):
    genuine: bool
    problems: list[str]
    consent_status: str


class AssessmentPublic(BaseModel):
    current: bool
    settings_hash: str
    latest_id: str | None
    latest_recorded_at: datetime | None
    latest_is_demo: bool | None


class AuditPublic(BaseModel):
    intact: bool
    entries: int
    head: str
    problems: list[str]


@router.get("/compliance/receipt-key", tags=["receipts"])
def receipt_key(deps: ServiceDeps) -> ReceiptKeyPublic:
    """The office's public receipt key: anyone can check a receipt against it."""
    signer = deps.receipt_signer
    if signer is None:
        raise ReceiptNotSigned("This installation does not sign receipts.")
    return ReceiptKeyPublic(algorithm=ALGORITHM, public_key=signer.public_key,
                            key_id=signer.key_id)


@router.get("/receipts/{receipt_id}/signed", tags=["receipts"])
def signed_receipt(receipt_id: str, deps: ServiceDeps) -> dict[str, Any]:
    """The receipt and its Ed25519 signature: the JSON copy the visitor keeps."""
    return compliance_receipts.signed_receipt(receipt_id, deps).document


@router.get("/receipts/{receipt_id}/qr.svg", tags=["receipts"])
def receipt_qr(receipt_id: str, request: Request, deps: ServiceDeps) -> Response:
    compliance_receipts.signed_receipt(receipt_id, deps)  # 404 unless it exists and is signed
    url = str(request.url_for("signed_receipt", receipt_id=receipt_id))
    return Response(qr_svg(url), media_type="image/svg+xml")


@router.get("/receipts/{receipt_id}/print", tags=["receipts"], response_class=HTMLResponse)
def receipt_page(receipt_id: str, request: Request, deps: ServiceDeps) -> HTMLResponse:
    """A printable A4 page (zh-CN) with a QR code of the signed JSON."""
    signed = compliance_receipts.signed_receipt(receipt_id, deps)
    url = str(request.url_for("signed_receipt", receipt_id=receipt_id))
    signature = signed.document["signature"]
    return HTMLResponse(page(
        "receipt.html", r=signed.document["receipt"], active=signed.consent.is_active,
        given_at=f"{signed.consent.given_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (北京时间)",
        key_id=signature["keyId"], signature=signature["value"], qr=qr_svg(url),
    ))


@router.post("/compliance/receipts/verify", tags=["receipts"])
def verify_receipt(deps: ServiceDeps, document: Any = Body(...)) -> ReceiptCheckPublic:  # noqa: B008
    check = compliance_receipts.check_receipt(document, deps)
    return ReceiptCheckPublic(genuine=check.genuine, problems=check.problems,
                              consent_status=check.consent_status)


@router.get("/compliance/impact-assessment", tags=["compliance"])
def impact_assessment(deps: ServiceDeps) -> AssessmentPublic:
    status = compliance_pia.assessment_status(deps)
    latest = status.latest
    return AssessmentPublic(
        current=status.current, settings_hash=status.settings_hash,
        latest_id=latest.id if latest else None,
        latest_recorded_at=latest.recorded_at if latest else None,
        latest_is_demo=latest.demo if latest else None,
    )


@router.get("/compliance/audit", tags=["compliance"])
def audit(deps: ServiceDeps) -> AuditPublic:
    report = compliance_audit.verify_audit(deps)
    return AuditPublic(intact=report.intact, entries=report.entries, head=str(report.head),
                       problems=report.problems)


class FilingPublic(BaseModel):
    legal_entity: str
    people: int
    state: str
    due_since: datetime | None
    deadline: date | None


@router.get("/compliance/filing", tags=["compliance"])
def filing(deps: ServiceDeps) -> list[FilingPublic]:
    """C24: live count of people with templates per legal entity, and the filing state."""
    return [FilingPublic(legal_entity=s.legal_entity, people=s.people, state=s.state.value,
                         due_since=s.due_since, deadline=s.deadline)
            for s in compliance_filing.filing_overview(deps)]


@router.get("/compliance/filing/{legal_entity}/pack", tags=["compliance"])
def filing_pack(legal_entity: str, deps: ServiceDeps) -> dict[str, Any]:
    return compliance_filing.filing_pack(legal_entity, deps)


@router.get("/compliance/filing/{legal_entity}/pack.html", tags=["compliance"],
            response_class=HTMLResponse)
def filing_pack_page(legal_entity: str, deps: ServiceDeps) -> HTMLResponse:
    return HTMLResponse(page("filing.html", p=compliance_filing.filing_pack(legal_entity, deps)))


class InspectionPublic(BaseModel):
    clean: bool
    templates: int
    violations: list[tuple[str, str]]
    audit_entries: int
    audit_problems: list[str]
    assessment_current: bool


@router.get("/compliance/inspection", tags=["compliance"])
def inspection(deps: ServiceDeps) -> InspectionPublic:
    """Proof for the whole vault: every template under a valid, active, signed consent."""
    r = compliance_inspect.inspect_vault(deps)
    return InspectionPublic(clean=r.clean, templates=r.templates, violations=r.violations,
                            audit_entries=r.audit_entries, audit_problems=r.audit_problems,
                            assessment_current=r.assessment_current)


@router.get("/compliance/inspection.html", tags=["compliance"], response_class=HTMLResponse)
def inspection_page(deps: ServiceDeps) -> HTMLResponse:
    r = compliance_inspect.inspect_vault(deps)
    return HTMLResponse(page("inspection.html", r=r,
                             at=f"{r.at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (北京时间)"))


@router.get("/offices/{office_id}/poster", tags=["notice"], response_class=HTMLResponse)
def notice_poster(office_id: str, request: Request, deps: ServiceDeps) -> HTMLResponse:
    """A printable A4 poster (zh-CN, C4): informs, never consents; QR codes to the notice and
    the rights portal."""
    with deps.uow() as uow:
        notice = kiosk_svc.active_notice(uow, office_id, "zh-CN")
        office = uow.offices.get(office_id)
    notice_url = str(request.url_for("get_notice", office_id=office_id))
    rights_url = str(request.url_for("rights_portal"))
    return HTMLResponse(page("poster.html", office=office, notice=notice, notice_url=notice_url,
                             rights_url=rights_url, notice_qr=qr_svg(notice_url),
                             rights_qr=qr_svg(rights_url)))


# --- rights self-service (C19): receipt id + code to the mobile on file → 30-minute token ---
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


@router.get("/rights/portal", tags=["rights"], response_class=HTMLResponse)
def rights_portal() -> HTMLResponse:
    """The self-service page the notice poster's QR code points to (zh-CN)."""
    return HTMLResponse(page("rights_portal.html"))


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


@router.get("/rights/me/export.html", tags=["rights"], response_class=HTMLResponse)
def rights_export_page(token: RightsToken, deps: ServiceDeps) -> HTMLResponse:
    return HTMLResponse(page("my_data.html", d=rights.my_data(token, deps, export=True)))


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


# --- notices (C3, C9, C25): drafts, the completeness and grant lint, publish ---
class NoticeDraftIn(BaseModel):
    language: str = Field("zh-CN", max_length=10)
    text: dict[str, str] = Field(description="The notice's text fields (controller, purpose, …).")


class NoticeAdminPublic(BaseModel):
    id: int
    office_id: str
    language: str
    state: str
    version: int
    content_hash: str | None
    published_at: datetime | None
    problems: list[str]
    text: dict[str, str]


def _notice(view: notices.NoticeView) -> NoticeAdminPublic:
    n = view.notice
    assert n.id is not None
    text = {k: v for k, v in n.content().items() if k not in ("office_id", "language")}
    return NoticeAdminPublic(id=n.id, office_id=n.office_id, language=n.language,
                             state=view.state.value, version=n.version,
                             content_hash=n.content_hash or None, published_at=n.published_at,
                             problems=view.problems, text=text)


@router.post("/offices/{office_id}/notices", status_code=201, tags=["notice"])
def notice_draft(office_id: str, body: NoticeDraftIn, who: CurrentPrincipal,
                 deps: ServiceDeps) -> NoticeAdminPublic:
    """A draft may be incomplete: `problems` lists what publishing still needs."""
    return _notice(notices.create_draft(notices.DraftCmd(office_id, body.language, body.text),
                                        deps, actor=who.actor))


@router.get("/offices/{office_id}/notices", tags=["notice"])
def notice_list(office_id: str, deps: ServiceDeps) -> list[NoticeAdminPublic]:
    return [_notice(v) for v in notices.list_notices(office_id, deps)]


@router.get("/notices/{notice_id}", tags=["notice"])
def notice_show(notice_id: int, deps: ServiceDeps) -> NoticeAdminPublic:
    return _notice(notices.show_notice(notice_id, deps))


@router.post("/notices/{notice_id}/publish", tags=["notice"])
def notice_publish(notice_id: int, who: CurrentPrincipal, deps: ServiceDeps) -> NoticeAdminPublic:
    """Refused (422, `details.problems`) when incomplete or granting perpetual rights (C9)."""
    return _notice(notices.publish_draft(notice_id, deps, actor=who.actor))
