"""Compliance endpoints: signed receipts (C8), the impact assessment (C23), the audit chain
(C17), the filing counter (C24), the inspection, notices (C3, C9, C25), and rights self-service
(C19) with its staff side. Each route parses, calls one service, renders."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from keyuan.api.deps import ClientAddress, ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.checkin import ChallengePublic, challenge_public
from keyuan.api.schemas.common import NoBody, decode_frames
from keyuan.api.schemas.compliance import (
    AssessmentPublic,
    AuditPublic,
    CloseIn,
    CorrectIn,
    FilingPublic,
    InPersonIn,
    InPersonPublic,
    InspectionPublic,
    NoticeAdminPublic,
    NoticeDraftIn,
    ReceiptCheckPublic,
    ReceiptKeyPublic,
    RightsAccessPublic,
    RightsCodeIn,
    RightsCodePublic,
    RightsRequestPublic,
    RightsVerifyIn,
)
from keyuan.domain.checkin.challenge import ChallengePlace
from keyuan.domain.errors import ReceiptNotSigned
from keyuan.services.checkin import challenges as challenges_svc
from keyuan.services.checkin import receipts as compliance_receipts
from keyuan.services.checkin.signatures import ALGORITHM
from keyuan.services.compliance import audit as compliance_audit
from keyuan.services.compliance import filing as compliance_filing
from keyuan.services.compliance import in_person as compliance_in_person
from keyuan.services.compliance import inspection as compliance_inspect
from keyuan.services.compliance import notices, rights
from keyuan.services.compliance import pia as compliance_pia

router = APIRouter(prefix="/api")


@router.get("/compliance/receipt-key", tags=["receipts"])
def receipt_key(deps: ServiceDeps) -> ReceiptKeyPublic:
    """The office's public receipt key: anyone can check a receipt against it."""
    signer = deps.receipt_signer
    if signer is None:
        raise ReceiptNotSigned("This installation does not sign receipts.")
    return ReceiptKeyPublic(algorithm=ALGORITHM, public_key=signer.public_key,
                            key_id=signer.key_id)


@router.get("/receipts/{receipt_id}/signed", tags=["receipts"])
def signed_receipt(receipt_id: str, deps: ServiceDeps, client: ClientAddress) -> dict[str, Any]:
    """The receipt and its Ed25519 signature, by 回执编号 or long id: the JSON copy to keep."""
    return compliance_receipts.signed_receipt(receipt_id, deps, client=client).document


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


@router.get("/compliance/filing", tags=["compliance"])
def filing(deps: ServiceDeps) -> list[FilingPublic]:
    """C24: live count of people with templates per legal entity, and the filing state."""
    return [FilingPublic(legal_entity=s.legal_entity, people=s.people, state=s.state.value,
                         due_since=s.due_since, deadline=s.deadline)
            for s in compliance_filing.filing_overview(deps)]


@router.get("/compliance/filing/{legal_entity}/pack", tags=["compliance"])
def filing_pack(legal_entity: str, deps: ServiceDeps) -> dict[str, Any]:
    return compliance_filing.filing_pack(legal_entity, deps)


@router.get("/compliance/inspection", tags=["compliance"])
def inspection(deps: ServiceDeps) -> InspectionPublic:
    """Proof for the whole vault: every template under a valid, active, signed consent."""
    r = compliance_inspect.inspect_vault(deps)
    return InspectionPublic(clean=r.clean, templates=r.templates, violations=r.violations,
                            audit_entries=r.audit_entries, audit_problems=r.audit_problems,
                            assessment_current=r.assessment_current, assessment=r.assessment,
                            anchor_seq=r.anchor[0].seq if r.anchor else None,
                            anchor_at=r.anchor[1] if r.anchor else None)


def _notice(view: notices.NoticeView) -> NoticeAdminPublic:
    n = view.notice
    assert n.id is not None
    text = {k: v for k, v in n.content().items() if k not in ("office_id", "language")}
    return NoticeAdminPublic(id=n.id, office_id=n.office_id, language=n.language,
                             state=view.state.value, version=n.version,
                             content_hash=n.content_hash or None, published_at=n.published_at,
                             problems=view.problems, text=text, face_uses=list(n.face_uses))


@router.post("/offices/{office_id}/notices", status_code=201, tags=["notice"])
def notice_draft(office_id: str, body: NoticeDraftIn, who: CurrentPrincipal,
                 deps: ServiceDeps) -> NoticeAdminPublic:
    """A draft may be incomplete: `problems` lists what publishing still needs."""
    return _notice(notices.create_draft(notices.DraftCmd(office_id, body.language, body.text),
                                        deps, actor=who.actor))


@router.post("/offices/{office_id}/notices/republish", tags=["notice"])
def notice_republish(office_id: str, who: CurrentPrincipal,
                     deps: ServiceDeps) -> list[NoticeAdminPublic]:
    """C3: publish the notices in force again, naming the face uses switched on now; a use
    switched on since is refused (409 `use_not_in_notice`) until this is done."""
    return [_notice(v) for v in notices.republish(office_id, deps, actor=who.actor)]


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



RightsToken = Annotated[str, Header(alias="X-Rights-Token", min_length=8, max_length=64)]


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
def rights_code(body: RightsCodeIn, deps: ServiceDeps, client: ClientAddress) -> RightsCodePublic:
    sent = rights.request_access_code(body.receipt_id, deps, client=client)
    return RightsCodePublic(masked_mobile=sent.masked_mobile, expires_at=sent.expires_at)


@router.post("/rights/verify", tags=["rights"])
def rights_verify(body: RightsVerifyIn, deps: ServiceDeps,
                  client: ClientAddress) -> RightsAccessPublic:
    access = rights.verify_access_code(body.receipt_id, body.code, deps, client=client)
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


@router.post("/offices/{office_id}/rights-desk/liveness-challenges", status_code=201,
             tags=["rights"])
def rights_desk_challenge(office_id: str, who: CurrentPrincipal, deps: ServiceDeps,
                          client: ClientAddress, body: NoBody | None = None) -> ChallengePublic:
    """活体挑战 for the next 当面核验 at this reception: it serves one in-person check by this
    member of staff, within `seconds`."""
    return challenge_public(challenges_svc.issue_for_desk(
        office_id, ChallengePlace.RIGHTS_DESK, who.actor, deps, client=client))


@router.post("/rights/in-person", tags=["rights"], response_model=InPersonPublic,
             responses={202: {"model": InPersonPublic}})
def rights_in_person(body: InPersonIn, who: CurrentPrincipal, deps: ServiceDeps,
                     client: ClientAddress) -> JSONResponse:
    """At reception (当面核验): the visitor's live face 1:1 against their receipt's own template
    opens a rights session (an uncertain score only with `id_document_checked`); with no
    template left, the request is queued for staff (202)."""
    done = compliance_in_person.start_in_person(compliance_in_person.InPersonCmd(
        body.receipt_id, decode_frames(body.frames), who.username,
        id_document_checked=body.id_document_checked, client=client,
        frame_times_ms=body.frame_times_ms, challenge_id=body.challenge_id,
        frame_steps=body.frame_steps,
        actor=who.actor), deps)
    if done.access is not None:
        out = InPersonPublic(outcome="verified", token=done.access.token,
                             expires_at=done.access.expires_at)
        return JSONResponse(out.model_dump(mode="json"))
    assert done.queued is not None
    out = InPersonPublic(outcome="queued", request=_request(done.queued))
    return JSONResponse(out.model_dump(mode="json"), status_code=202)
