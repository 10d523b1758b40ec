"""佣金结算 endpoints: agreements, statements (draft → approved → paid), exports, disputes.

Same two audiences as `routes_attribution`: distributor companies read their own statements
and raise disputes (tag `distributor`, no biometric field — C21); finance and managers do the
rest (tag `attribution-staff`). Actors come from the session, never from the body."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.routes.attribution.adjudication import DISTRIBUTOR, STAFF, NoBody, Strict
from keyuan.domain.attribution.commission import AgreementKind, Dispute, Statement
from keyuan.services.attribution import registration as reg_svc
from keyuan.services.attribution import settlement as settle_svc
from keyuan.services.attribution import statements as statements_svc

router = APIRouter(prefix="/api")


# --- settlement (佣金结算) ---
class AgreementIn(Strict):
    kind: Literal["percent", "fixed"]
    value: int = Field(ge=0, description="basis points (percent) or fen per deal (fixed)")
    effective_from: datetime
    effective_to: datetime | None = None
    tiers: list[tuple[int, int]] = Field(default_factory=list, max_length=10,
                                         description="[min final deals in period, value]")
    referral_reward_fen: int = Field(0, ge=0)


class AgreementPublic(BaseModel):
    agreement_id: str
    channel_id: str
    kind: str
    value: int


class PeriodIn(Strict):
    period_start: datetime
    period_end: datetime


class LinePublic(BaseModel):
    signing_id: str | None
    signed_at: str | None
    contract_price_fen: int | None
    rule: str
    amount_fen: int


class StatementPublic(BaseModel):
    statement_id: str
    channel_id: str
    period_start: datetime
    period_end: datetime
    status: str
    lines: list[LinePublic]
    total_fen: int


class DisputeIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)
    signing_id: str | None = Field(None, max_length=24)


class DisputePublic(BaseModel):
    dispute_id: str
    statement_id: str
    status: str
    reason: str
    decision_reason: str | None


class DisputeDecisionIn(Strict):
    upheld: bool
    reason: str = Field(min_length=1, max_length=2000)
    adjustment_fen: int = Field(0, ge=-(10**11), le=10**11)


def _statement(st: Statement) -> StatementPublic:
    return StatementPublic(
        statement_id=st.id, channel_id=st.channel_id, period_start=st.period_start,
        period_end=st.period_end, status=st.status.value,
        lines=[LinePublic(**line.to_json()) for line in st.lines], total_fen=st.total_fen)


def _dispute(d: Dispute) -> DisputePublic:
    return DisputePublic(dispute_id=d.id, statement_id=d.statement_id, status=d.status.value,
                         reason=d.reason, decision_reason=d.decision_reason)


@router.post("/channels/{channel_id}/agreements", status_code=201, tags=STAFF)
def add_agreement(channel_id: str, body: AgreementIn, who: CurrentPrincipal,
                  deps: ServiceDeps) -> AgreementPublic:
    a = settle_svc.add_agreement(settle_svc.AgreementCmd(
        channel_id=channel_id, kind=AgreementKind(body.kind), value=body.value,
        effective_from=body.effective_from, effective_to=body.effective_to, tiers=body.tiers,
        referral_reward_fen=body.referral_reward_fen), deps, actor=who.actor)
    return AgreementPublic(agreement_id=a.id, channel_id=a.channel_id, kind=a.kind.value,
                           value=a.value)


@router.post("/channels/{channel_id}/statements", status_code=201, tags=STAFF)
def generate_statement(channel_id: str, body: PeriodIn, deps: ServiceDeps) -> StatementPublic:
    return _statement(settle_svc.generate_statement(channel_id, body.period_start,
                                                    body.period_end, deps))


class StatementSummaryPublic(BaseModel):
    statement_id: str
    channel_id: str
    period_start: datetime
    period_end: datetime
    status: str
    total_fen: int


@router.get("/channels/{channel_id}/statements", tags=DISTRIBUTOR)
def my_statements(channel_id: str, deps: ServiceDeps) -> list[StatementSummaryPublic]:
    """The channel's own statements (the distributor portal's list); lines via the one view."""
    return [StatementSummaryPublic(statement_id=st.id, channel_id=st.channel_id,
                                   period_start=st.period_start, period_end=st.period_end,
                                   status=st.status.value, total_fen=st.total_fen)
            for st in reg_svc.statements_of_channel(channel_id, deps)]


@router.get("/statements/{statement_id}", tags=DISTRIBUTOR)
def get_statement(statement_id: str, deps: ServiceDeps) -> StatementPublic:
    return _statement(settle_svc.get_statement(statement_id, deps))


@router.get("/statements/{statement_id}/export.csv", tags=STAFF,
            response_class=PlainTextResponse)
def export_statement(statement_id: str, deps: ServiceDeps) -> PlainTextResponse:
    return PlainTextResponse(
        statements_svc.statement_csv(statement_id, deps), media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="statement-{statement_id}.csv"'})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/statements/{statement_id}/export.xlsx", tags=STAFF, response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def export_statement_xlsx(statement_id: str, deps: ServiceDeps) -> Response:
    return _download(statements_svc.statement_xlsx(statement_id, deps), XLSX,
                     f"statement-{statement_id}.xlsx")


@router.get("/statements/{statement_id}/export.pdf", tags=STAFF, response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def export_statement_pdf(statement_id: str, deps: ServiceDeps) -> Response:
    return _download(statements_svc.statement_pdf(statement_id, deps), "application/pdf",
                     f"statement-{statement_id}.pdf")


@router.post("/statements/{statement_id}/approve", tags=STAFF)
def approve_statement(statement_id: str, who: CurrentPrincipal, deps: ServiceDeps,
                      body: NoBody | None = None) -> StatementPublic:
    return _statement(settle_svc.approve(statement_id, deps, actor=who.actor))


@router.post("/statements/{statement_id}/paid", tags=STAFF)
def pay_statement(statement_id: str, who: CurrentPrincipal, deps: ServiceDeps,
                  body: NoBody | None = None) -> StatementPublic:
    return _statement(settle_svc.mark_paid(statement_id, deps, actor=who.actor))


@router.post("/channels/{channel_id}/statements/{statement_id}/disputes", status_code=201,
             tags=DISTRIBUTOR)
def open_dispute(
    channel_id: str, statement_id: str, body: DisputeIn, who: CurrentPrincipal, deps: ServiceDeps,
) -> DisputePublic:
    return _dispute(settle_svc.open_dispute(statement_id, channel_id, body.reason, deps,
                                            signing_id=body.signing_id, actor=who.actor))


@router.post("/disputes/{dispute_id}/decision", tags=STAFF)
def decide_dispute(dispute_id: str, body: DisputeDecisionIn, who: CurrentPrincipal,
                   deps: ServiceDeps) -> DisputePublic:
    return _dispute(settle_svc.decide_dispute(settle_svc.DisputeDecisionCmd(
        dispute_id=dispute_id, upheld=body.upheld, manager=who.actor, reason=body.reason,
        adjustment_fen=body.adjustment_fen), deps))
