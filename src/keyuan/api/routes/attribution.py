"""判客 and 佣金结算 endpoints: channels and agents, 报备, 到访确认 and visit corrections, 签约 and
review; agreements, statements (draft → approved → paid), exports and disputes. Each route
parses, calls one service, renders a public schema. Distributor-facing answers carry no
biometric field (C21)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from keyuan.api.deps import ClientAddress, ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.attribution import (
    AgentIn,
    AgentPublic,
    AgreementIn,
    AgreementPublic,
    BuyerIn,
    ChannelIn,
    ChannelPublic,
    ClaimStatusPublic,
    ConfirmIn,
    CorrectionIn,
    CorrectionPublic,
    DeskConsentIn,
    DeskConsentPublic,
    DeskNoticePublic,
    DisputeDecisionIn,
    DisputeIn,
    DisputePublic,
    LinePublic,
    PeriodIn,
    RegistrationIn,
    RegistrationPublic,
    ReviewIn,
    RiskExampleOut,
    RiskReportOut,
    RiskSignalOut,
    RiskThresholdsIn,
    RiskThresholdsOut,
    RulesIO,
    SendToReviewIn,
    SigningBuyerPublic,
    SigningIn,
    SigningPublic,
    StatementPublic,
    StatementSummaryPublic,
    VisitPublic,
    VoidIn,
)
from keyuan.api.schemas.checkin import ChallengePublic, challenge_public
from keyuan.api.schemas.common import NoBody, decode_frames
from keyuan.api.schemas.teams import subtotal_public
from keyuan.domain.attribution.adjudication import Signing
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.commission import AgreementKind, Dispute, Statement
from keyuan.domain.attribution.registration import AttributionRules, Registration
from keyuan.domain.attribution.risk import OfficeThresholds, RiskThresholds
from keyuan.domain.checkin.challenge import ChallengePlace
from keyuan.services.attribution import desk_consent as consent_svc
from keyuan.services.attribution import portal_search
from keyuan.services.attribution import registration as reg_svc
from keyuan.services.attribution import risk as risk_svc
from keyuan.services.attribution import settlement as settle_svc
from keyuan.services.attribution import signing as signing_svc
from keyuan.services.attribution import signing_desk as desk_svc
from keyuan.services.attribution import statements as statements_svc
from keyuan.services.attribution import teams as teams_svc
from keyuan.services.checkin import challenges as challenges_svc

router = APIRouter(prefix="/api")
DISTRIBUTOR: list[str | Enum] = ["distributor"]
STAFF: list[str | Enum] = ["attribution-staff"]


def _registration(r: Registration) -> RegistrationPublic:
    return RegistrationPublic(
        registration_id=r.id, channel_id=r.channel_id, customer_name=r.customer_name,
        masked_mobile=r.masked_mobile, created_at=r.created_at,
        expected_visit_at=r.expected_visit_at, conflict=r.conflict)


def _signing(s: Signing) -> SigningPublic:
    return SigningPublic(
        signing_id=s.id, status=s.status.value, contract_price_fen=s.contract_price_fen,
        signed_at=s.signed_at, channel_id=s.channel_id, registration_id=s.registration_id,
        buyers=[SigningBuyerPublic(role=b.label, name=b.name, id_masked=b.id_masked,
                                   relation=b.relation, id_photo_passed=b.id_photo_passed)
                for b in s.buyers],
        id_masked=s.id_masked, id_photo_passed=s.id_photo_passed,
        id_photo_score=s.id_photo_score, decision=s.decision.to_json(), reviewed_by=s.reviewed_by,
        review_reason=s.review_reason)


# --- distributor ---
@router.post("/channels/{channel_id}/registrations", status_code=201, tags=DISTRIBUTOR)
def register(channel_id: str, body: RegistrationIn, deps: ServiceDeps) -> RegistrationPublic:
    return _registration(reg_svc.register(reg_svc.RegisterCmd(
        channel_id=channel_id, customer_name=body.customer_name, mobile=body.mobile,
        expected_visit_at=body.expected_visit_at, agent_id=body.agent_id), deps))


@router.get("/channels/{channel_id}/registrations", tags=DISTRIBUTOR)
def my_customers(channel_id: str, deps: ServiceDeps, name: str | None = None,
                 last4: str | None = None, status: str | None = None,
                 since: str | None = None, until: str | None = None
                 ) -> list[ClaimStatusPublic]:
    """The channel's own registrations, newest first; optional search: `name` (part of the
    customer's name), `last4` (the mobile's last 4 digits), `status` (awaiting, protected,
    signed, lost, invalid), `since`/`until` (registration date, Beijing time, inclusive)."""
    wanted = portal_search.ClaimFilter.parse(name=name, last4=last4, status=status,
                                             since=since, until=until)
    return [ClaimStatusPublic(**_registration(s.registration).model_dump(), status=s.status,
                              visited_at=s.visited_at, outcome=s.outcome,
                              lost_reason=s.lost_reason, visit_by=s.visit_by,
                              protected_until=s.protected_until)
            for s in portal_search.search_claims(channel_id, wanted, deps)]


# --- staff ---
@router.post("/offices/{office_id}/channels", status_code=201, tags=STAFF)
def create_channel(office_id: str, body: ChannelIn, who: CurrentPrincipal,
                   deps: ServiceDeps) -> ChannelPublic:
    c = reg_svc.create_channel(office_id, ChannelKind(body.kind), body.name, deps,
                               contract_ref=body.contract_ref, actor=who.actor)
    return ChannelPublic(channel_id=c.id, office_id=c.office_id, kind=c.kind.value, name=c.name)


@router.post("/channels/{channel_id}/agents", status_code=201, tags=STAFF)
def add_agent(channel_id: str, body: AgentIn, who: CurrentPrincipal,
              deps: ServiceDeps) -> AgentPublic:
    agent = reg_svc.add_agent(channel_id, body.name, deps, actor=who.actor)
    return AgentPublic(agent_id=agent.id, channel_id=agent.channel_id, name=agent.name)


@router.get("/offices/{office_id}/attribution-rules", tags=STAFF)
def get_rules(office_id: str, deps: ServiceDeps) -> RulesIO:
    rules = reg_svc.get_rules(office_id, deps)
    return RulesIO(**{**vars(rules), "conflict_policy": rules.conflict_policy.value})


@router.put("/offices/{office_id}/attribution-rules", tags=STAFF)
def set_rules(office_id: str, body: RulesIO, who: CurrentPrincipal, deps: ServiceDeps
              ) -> RulesIO:
    values = body.model_dump()
    reg_svc.set_rules(office_id, AttributionRules(**values), deps, actor=who.actor)
    return RulesIO(**values)


@router.post("/registrations/{registration_id}/visit-confirmation", status_code=201, tags=STAFF)
def confirm_visit(registration_id: str, body: ConfirmIn, who: CurrentPrincipal,
                  deps: ServiceDeps) -> VisitPublic:
    visit = reg_svc.confirm_visit(reg_svc.ConfirmVisitCmd(
        registration_id=registration_id, mobile=body.mobile, staff=who.actor,
        name=body.name), deps)
    return VisitPublic(visit_id=visit.id, at=visit.at, method=visit.method.value)


@router.post("/visits/{visit_id}/corrections", status_code=201, tags=STAFF)
def correct_visit(visit_id: str, body: CorrectionIn, who: CurrentPrincipal,
                  deps: ServiceDeps) -> CorrectionPublic:
    c = reg_svc.correct_visit_time(visit_id, body.corrected_at, body.reason, deps,
                                   actor=who.actor)
    return CorrectionPublic(correction_id=c.id, visit_id=c.visit_id, corrected_at=c.corrected_at,
                            recorded_at=c.recorded_at)


@router.get("/offices/{office_id}/desk-notice", tags=STAFF)
def desk_notice(office_id: str, deps: ServiceDeps, lang: str = "zh-CN") -> DeskNoticePublic:
    """What the buyer reads before the desk asks about its face check (C1, C3)."""
    n = consent_svc.desk_notice(office_id, lang, deps)
    return DeskNoticePublic(
        office_id=n.office_id, language=n.language, notice_hash=n.content_hash,
        base_notice_version=n.base.version, controller=n.base.controller,
        controller_contact=n.base.controller_contact,
        responsible_person=n.base.responsible_person, retention=n.base.retention,
        rights=n.base.rights, processing=n.processing, face_uses=list(n.uses))


@router.post("/offices/{office_id}/desk-consents", status_code=201, tags=STAFF)
def desk_consent(office_id: str, body: DeskConsentIn, who: CurrentPrincipal,
                 deps: ServiceDeps) -> DeskConsentPublic:
    """The buyer's own yes or no to the desk's face check, before any photo (C1, C5, C22)."""
    c = consent_svc.record(consent_svc.DeskConsentCmd(
        office_id=office_id, id_number=body.id_number, notice_hash=body.notice_hash,
        given=body.given, actor=who.actor), deps)
    return DeskConsentPublic(desk_consent_id=c.id, given=c.given, notice_hash=c.notice_hash,
                             face_uses=list(c.face_uses), at=c.at, signing_id=c.signing_id)


@router.post("/offices/{office_id}/desk/liveness-challenges", status_code=201, tags=STAFF)
def desk_liveness_challenge(office_id: str, who: CurrentPrincipal, deps: ServiceDeps,
                            client: ClientAddress, body: NoBody | None = None
                            ) -> ChallengePublic:
    """活体挑战 for the next buyer's live face at this desk: it serves one buyer of one signing
    by this clerk, within `seconds`."""
    return challenge_public(challenges_svc.issue_for_desk(
        office_id, ChallengePlace.SIGNING_DESK, who.actor, deps, client=client))


@router.post("/offices/{office_id}/signings", status_code=201, tags=STAFF)
def sign(office_id: str, body: SigningIn, who: CurrentPrincipal, deps: ServiceDeps
         ) -> SigningPublic:
    """One or more buyers (`buyers`, one main), or the single-buyer shape (one main buyer)."""
    result = signing_svc.sign(signing_svc.SigningCmd.for_household(
        office_id=office_id, buyers=[_buyer(b) for b in body.as_buyers()],
        contract_price_fen=body.contract_price_fen, actor=who.actor, unit=body.unit), deps)
    return _signing(result.signing)


def _buyer(b: BuyerIn) -> signing_svc.BuyerCmd:
    return signing_svc.BuyerCmd(
        name=b.name, id_number=b.id_number, mobile=b.mobile, main=b.main, relation=b.relation,
        live_frames=decode_frames(b.live_frames), frame_times_ms=b.frame_times_ms,
        frame_steps=b.frame_steps,
        chip_photo=decode_frames([b.chip_photo])[0] if b.chip_photo else None,
        face_receipt_id=b.face_receipt_id, desk_consent_id=b.desk_consent_id,
        challenge_id=b.challenge_id)


@router.get("/signings/{signing_id}", tags=STAFF)
def get_signing(signing_id: str, deps: ServiceDeps) -> SigningPublic:
    return _signing(signing_svc.get_signing(signing_id, deps))


@router.get("/offices/{office_id}/review-queue", tags=STAFF)
def review_queue(office_id: str, deps: ServiceDeps) -> list[SigningPublic]:
    return [_signing(s) for s in signing_svc.review_queue(office_id, deps)]


@router.post("/signings/{signing_id}/review", tags=STAFF)
def review(signing_id: str, body: ReviewIn, who: CurrentPrincipal, deps: ServiceDeps
           ) -> SigningPublic:
    return _signing(signing_svc.review(signing_svc.ReviewCmd(
        signing_id=signing_id, reviewer=who.actor, reason=body.reason, confirm=body.confirm,
        registration_id=body.registration_id), deps))


@router.post("/signings/{signing_id}/send-to-review", tags=STAFF)
def send_to_review(signing_id: str, body: SendToReviewIn, who: CurrentPrincipal,
                   deps: ServiceDeps) -> SigningPublic:
    """The signing desk asks for a manager's review of an automatic decision (C20)."""
    return _signing(desk_svc.send_to_review(desk_svc.SendToReviewCmd(
        signing_id=signing_id, actor=who.actor, reason=body.reason), deps))



