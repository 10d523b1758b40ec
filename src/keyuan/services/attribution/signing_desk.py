"""The signing desk's side of 签约: which office the desk works for, the result card of one
signing (its claims with their channel names and creation times, which the stored decision only
names by id), and the desk's one action after signing — sending an automatic decision to a
manager's review (C20: a person can always ask for human review; nothing is final until then).

Reads and the one write go through the unit of work like every service; no face data is
touched here (the card shows only the ID-photo check's pass/fail that the signing kept)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from keyuan.domain.attribution.adjudication import (
    ReviewNote,
    ReviewStep,
    Signing,
    SigningStatus,
)
from keyuan.domain.attribution.commission import StatementStatus
from keyuan.domain.attribution.escort import EscortFact
from keyuan.domain.errors import (
    AlreadyInReview,
    AlreadyReviewed,
    AlreadySettled,
    InvalidRegistration,
    UnknownSigning,
)
from keyuan.services.attribution.escort import escorts_of
from keyuan.services.checkin.setup import office_or_first
from keyuan.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class ClaimLine:
    """One registration (报备) the decision judged, as the desk shows it."""

    registration_id: str
    channel_id: str
    channel_name: str
    channel_kind: str
    created_at: datetime | None
    verdict: str
    won: bool


@dataclass(frozen=True)
class DeskCard:
    signing: Signing
    claims: list[ClaimLine]
    channel_name: str | None  # the channel the signing is attributed to now, if any
    reviews: list[ReviewNote] = field(default_factory=list)  # oldest first: sent, decided
    escorts: dict[str, EscortFact] = field(default_factory=dict)  # 扫码带访, by visit id


def desk_office(wanted: str | None, deps: Deps) -> str:
    """The office the desk signs for: the one asked for, else the first on file (a deployment
    usually serves one sales office)."""
    with deps.uow() as uow:
        return office_or_first(uow, wanted).id


def card(signing_id: str, deps: Deps) -> DeskCard:
    """The signing with its claims resolved to channel names and creation times."""
    with deps.uow() as uow:
        signing = uow.attribution.signing(signing_id)
        if signing is None:
            raise UnknownSigning()
        lines = []
        for verdict in signing.decision.verdicts:
            registration = uow.attribution.registration(verdict.registration_id)
            channel = uow.attribution.channel(verdict.channel_id)
            lines.append(ClaimLine(
                registration_id=verdict.registration_id, channel_id=verdict.channel_id,
                channel_name=channel.name if channel else verdict.channel_id,
                channel_kind=channel.kind.value if channel else "unknown",
                created_at=registration.created_at if registration else None,
                verdict=verdict.reason,
                won=verdict.registration_id == signing.registration_id))
        current = uow.attribution.channel(signing.channel_id) if signing.channel_id else None
        return DeskCard(signing=signing, claims=lines,
                        channel_name=current.name if current else signing.channel_id,
                        reviews=uow.attribution.review_notes([signing.id]),
                        escorts={f.visit_id: f for f in escorts_of(uow, signing.decision)})


@dataclass(frozen=True)
class SendToReviewCmd:
    signing_id: str
    actor: str
    reason: str


def _in_closed_statement(uow: UnitOfWork, signing: Signing) -> bool:
    """Whether an approved or paid statement already pays commission on this signing."""
    if signing.channel_id is None:
        return False
    return any(st.status in (StatementStatus.APPROVED, StatementStatus.PAID)
               and st.pays_for(signing.id)
               for st in uow.attribution.statements_of(signing.channel_id))


def send_to_review(cmd: SendToReviewCmd, deps: Deps) -> Signing:
    """An automatic, not yet reviewed decision goes back to the managers' review queue; it is
    not final (and so not settled) until a manager reviews it. The reason is kept in the
    signing's review history (the manager sees it on the card and the queue) and audited."""
    reason = (cmd.reason or "").strip()
    if not reason:
        raise InvalidRegistration("Sending a signing to review needs a reason.")
    with deps.uow() as uow:
        signing = uow.attribution.signing(cmd.signing_id, lock=True)
        if signing is None:
            raise UnknownSigning()
        if signing.status is SigningStatus.PENDING_REVIEW:
            raise AlreadyInReview()
        if signing.reviewed_by is not None:
            raise AlreadyReviewed()
        if _in_closed_statement(uow, signing):
            raise AlreadySettled()  # the money moved on it: the statement's dispute is the path
        signing.status = SigningStatus.PENDING_REVIEW
        uow.attribution.add(ReviewNote.new(signing_id=signing.id, step=ReviewStep.SENT,
                                           actor=cmd.actor, at=deps.clock.now(), reason=reason))
        uow.audit.append(at=deps.clock.now(), actor=cmd.actor,
                         action="attribution_sent_to_review", subject=signing.id,
                         detail={"reason": reason})
        uow.commit()
        return signing
