"""Attribution wire shapes: channels, 报备, visits confirmed and corrected, signings and review,
agreements, statements and disputes. Distributor-facing shapes carry no biometric field (C21)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt, model_validator

from keyuan.api.schemas.common import (
    NOT_BLANK,
    Count,
    Fen,
    FrameSteps,
    FrameTimes,
    ImageData,
    Instant,
    Strict,
)
from keyuan.api.schemas.teams import TeamSubtotalPublic
from keyuan.domain.bounds import MAX_FEN


# --- distributor-facing shapes: no biometric field, ever (C21) ---
class RegistrationIn(Strict):
    customer_name: Annotated[str, NOT_BLANK, Field(max_length=50)]
    mobile: str = Field(max_length=20, description="11 digits, or masked 前三后四: 138****5678")
    expected_visit_at: Instant | None = None
    agent_id: str | None = Field(None, max_length=16)


class RegistrationPublic(BaseModel):
    registration_id: str
    channel_id: str
    customer_name: str
    masked_mobile: str
    created_at: datetime
    expected_visit_at: datetime | None
    conflict: str | None = Field(None, description="Recorded but marked at once (the office's "
                                 "conflict_policy is mark): registration_customer_known or "
                                 "registration_protected_elsewhere — it cannot win")


class ClaimStatusPublic(RegistrationPublic):
    status: str = Field(description="awaiting_visit, valid, customer_known, expired_before_visit, "
                        "protection_expired, registered_after_signing, a mark "
                        "(registration_customer_known, registration_protected_elsewhere), or "
                        "lost: the customer signed and the deal went to another channel or "
                        "natural")
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
    name: Annotated[str, NOT_BLANK, Field(max_length=200)]
    contract_ref: str | None = Field(None, max_length=64)


class ChannelPublic(BaseModel):
    channel_id: str
    office_id: str
    kind: str
    name: str


class AgentIn(Strict):
    name: Annotated[str, NOT_BLANK, Field(max_length=100)]


class AgentPublic(BaseModel):
    agent_id: str
    channel_id: str
    name: str


class RulesIO(Strict):
    registration_valid_hours: int = Field(72, ge=1, le=2160)
    protection_days: int = Field(30, ge=1, le=365)
    known_lookback_days: int = Field(90, ge=0, le=3650)
    conflict_policy: Literal["refuse", "mark"] = Field(
        "refuse", description="A registration that cannot win (customer known, protected for "
        "another channel): refused at once with 409, or recorded marked as such")


class ConfirmIn(Strict):
    mobile: str = Field(max_length=20)
    name: str | None = Field(None, max_length=50)


class VisitPublic(BaseModel):
    visit_id: str
    at: datetime
    method: str


class CorrectionIn(Strict):
    corrected_at: Instant
    reason: str = Field(min_length=1, max_length=500)


class CorrectionPublic(BaseModel):
    correction_id: str
    visit_id: str
    corrected_at: datetime
    recorded_at: datetime


_DESK_CONSENT = ("The buyer's answer to the desk's face check (POST .../desk-consents) for "
                 "this ID number. Required, and a 'yes', before any live_frames, chip_photo or "
                 "face_receipt_id: otherwise desk_consent_missing / desk_consent_refused (403), "
                 "and under_14_no_face (403) when the ID number says the buyer is under 14, "
                 "before any image is decoded.")
_CHALLENGE = ("The liveness challenge the clerk asked for this buyer's live face (POST "
              "/api/offices/{office_id}/desk/liveness-challenges); it serves this one buyer's "
              "frames.")


class BuyerIn(Strict):
    """One buyer on the contract (主购人 or 共同购房人), with their own face path."""

    name: Annotated[str, NOT_BLANK, Field(max_length=100)]
    id_number: str = Field(max_length=24)
    mobile: str = Field(max_length=20)
    main: bool = Field(False, description="The main buyer (主购人): exactly one buyer is main "
                       "(no_main_buyer, several_main_buyers).")
    relation: Literal["spouse", "parent", "child", "other"] | None = Field(
        None, description="A co-buyer's relation to the main buyer: 配偶, 父母, 子女, 其他.")
    live_frames: list[str] = Field(default_factory=list, max_length=10)
    frame_times_ms: FrameTimes = None
    frame_steps: FrameSteps = None
    chip_photo: ImageData | None = None
    face_receipt_id: str | None = Field(None, max_length=64)
    desk_consent_id: str | None = Field(None, max_length=32, description=_DESK_CONSENT)
    challenge_id: str | None = Field(None, max_length=64, description=_CHALLENGE)


class SigningIn(Strict):
    """A signing names its buyers in `buyers` (one main buyer, 主购人, and any co-buyers,
    共同购房人), or — the shape from before households, still accepted — one buyer in
    buyer_name, id_number, mobile and the face fields. Not both."""

    buyers: list[BuyerIn] | None = Field(None, min_length=1, max_length=10, description=(
        "Every buyer on the contract; at most 6 (too_many_buyers); one person once "
        "(duplicate_buyer: the same ID number or mobile twice)."))
    buyer_name: Annotated[str, NOT_BLANK, Field(max_length=100)] | None = None
    id_number: str | None = Field(None, max_length=24)
    mobile: str | None = Field(None, max_length=20)
    contract_price_fen: int = Field(gt=0, le=MAX_FEN)
    live_frames: list[str] = Field(default_factory=list, max_length=10)
    frame_times_ms: FrameTimes = None
    frame_steps: FrameSteps = None
    chip_photo: ImageData | None = None
    face_receipt_id: str | None = Field(None, max_length=64)
    unit: str | None = Field(None, max_length=64, description="The flat or house sold (房号): "
                             "a second signing of the same main buyer, unit and price within "
                             "KEYUAN_SIGNING_DUPLICATE_SECONDS is refused (duplicate_signing).")
    desk_consent_id: str | None = Field(None, max_length=32, description=_DESK_CONSENT)
    challenge_id: str | None = Field(None, max_length=64, description=_CHALLENGE)

    @model_validator(mode="after")
    def _one_shape(self) -> SigningIn:
        single = (self.buyer_name, self.id_number, self.mobile, self.face_receipt_id,
                  self.desk_consent_id, self.chip_photo, self.frame_times_ms,
                  self.challenge_id, self.frame_steps)
        if self.buyers is not None:
            if any(v is not None for v in single) or self.live_frames:
                raise ValueError("give the buyers in `buyers`, or one buyer in buyer_name, "
                                 "id_number and mobile — not both")
        elif self.buyer_name is None or self.id_number is None or self.mobile is None:
            raise ValueError("a signing needs `buyers`, or buyer_name, id_number and mobile")
        return self

    def as_buyers(self) -> list[BuyerIn]:
        """The buyers in either shape (the single-buyer shape is one main buyer)."""
        if self.buyers is not None:
            return self.buyers
        return [BuyerIn(name=self.buyer_name or "", id_number=self.id_number or "",
                        mobile=self.mobile or "", main=True, live_frames=self.live_frames,
                        frame_times_ms=self.frame_times_ms, frame_steps=self.frame_steps,
                        chip_photo=self.chip_photo,
                        face_receipt_id=self.face_receipt_id,
                        desk_consent_id=self.desk_consent_id, challenge_id=self.challenge_id)]


class DeskNoticePublic(BaseModel):
    """The signing desk's own notice: the office's notice in force, with what the desk does
    with a buyer's face generated from the live configuration (C3)."""

    office_id: str
    language: str
    notice_hash: str
    base_notice_version: int
    controller: str
    controller_contact: str
    responsible_person: str
    retention: str
    rights: str
    processing: str
    face_uses: list[str] = Field(description="The desk's face uses switched on, by stable name: "
                                 "a consent covers only these.")