def _statement(st: Statement, deps: ServiceDeps) -> StatementPublic:
    return StatementPublic(
        statement_id=st.id, channel_id=st.channel_id, period_start=st.period_start,
        period_end=st.period_end, status=st.status.value,
        lines=[LinePublic(**line.to_json()) for line in st.lines], total_fen=st.total_fen,
        teams=[subtotal_public(s) for s in teams_svc.statement_rollup(st, deps)])


def _dispute(d: Dispute) -> DisputePublic:
    return DisputePublic(dispute_id=d.id, statement_id=d.statement_id, status=d.status.value,
                         reason=d.reason, decision_reason=d.decision_reason)


@router.post("/channels/{channel_id}/agreements", status_code=201, tags=STAFF)
def add_agreement(channel_id: str, body: AgreementIn, who: CurrentPrincipal,
                  deps: ServiceDeps) -> AgreementPublic:
    a = settle_svc.add_agreement(settle_svc.AgreementCmd(
        channel_id=channel_id, kind=AgreementKind(body.kind), value=body.value,
        effective_from=body.effective_from, effective_to=body.effective_to, tiers=body.tiers,
        referral_reward_fen=body.referral_reward_fen, team_id=body.team_id), deps,
        actor=who.actor)
    return AgreementPublic(agreement_id=a.id, channel_id=a.channel_id, kind=a.kind.value,
                           value=a.value, team_id=a.team_id)


