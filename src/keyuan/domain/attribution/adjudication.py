"""判客: who brought this buyer first. A pure function of the customer's visits (original
evidence), the claims on them (报备) and the signing time, under the project's rules.

The decision names a channel and a registration, or natural; it never carries or changes a price
(C20). It always carries its reason codes, a rule trace and the evidence, and says whether a
person must review it before it is final."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from keyuan.domain.attribution.household import MAIN_BUYER, BuyerRecord, SigningBuyer
from keyuan.domain.attribution.registration import KNOWN, PROTECTED_ELSEWHERE, AttributionRules
from keyuan.domain.bounds import MAX_FEN
from keyuan.domain.errors import InvalidRegistration, ReviewNotPending

# claim-level reason codes
REGISTERED_AFTER_SIGNING = "registered_after_signing"
CUSTOMER_KNOWN = "customer_known"
NO_VISIT = "no_visit_before_signing"
EXPIRED_BEFORE_VISIT = "expired_before_visit"
PROTECTION_EXPIRED = "protection_expired"
SUPERSEDED = "superseded_by_earlier_registration"
VALID = "valid"
# a claim recorded with its mark at registration (the office's `mark` policy) never wins:
# its verdict is the mark, `registration.KNOWN` or `registration.PROTECTED_ELSEWHERE`
# decision-level reason codes
EARLIEST_VALID = "earliest_valid_registration"
NO_VALID_REGISTRATION = "no_valid_registration"
FACE_REVIEW_BAND = "face_match_needs_review"
FACE_ONLY_DENIAL = "denial_on_face_evidence_only"
ORIGINAL_TIME_USED = "visit_time_corrected_original_used"
ID_PHOTO_UNCERTAIN = "id_photo_check_uncertain"
NATURAL = "natural"
DECISION_CODES = (EARLIEST_VALID, NO_VALID_REGISTRATION, FACE_REVIEW_BAND, FACE_ONLY_DENIAL,
                  ORIGINAL_TIME_USED, ID_PHOTO_UNCERTAIN, NATURAL)
"""Every code a decision's `reason_codes` can hold (each has words in the pages' catalog)."""


class VisitLink(StrEnum):
    """How a visit was tied to the signer: by their own mobile or ID, or by a face match
    (only ever for a person holding a face consent)."""

    MOBILE = "mobile"
    ID_NUMBER = "id_number"
    FACE_MATCH = "face_match"
    FACE_REVIEW = "face_review"

    @property
    def is_face(self) -> bool:
        return self in (VisitLink.FACE_MATCH, VisitLink.FACE_REVIEW)


@dataclass(frozen=True)
class VisitFact:
    """A visit as first recorded. `corrected_at` is a later staff edit: reported, never used."""

    id: str
    at: datetime
    method: str
    link: VisitLink = VisitLink.MOBILE
    corrected_at: datetime | None = None
    buyer: str = MAIN_BUYER  # whose visit, by role on the contract (never a name)
    consultant: str | None = None  # 置业顾问 who received this visit (for 自访 commission)


@dataclass(frozen=True)
class ClaimFact:
    registration_id: str
    channel_id: str
    channel_kind: str
    created_at: datetime
    conflict: str | None = None  # marked at registration: it cannot win, and says why
    buyer: str = MAIN_BUYER  # which buyer on the contract the claim is about
    # the claim's own rules when its channel or team set some (渠道团队: nearest wins), and
    # where they came from in words; None: the office's
    rules: AttributionRules | None = None
    rules_from: str = ""


@dataclass(frozen=True)
class ClaimVerdict:
    registration_id: str
    channel_id: str
    reason: str
    visit_id: str | None = None  # the visit that validated or denied the claim
    buyer: str = MAIN_BUYER  # the buyer the claim is about

    @property
    def valid(self) -> bool:
        return self.reason == VALID

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        if self.buyer == MAIN_BUYER:  # a one-buyer decision keeps the shape stored before
            del out["buyer"]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClaimVerdict:
        return cls(str(data["registration_id"]), str(data["channel_id"]), str(data["reason"]),
                   data.get("visit_id"), str(data.get("buyer", MAIN_BUYER)))


@dataclass(frozen=True)
class EvidenceVisit:
    """A visit as the decision cites it: original time, how it was made and how it was tied to
    the signer; a later staff edit is reported beside it, never used."""

    id: str
    at: datetime
    method: str
    link: str
    corrected_at: datetime | None = None
    buyer: str = MAIN_BUYER
    consultant: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "at": _iso(self.at), "method": self.method,
                               "link": self.link}
        if self.corrected_at is not None:
            out["corrected_at"] = _iso(self.corrected_at)
        if self.buyer != MAIN_BUYER:
            out["buyer"] = self.buyer
        if self.consultant is not None:
            out["consultant"] = self.consultant
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvidenceVisit:
        corrected = data.get("corrected_at")
        return cls(id=str(data["id"]), at=datetime.fromisoformat(data["at"]),
                   method=str(data["method"]), link=str(data.get("link", VisitLink.MOBILE)),
                   corrected_at=datetime.fromisoformat(corrected) if corrected else None,
                   buyer=str(data.get("buyer", MAIN_BUYER)),
                   consultant=str(data["consultant"]) if data.get("consultant") else None)


@dataclass(frozen=True)
class Evidence:
    """What the decision rests on: every visit before the signing, by original time."""

    signed_at: datetime
    visits: tuple[EvidenceVisit, ...] = ()

    @property
    def first_visit(self) -> EvidenceVisit | None:
        return self.visits[0] if self.visits else None

    @property
    def visit_count(self) -> int:
        return len(self.visits)

    @property
    def visit_ids(self) -> tuple[str, ...]:
        return tuple(v.id for v in self.visits)

    def to_json(self, verdicts: Sequence[ClaimVerdict]) -> dict[str, Any]:
        first = self.first_visit
        return {
            "signed_at": _iso(self.signed_at),
            "first_visit": first.to_json() if first else None,
            "visit_count": self.visit_count,
            "visits": [v.to_json() for v in self.visits],
            "registrations": [{"id": v.registration_id, "channel_id": v.channel_id,
                               "verdict": v.reason, "visit_id": v.visit_id,
                               **({"buyer": v.buyer} if v.buyer != MAIN_BUYER else {})}
                              for v in verdicts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        return cls(signed_at=datetime.fromisoformat(data["signed_at"]),
                   visits=tuple(EvidenceVisit.from_json(v) for v in data.get("visits") or []))


@dataclass(frozen=True)
class Decision:
    """The outcome of 判客 for one signing, stored with it as JSON (`to_json`/`from_json`; the
    stored shape is stable: rows written before this type existed read back the same)."""

    channel_id: str | None
    channel_kind: str
    registration_id: str | None
    reason_codes: tuple[str, ...]
    trace: tuple[str, ...]
    evidence: Evidence
    needs_review: bool = False
    verdicts: tuple[ClaimVerdict, ...] = ()
    decided_by: tuple[tuple[str, str], ...] = ()
    """For a household (共同购房人): whose evidence decided, by role — ("visit", "co1"),
    ("registration", "main"). Empty for a one-buyer signing (the buyer decided)."""

    @property
    def is_natural(self) -> bool:
        return self.registration_id is None

    def verdict_for(self, registration_id: str) -> ClaimVerdict | None:
        return next((v for v in self.verdicts if v.registration_id == registration_id), None)

    def channel_for(self, registration_id: str) -> str | None:
        """The channel of one of this signing's claims; None for a registration it never saw."""
        verdict = self.verdict_for(registration_id)
        return verdict.channel_id if verdict else None

    def to_json(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id, "channel_kind": self.channel_kind,
            "registration_id": self.registration_id, "reason_codes": list(self.reason_codes),
            "trace": list(self.trace), "evidence": self.evidence.to_json(self.verdicts),
            "needs_review": self.needs_review,
            "verdicts": [v.to_json() for v in self.verdicts],
            **({"decided_by": dict(self.decided_by)} if self.decided_by else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Decision:
        return cls(
            channel_id=data.get("channel_id"), channel_kind=str(data.get("channel_kind", "")),
            registration_id=data.get("registration_id"),
            reason_codes=tuple(data.get("reason_codes") or ()),
            trace=tuple(data.get("trace") or ()),
            evidence=Evidence.from_json(data["evidence"]),
            needs_review=bool(data.get("needs_review", False)),
            verdicts=tuple(ClaimVerdict.from_json(v) for v in data.get("verdicts") or []),
            decided_by=tuple((str(k), str(v)) for k, v in
                             (data.get("decided_by") or {}).items()),
        )


def _iso(at: datetime) -> str:
    return at.isoformat()


def judge_claim(
    claim: ClaimFact, visits: Sequence[VisitFact], *, signed_at: datetime, rules: AttributionRules,
) -> ClaimVerdict:
    """One claim against the visits (sorted by time, none after signing)."""
    def verdict(reason: str, visit: VisitFact | None = None) -> ClaimVerdict:
        return ClaimVerdict(claim.registration_id, claim.channel_id, reason,
                            visit.id if visit else None, claim.buyer)

    if claim.created_at > signed_at:
        return verdict(REGISTERED_AFTER_SIGNING)
    if claim.conflict is not None:
        return verdict(claim.conflict)
    since = claim.created_at - rules.known_lookback
    known = [v for v in visits if since <= v.at < claim.created_at]
    if known:
        return verdict(CUSTOMER_KNOWN, known[0])
    first = next((v for v in visits if v.at >= claim.created_at), None)
    if first is None:
        return verdict(NO_VISIT)
    if first.at > claim.created_at + rules.registration_valid:
        return verdict(EXPIRED_BEFORE_VISIT, first)
    if signed_at > first.at + rules.protection:
        return verdict(PROTECTION_EXPIRED, first)
    return verdict(VALID, first)


def _ranked(
    claims: Iterable[ClaimFact], visits: Sequence[VisitFact], *, signed_at: datetime,
    rules: AttributionRules,
) -> list[ClaimVerdict]:
    """Verdicts in claim order; after the earliest valid one, later valid ones are superseded."""
    ordered = sorted(claims, key=lambda c: (c.created_at, c.registration_id))
    out: list[ClaimVerdict] = []
    winner_seen = False
    for claim in ordered:
        verdict = judge_claim(claim, visits, signed_at=signed_at, rules=claim.rules or rules)
        if verdict.valid and winner_seen:
            verdict = ClaimVerdict(claim.registration_id, claim.channel_id, SUPERSEDED,
                                   verdict.visit_id, claim.buyer)
        winner_seen = winner_seen or verdict.valid
        out.append(verdict)
    return out


def _winner(verdicts: Sequence[ClaimVerdict]) -> ClaimVerdict | None:
    return next((v for v in verdicts if v.valid), None)


def adjudicate(
    visits: Iterable[VisitFact], claims: Iterable[ClaimFact], *, signed_at: datetime,
    rules: AttributionRules | None = None, household: bool = False,
) -> Decision:
    """The decision for one signing. Input order never matters: visits are taken by (time, id)
    and claims by (creation time, id); visits after the signing are not evidence. For a
    `household` (several buyers, facts tagged by buyer) the decision says whose evidence
    decided (`decided_by`): the facts of every buyer are judged as one customer's."""
    rules = rules or AttributionRules()
    claim_list = list(claims)
    kinds = {c.registration_id: c.channel_kind for c in claim_list}
    seen = sorted((v for v in visits if v.at <= signed_at), key=lambda v: (v.at, v.id))
    verdicts = _ranked(claim_list, seen, signed_at=signed_at, rules=rules)
    winner = _winner(verdicts)
    codes = [EARLIEST_VALID if winner else NO_VALID_REGISTRATION]
    without_face = _winner(_ranked(claim_list, [v for v in seen if not v.link.is_face],
                                   signed_at=signed_at, rules=rules))
    if without_face is not None and (winner is None or
                                     winner.registration_id != without_face.registration_id):
        codes.append(FACE_ONLY_DENIAL)
    if any(v.link is VisitLink.FACE_REVIEW for v in seen):
        codes.append(FACE_REVIEW_BAND)
    if any(v.corrected_at is not None for v in seen):
        codes.append(ORIGINAL_TIME_USED)
    household = household or any(v.buyer != MAIN_BUYER for v in seen) or any(
        c.buyer != MAIN_BUYER for c in claim_list)
    decided = _decided_by(verdicts, seen, winner) if household else ()
    return Decision(
        channel_id=winner.channel_id if winner else None,
        channel_kind=kinds[winner.registration_id] if winner else NATURAL,
        registration_id=winner.registration_id if winner else None,
        reason_codes=tuple(codes),
        trace=tuple(_trace(claim_list, verdicts, seen, rules, winner, decided)),
        evidence=Evidence(signed_at=signed_at, visits=tuple(_cited(v) for v in seen)),
        needs_review=FACE_ONLY_DENIAL in codes or FACE_REVIEW_BAND in codes,
        verdicts=tuple(verdicts),
        decided_by=decided,
    )


def _decided_by(verdicts: Sequence[ClaimVerdict], visits: Sequence[VisitFact],
                winner: ClaimVerdict | None) -> tuple[tuple[str, str], ...]:
    """Whose evidence decided, by role: the winning claim's buyer and the buyer whose visit
    validated it; for natural, the buyer whose visit made the customer known to the earliest
    denied claim, else the buyer of the household's first visit."""
    owner = {v.id: v.buyer for v in visits}
    if winner is not None:
        out = [("registration", winner.buyer)]
        if winner.visit_id in owner:
            out.append(("visit", owner[winner.visit_id]))
        return tuple(out)
    known = next((v for v in verdicts if v.reason == CUSTOMER_KNOWN and v.visit_id in owner),
                 None)
    if known is not None and known.visit_id is not None:
        return (("visit", owner[known.visit_id]),)
    return (("visit", visits[0].buyer),) if visits else ()


def needs_review_for(decision: Decision, code: str, *, buyers: Sequence[str] = ()) -> Decision:
    """The same decision, waiting for a person: an uncertain face score never decides alone.
    `buyers`: in a household, whose check was uncertain (by role)."""
    who = f" (buyer {', '.join(buyers)})" if buyers else ""
    return replace(decision, reason_codes=(*decision.reason_codes, code), needs_review=True,
                   trace=(*decision.trace, f"{code}{who}: a person must review this signing"))


_EXPLAIN = {
    REGISTERED_AFTER_SIGNING: "created after the signing",
    CUSTOMER_KNOWN: "customer already seen within {lookback} days before it (visit {visit})",
    NO_VISIT: "no visit between the registration and the signing",
    EXPIRED_BEFORE_VISIT: "first visit {visit} came after the {hours} h validity",
    PROTECTION_EXPIRED: "signing after the {days}-day protection from visit {visit}",
    SUPERSEDED: "an earlier valid registration wins (撞单)",
    KNOWN: "marked at registration: the customer was already known",
    PROTECTED_ELSEWHERE: "marked at registration: another claim was protected",
    VALID: "valid: visit {visit} within {hours} h, signing within {days} days",
}


def _trace(
    claims: Sequence[ClaimFact], verdicts: Sequence[ClaimVerdict], visits: Sequence[VisitFact],
    rules: AttributionRules, winner: ClaimVerdict | None,
    decided: Sequence[tuple[str, str]] = (),
) -> list[str]:
    created = {c.registration_id: c.created_at for c in claims}
    own = {c.registration_id: c for c in claims}
    lines = [f"rules: valid {rules.registration_valid_hours} h, protection "
             f"{rules.protection_days} d, known lookback {rules.known_lookback_days} d",
             f"visits considered: {len(visits)}" + (f", first {_iso(visits[0].at)}" if visits
                                                    else "")]
    for v in verdicts:
        claim = own[v.registration_id]
        applied = claim.rules or rules
        why = _EXPLAIN[v.reason].format(lookback=applied.known_lookback_days, visit=v.visit_id,
                                        hours=applied.registration_valid_hours,
                                        days=applied.protection_days)
        about = f", buyer {v.buyer}" if decided else ""
        inherited = (f" (its rules: {claim.rules_from}; the nearest setting wins)"
                     if claim.rules is not None and claim.rules_from else "")
        lines.append(f"registration {v.registration_id} (channel {v.channel_id}{about}, created "
                     f"{_iso(created[v.registration_id])}): {v.reason} — {why}{inherited}")
    if decided:
        lines.append("decided by: " + ", ".join(f"{kind} of buyer {who}"
                                                for kind, who in decided))
    if visits and visits[0].consultant:  # 置业顾问: the 自访 commission some offices pay
        lines.append(f"first visit received by consultant {visits[0].consultant}")
    lines.extend(f"visit {v.id} was later edited to {_iso(v.corrected_at)}; the original "
                 f"{_iso(v.at)} is used" for v in visits if v.corrected_at is not None)
    lines.append(f"decision: registration {winner.registration_id}, channel {winner.channel_id}"
                 if winner else "decision: natural (自然到访)")
    return lines


def _cited(v: VisitFact) -> EvidenceVisit:
    return EvidenceVisit(id=v.id, at=v.at, method=v.method, link=v.link.value,
                         corrected_at=v.corrected_at, buyer=v.buyer, consultant=v.consultant)


@dataclass(eq=False)
class VisitCorrection:
    """A staff edit of a visit's time: appended and audited, never written over the visit."""

    id: str
    visit_id: str
    corrected_at: datetime
    reason: str
    actor: str
    recorded_at: datetime

    @classmethod
    def new(
        cls, *, visit_id: str, corrected_at: datetime, reason: str, actor: str, now: datetime,
    ) -> VisitCorrection:
        if not (reason or "").strip():
            raise InvalidRegistration("A visit correction needs a reason.")
        if corrected_at.tzinfo is None:
            raise InvalidRegistration("corrected_at needs a time zone.")
        return cls(id=secrets.token_hex(12), visit_id=visit_id, corrected_at=corrected_at,
                   reason=reason.strip(), actor=actor, recorded_at=now)


class ReviewStep(StrEnum):
    """A reason on a signing's way through review: the desk sends it (`SENT`), a manager
    decides it (`DECIDED`). Each keeps its own reason, who and when; none overwrites another."""

    SENT = "sent"
    DECIDED = "decided"


@dataclass(eq=False)
class ReviewNote:
    """One step of a signing's review history, with its reason (audited as well)."""

    id: str
    signing_id: str
    step: ReviewStep
    actor: str
    at: datetime
    reason: str

    @classmethod
    def new(cls, *, signing_id: str, step: ReviewStep, actor: str, at: datetime, reason: str,
            ) -> ReviewNote:
        text = (reason or "").strip()
        if not text:
            raise InvalidRegistration("A review step needs a reason.")
        return cls(id=secrets.token_hex(12), signing_id=signing_id, step=step, actor=actor,
                   at=at, reason=text)


class SigningStatus(StrEnum):
    PENDING_REVIEW = "pending_review"
    FINAL = "final"


@dataclass(eq=False)
class Signing:
    """签约: the contract price is recorded here as signed and nothing in attribution or review
    changes it (C20). Only the 1:1 ID-photo check's pass/score is kept (C22)."""

    id: str
    office_id: str
    person_id: str
    buyer_name: str
    id_hash: str
    id_masked: str
    contract_price_fen: int
    signed_at: datetime
    decision: Decision
    status: SigningStatus
    channel_id: str | None = None
    registration_id: str | None = None
    id_photo_passed: bool | None = None
    id_photo_score: float | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_reason: str | None = None
    unit: str | None = None  # the flat or house sold (房号), when the desk gives it
    buyers: list[SigningBuyer] = field(default_factory=list)
    """Every buyer on the contract, main buyer (主购人) first; the columns above repeat the
    main buyer's for the reads that predate households."""

    @classmethod
    def record(
        cls, *, office_id: str, person_id: str, buyer_name: str, id_hash: str, id_masked: str,
        contract_price_fen: int, signed_at: datetime, decision: Decision,
        id_photo: tuple[bool, float] | None = None, unit: str | None = None,
        co_buyers: Sequence[BuyerRecord] = (), relation: str | None = None,
    ) -> Signing:
        if not 0 < contract_price_fen <= MAX_FEN:
            raise InvalidRegistration(
                f"The contract price must be a positive number of fen, at most {MAX_FEN}.")
        if not buyer_name.strip() or any(not b.name.strip() for b in co_buyers):
            raise InvalidRegistration("A signing needs each buyer's name.")
        signing = cls(
            id=secrets.token_hex(12), office_id=office_id, person_id=person_id,
            buyer_name=buyer_name.strip(), id_hash=id_hash, id_masked=id_masked,
            contract_price_fen=contract_price_fen, signed_at=signed_at,
            decision=decision,
            status=SigningStatus.PENDING_REVIEW if decision.needs_review else SigningStatus.FINAL,
            channel_id=decision.channel_id, registration_id=decision.registration_id,
            id_photo_passed=id_photo[0] if id_photo else None,
            id_photo_score=id_photo[1] if id_photo else None, unit=(unit or "").strip() or None,
        )
        main = BuyerRecord(person_id=person_id, name=buyer_name, id_hash=id_hash,
                           id_masked=id_masked, relation=relation, id_photo=id_photo)
        signing.buyers = [SigningBuyer.of(b, signing_id=signing.id, position=i)
                          for i, b in enumerate((main, *co_buyers))]
        return signing

    @property
    def household(self) -> bool:
        """More than one buyer on the contract (主购人 + 共同购房人)."""
        return len(self.buyers) > 1

    @property
    def is_final(self) -> bool:
        return self.status is SigningStatus.FINAL

    def review(
        self, *, by: str, at: datetime, reason: str, registration_id: str | None,
        channel_id: str | None,
    ) -> None:
        """A manager confirms or overrides the automatic decision; the reason is required."""
        if self.status is not SigningStatus.PENDING_REVIEW:
            raise ReviewNotPending()
        if not (reason or "").strip():
            raise InvalidRegistration("A review needs a reason.")
        expected = self.decision.channel_for(registration_id) if registration_id else None
        if (registration_id and expected is None) or expected != channel_id:
            raise InvalidRegistration("Choose one of this signing's registrations, or natural.")
        self.registration_id, self.channel_id = registration_id, channel_id
        self.reviewed_by, self.reviewed_at, self.review_reason = by, at, reason.strip()
        self.status = SigningStatus.FINAL
