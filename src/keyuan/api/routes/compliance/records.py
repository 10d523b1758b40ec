"""Compliance endpoints: signed receipts (C8), impact assessment status (C23), audit chain (C17).
Each route parses, calls one service, renders."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.domain.errors import ReceiptNotSigned
from keyuan.services.checkin import receipts as compliance_receipts
from keyuan.services.checkin.signatures import ALGORITHM
from keyuan.services.compliance import audit as compliance_audit
from keyuan.services.compliance import filing as compliance_filing
from keyuan.services.compliance import inspection as compliance_inspect
from keyuan.services.compliance import notices
from keyuan.services.compliance import pia as compliance_pia

router = APIRouter(prefix="/api")


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