@router.post("/channels/{channel_id}/statements", status_code=201, tags=STAFF)
def generate_statement(channel_id: str, body: PeriodIn, deps: ServiceDeps) -> StatementPublic:
    return _statement(settle_svc.generate_statement(channel_id, body.period_start,
                                                    body.period_end, deps), deps)


@router.get("/channels/{channel_id}/statements", tags=DISTRIBUTOR)
def my_statements(channel_id: str, deps: ServiceDeps, status: str | None = None,
                  period: str | None = None) -> list[StatementSummaryPublic]:
    """The channel's own statements (the distributor portal's list); lines via the one view.
    Optional filters: `status` (draft, approved, paid, void), `period` (the month it settles,
    2026-11: its period starts then, Beijing time)."""
    wanted = portal_search.StatementFilter.parse(status=status, period=period)
    return [StatementSummaryPublic(statement_id=st.id, channel_id=st.channel_id,
                                   period_start=st.period_start, period_end=st.period_end,
                                   status=st.status.value, total_fen=st.total_fen)
            for st in portal_search.search_statements(channel_id, wanted, deps)]


@router.get("/statements/{statement_id}", tags=DISTRIBUTOR)
def get_statement(statement_id: str, deps: ServiceDeps) -> StatementPublic:
    return _statement(settle_svc.get_statement(statement_id, deps), deps)


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
    return _statement(settle_svc.approve(statement_id, deps, actor=who.actor), deps)