class DeskConsentIn(Strict):
    id_number: str = Field(max_length=24, description="The buyer's ID number (it says whether "
                           "they are 14 or over; kept only as a keyed hash).")
    notice_hash: str = Field(max_length=64, description="The desk notice the buyer was shown.")
    given: bool = Field(description="The buyer's own answer: true to allow the desk's face "
                        "check, false to refuse (then signing is by ID number and mobile).")


class DeskConsentPublic(BaseModel):
    desk_consent_id: str
    given: bool
    notice_hash: str
    face_uses: list[str]
    at: datetime
    signing_id: str | None


class SigningBuyerPublic(BaseModel):
    """A buyer as staff see it: role, name, masked ID number, relation and the ID-photo
    check's pass/fail (C22); never a mobile, a hash or another buyer's visits."""

    role: str = Field(description="main (主购人) or co1, co2 … (共同购房人 n)")
    name: str
    id_masked: str
    relation: str | None
    id_photo_passed: bool | None


class SigningPublic(BaseModel):
    signing_id: str
    status: str
    buyers: list[SigningBuyerPublic] = Field(default_factory=list)
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


# --- settlement (佣金结算) ---
class AgreementIn(Strict):
    kind: Literal["percent", "fixed"]
    value: Fen = Field(description="basis points (percent) or fen per deal (fixed)")
    effective_from: Instant
    effective_to: Instant | None = None
    tiers: list[tuple[Count, Fen]] = Field(default_factory=list, max_length=10,
                                           description="[min final deals in period, value]")
    referral_reward_fen: Fen = 0
    team_id: str | None = Field(None, max_length=16, description=(
        "Set on a team of the company (门店/团队): its deals and its teams' deals, nearest "
        "agreement wins; null: the company's."))


