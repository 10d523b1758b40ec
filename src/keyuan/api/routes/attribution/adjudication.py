"""判客 endpoints. Each route parses, calls one service, renders a public schema.

Two audiences, kept apart by tag:
- `distributor`: channels register customers (报备) and see their own claims' status. These
  responses carry no biometric field at all (C21); a test walks their OpenAPI schemas.
- `attribution-staff`: reception (到访确认), the signing desk (签约), managers (review, rules).
Who acts is never taken from the request: every audit entry, review and dispute decision names
the authenticated account (`actor_of`: "<role>:<username>"); the strict request schemas refuse
a body that still sends an `actor`, `staff`, `reviewer` or `manager` field (422)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas import decode_frames
from keyuan.domain.attribution.adjudication import Signing
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.registration import AttributionRules, Registration
from keyuan.services.attribution import registration as reg_svc
from keyuan.services.attribution import signing as signing_svc
from keyuan.services.attribution import signing_desk as desk_svc

router = APIRouter(prefix="/api")
DISTRIBUTOR: list[str | Enum] = ["distributor"]
STAFF: list[str | Enum] = ["attribution-staff"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoBody(Strict):
    """For actions that need no input: an empty object (or no body) is accepted, any field is
    refused — a client cannot name an actor here either."""


# --- distributor-facing shapes: no biometric field, ever (C21) ---
class RegistrationIn(Strict):
    customer_name: str = Field(min_length=1, max_length=50)
    mobile: str = Field(max_length=20, description="11 digits, or masked 前三后四: 138****5678")
    expected_visit_at: datetime | None = None
    agent_id: str | None = Field(None, max_length=16)


class RegistrationPublic(BaseModel):
    registration_id: str
    channel_id: str
    customer_name: str
    masked_mobile: str
    created_at: datetime
    expected_visit_at: datetime | None


class ClaimStatusPublic(RegistrationPublic):
    status: str = Field(description="awaiting_visit, valid, customer_known, expired_before_visit, "
                        "protection_expired, registered_after_signing, or lost: the customer "
                        "signed and the deal went to another channel or natural")
    visited_at: datetime | None
    outcome: Literal["won", "lost"] | None
    lost_reason: str | None = Field(None, description="When lost: this claim's own reason code "
                                    "from the decision (never who won)")
    visit_by: datetime | None = Field(None, description="Awaiting a visit: the claim lapses "
                                      "if the customer has not visited by then")
    protected_until: datetime | None = Field(None, description="Valid: the visit protects the "
                                             "claim until then")


# --- staff shapes ---
class ChannelIn(Strict):
    kind: Literal["distributor", "referrer"]
    name: str = Field(min_length=1, max_length=200)
    contract_ref: str | None = Field(None, max_length=64)


class ChannelPublic(BaseModel):
    channel_id: str
    office_id: str
    kind: str
    name: str


class AgentIn(Strict):
    name: str = Field(min_length=1, max_length=100)


class AgentPublic(BaseModel):
    agent_id: str
    channel_id: str
    name: str


class RulesIO(Strict):
    registration_valid_hours: int = Field(72, ge=1, le=2160)
    protection_days: int = Field(30, ge=1, le=365)
    known_lookback_days: int = Field(90, ge=0, le=3650)


class ConfirmIn(Strict):
    mobile: str = Field(max_length=20)
    name: str | None = Field(None, max_length=50)


class VisitPublic(BaseModel):
    visit_id: str
    at: datetime
    method: str


class CorrectionIn(Strict):
    corrected_at: datetime
    reason: str = Field(min_length=1, max_length=500)


class CorrectionPublic(BaseModel):
    correction_id: str
    visit_id: str
    corrected_at: datetime
    recorded_at: datetime


class SigningIn(Strict):
    buyer_name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(max_length=24)
    mobile: str = Field(max_length=20)
    contract_price_fen: int = Field(gt=0, le=10**13)
    live_frames: list[str] = Field(default_factory=list, max_length=10)
    chip_photo: str | None = None
    face_receipt_id: str | None = Field(None, max_length=64)


class SigningPublic(BaseModel):
    signing_id: str
    status: str
    contract_price_fen: int
    signed_at: datetime
    channel_id: str | None
    registration_id: str | None
    id_masked: str
    id_photo_passed: bool | None
    id_photo_score: float | None
    decision: dict[str, Any]
    reviewed_by: str | None
    review_reason: str | None


class ReviewIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)
    confirm: bool = True
    registration_id: str | None = Field(None, max_length=24)


class SendToReviewIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


def _registration(r: Registration) -> RegistrationPublic:
    return RegistrationPublic(
        registration_id=r.id, channel_id=r.channel_id, customer_name=r.customer_name,
        masked_mobile=r.masked_mobile, created_at=r.created_at,
        expected_visit_at=r.expected_visit_at)


def _signing(s: Signing) -> SigningPublic:
    return SigningPublic(
        signing_id=s.id, status=s.status.value, contract_price_fen=s.contract_price_fen,
        signed_at=s.signed_at, channel_id=s.channel_id, registration_id=s.registration_id,
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
def my_customers(channel_id: str, deps: ServiceDeps) -> list[ClaimStatusPublic]:
    return [ClaimStatusPublic(**_registration(s.registration).model_dump(), status=s.status,
                              visited_at=s.visited_at, outcome=s.outcome,
                              lost_reason=s.lost_reason, visit_by=s.visit_by,
                              protected_until=s.protected_until)
            for s in reg_svc.claim_statuses(channel_id, deps)]


# --- staff ---
@router.post("/offices/{office_id}/channels", status_code=201, tags=STAFF)
def create_channel(office_id: str, body: ChannelIn, deps: ServiceDeps) -> ChannelPublic:
    c = reg_svc.create_channel(office_id, ChannelKind(body.kind), body.name, deps,
                               contract_ref=body.contract_ref)
    return ChannelPublic(channel_id=c.id, office_id=c.office_id, kind=c.kind.value, name=c.name)


@router.post("/channels/{channel_id}/agents", status_code=201, tags=STAFF)
def add_agent(channel_id: str, body: AgentIn, deps: ServiceDeps) -> AgentPublic:
    agent = reg_svc.add_agent(channel_id, body.name, deps)
    return AgentPublic(agent_id=agent.id, channel_id=agent.channel_id, name=agent.name)


@router.get("/offices/{office_id}/attribution-rules", tags=STAFF)
def get_rules(office_id: str, deps: ServiceDeps) -> RulesIO:
    rules = reg_svc.get_rules(office_id, deps)
    return RulesIO(**vars(rules))


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


@router.post("/offices/{office_id}/signings", status_code=201, tags=STAFF)
def sign(office_id: str, body: SigningIn, who: CurrentPrincipal, deps: ServiceDeps
         ) -> SigningPublic:
    chip = decode_frames([body.chip_photo])[0] if body.chip_photo else None
    result = signing_svc.sign(signing_svc.SigningCmd(
        office_id=office_id, buyer_name=body.buyer_name, id_number=body.id_number,
        mobile=body.mobile, contract_price_fen=body.contract_price_fen, actor=who.actor,
        live_frames=decode_frames(body.live_frames), chip_photo=chip,
        face_receipt_id=body.face_receipt_id), deps)
    return _signing(result.signing)


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