@router.post("/statements/{statement_id}/paid", tags=STAFF)
def pay_statement(statement_id: str, who: CurrentPrincipal, deps: ServiceDeps,
                  body: NoBody | None = None) -> StatementPublic:
    return _statement(settle_svc.mark_paid(statement_id, deps, actor=who.actor), deps)


@router.post("/statements/{statement_id}/void", tags=STAFF)
def void_statement(statement_id: str, body: VoidIn, who: CurrentPrincipal, deps: ServiceDeps
                   ) -> StatementPublic:
    """Withdraw a draft or approved statement: its deals may go on another statement."""
    return _statement(settle_svc.void_statement(statement_id, body.reason, deps,
                                                actor=who.actor), deps)


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


@router.get("/offices/{office_id}/risk-report", tags=STAFF)
def risk_report(office_id: str, deps: ServiceDeps,
                days: Annotated[int, Query(ge=1, le=risk_svc.MAX_DAYS)] = 30) -> RiskReportOut:
    """风控报告 of one office over the last `days` local days (manager, finance, admin)."""
    report = risk_svc.risk_report(deps, office_id=office_id, days=days)
    return RiskReportOut(
        office_id=report.office.id, days=days, start=report.window.start,
        end=report.window.end, thresholds=dict(vars(report.thresholds)),
        thresholds_source="office" if report.own else "default", today=len(report.today()),
        signals=[RiskSignalOut(
            rule=s.rule, channel_id=s.channel_id, channel_name=s.channel_name,
            agent_id=s.agent_id, agent_name=s.agent_name, count=s.count, last_at=s.last_at,
            examples=[RiskExampleOut(**vars(e)) for e in s.examples]) for s in report.signals])


def _thresholds(office_id: str, thresholds: RiskThresholds, own: OfficeThresholds | None
                ) -> RiskThresholdsOut:
    return RiskThresholdsOut(office_id=office_id, thresholds=dict(vars(thresholds)),
                             source="office" if own else "default",
                             set_at=own.set_at if own else None,
                             set_by=own.set_by if own else None)


@router.get("/offices/{office_id}/risk-thresholds", tags=STAFF)
def risk_thresholds(office_id: str, deps: ServiceDeps) -> RiskThresholdsOut:
    """The 风控报告 thresholds the office's report uses (its own, or the defaults)."""
    office, thresholds, own = risk_svc.thresholds_of(deps, office_id)
    return _thresholds(office.id, thresholds, own)


@router.put("/offices/{office_id}/risk-thresholds", tags=STAFF)
def set_risk_thresholds(office_id: str, body: RiskThresholdsIn, who: CurrentPrincipal,
                        deps: ServiceDeps) -> RiskThresholdsOut:
    """Change some thresholds (manager, admin; audited); the others stay as they apply."""
    saved = risk_svc.set_thresholds(office_id, body.model_dump(exclude_none=True), deps,
                                    actor=who.actor)
    return _thresholds(office_id, saved.thresholds, saved)