class AgreementPublic(BaseModel):
    agreement_id: str
    channel_id: str
    kind: str
    value: int
    team_id: str | None = None


class PeriodIn(Strict):
    period_start: Instant
    period_end: Instant


class LinePublic(BaseModel):
    signing_id: str | None
    signed_at: str | None
    contract_price_fen: int | None
    rule: str
    amount_fen: int
    team_id: str | None = None  # the team the deal is credited to; None: the company


class StatementPublic(BaseModel):
    statement_id: str
    channel_id: str
    period_start: datetime
    period_end: datetime
    status: str
    lines: list[LinePublic]
    total_fen: int
    teams: list[TeamSubtotalPublic] = Field(default_factory=list, description=(
        "Per-team subtotals, the company first (its subtree is the total), then each team "
        "depth first with its own deals and its whole subtree's."))


class VoidIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


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


class StatementSummaryPublic(BaseModel):
    statement_id: str
    channel_id: str
    period_start: datetime
    period_end: datetime
    status: str
    total_fen: int


class RiskExampleOut(BaseModel):
    registration_id: str
    masked_mobile: str
    registered_at: datetime
    related_at: datetime | None


class RiskSignalOut(BaseModel):
    rule: str
    channel_id: str
    channel_name: str
    agent_id: str | None
    agent_name: str | None
    count: int
    last_at: datetime
    examples: list[RiskExampleOut]


Count10k = Annotated[StrictInt, Field(ge=1, le=10_000)]
Percent = Annotated[StrictInt, Field(ge=1, le=100)]


class RiskThresholdsIn(Strict):
    """The thresholds to change (whole numbers; a share is a percent); the rest stay."""

    never_visited_min: Count10k | None = None
    never_visited_share: Percent | None = None
    after_visit_minutes: Count10k | None = None
    after_visit_min: Count10k | None = None
    across_projects_min: Count10k | None = None
    expiry_last_hours: Count10k | None = None
    expiry_min: Count10k | None = None
    expiry_share: Percent | None = None
    masked_numbers_min: Count10k | None = None
    masked_min: Count10k | None = None
    reregister_within_hours: Count10k | None = None
    reregister_min: Count10k | None = None

    @model_validator(mode="after")
    def _something(self) -> RiskThresholdsIn:
        if not self.model_dump(exclude_none=True):
            raise ValueError("name at least one threshold to change")
        return self


class RiskThresholdsOut(BaseModel):
    """The thresholds a report of the office uses: its own (`source` "office", with who set
    them and when) or the defaults (`source` "default")."""

    office_id: str
    thresholds: dict[str, int]
    source: Literal["office", "default"]
    set_at: datetime | None
    set_by: str | None


class RiskReportOut(BaseModel):
    """风控报告: signals from registrations and visits only — no biometric field. `thresholds`
    are those the report applied; `thresholds_source` says whether they are the office's own
    or the defaults."""

    office_id: str
    days: int
    start: datetime
    end: datetime
    thresholds: dict[str, int]
    thresholds_source: Literal["office", "default"]
    signals: list[RiskSignalOut]
    today: int
