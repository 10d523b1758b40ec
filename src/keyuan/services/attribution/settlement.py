"""佣金结算: agreements, period statements (draft → approved → paid), disputes, CSV export.

Only final attributions are settled: a signing waiting for review is in no statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from keyuan.domain.attribution.commission import (
    Agreement,
    AgreementKind,
    Deal,
    Dispute,
    Statement,
    statement_lines,
)
from keyuan.domain.errors import UnknownChannel, UnknownDispute, UnknownStatement
from keyuan.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class AgreementCmd:
    channel_id: str
    kind: AgreementKind
    value: int
    effective_from: datetime
    effective_to: datetime | None = None
    tiers: Sequence[tuple[int, int]] = ()
    referral_reward_fen: int = 0


def add_agreement(cmd: AgreementCmd, deps: Deps, *, actor: str) -> Agreement:
    with deps.uow() as uow:
        if uow.attribution.channel(cmd.channel_id) is None:
            raise UnknownChannel()
        now = deps.clock.now()
        agreement = Agreement.new(
            channel_id=cmd.channel_id, kind=cmd.kind, value=cmd.value,
            effective_from=cmd.effective_from, effective_to=cmd.effective_to, now=now,
            tiers=cmd.tiers, referral_reward_fen=cmd.referral_reward_fen)
        uow.attribution.add(agreement)
        uow.audit.append(at=now, actor=actor, action="agreement_added", subject=cmd.channel_id,
                         detail={"agreement": agreement.id, "kind": cmd.kind.value,
                                 "value": cmd.value})
        uow.commit()
        return agreement


def _statement(uow: UnitOfWork, statement_id: str) -> Statement:
    statement = uow.attribution.statement(statement_id)
    if statement is None:
        raise UnknownStatement()
    return statement


def generate_statement(
    channel_id: str, period_start: datetime, period_end: datetime, deps: Deps,
) -> Statement:
    """Build (or rebuild, while still a draft) the channel's statement for the period."""
    with deps.uow() as uow:
        if uow.attribution.channel(channel_id) is None:
            raise UnknownChannel()
        deals = [Deal(s.id, s.signed_at, s.contract_price_fen) for s in
                 uow.attribution.final_signings(channel_id, period_start, period_end)]
        lines = statement_lines(deals, uow.attribution.agreements(channel_id))
        statement = uow.attribution.statement_for(channel_id, period_start, period_end)
        if statement is None:
            statement = Statement.draft(channel_id=channel_id, period_start=period_start,
                                        period_end=period_end, lines=lines,
                                        now=deps.clock.now())
            uow.attribution.add(statement)
        else:
            statement.replace_lines(lines)  # refuses unless draft
        uow.commit()
        return statement


def approve(statement_id: str, deps: Deps, *, actor: str) -> Statement:
    with deps.uow() as uow:
        statement = _statement(uow, statement_id)
        now = deps.clock.now()
        statement.approve(by=actor, at=now,
                          open_disputes=uow.attribution.open_disputes(statement.id))
        uow.audit.append(at=now, actor=actor, action="statement_approved", subject=statement.id,
                         detail={"total_fen": statement.total_fen})
        uow.commit()
        return statement


def mark_paid(statement_id: str, deps: Deps, *, actor: str) -> Statement:
    with deps.uow() as uow:
        statement = _statement(uow, statement_id)
        now = deps.clock.now()
        statement.mark_paid(at=now, open_disputes=uow.attribution.open_disputes(statement.id))
        uow.audit.append(at=now, actor=actor, action="statement_paid", subject=statement.id,
                         detail={"total_fen": statement.total_fen})
        uow.commit()
        return statement


def open_dispute(
    statement_id: str, channel_id: str, reason: str, deps: Deps, *, signing_id: str | None = None,
    actor: str | None = None,
) -> Dispute:
    """A channel disputes its own statement (optionally one deal); `actor` (the logged-in
    account, or `cli:<os user>`) is recorded in the audit log."""
    with deps.uow() as uow:
        statement = _statement(uow, statement_id)
        if statement.channel_id != channel_id:
            raise UnknownStatement()  # a channel sees only its own statements
        now = deps.clock.now()
        dispute = Dispute.open(statement=statement, reason=reason, now=now,
                               signing_id=signing_id)
        uow.attribution.add(dispute)
        if actor is not None:
            uow.audit.append(at=now, actor=actor, action="dispute_opened", subject=dispute.id,
                             detail={"statement": statement.id, "signing": signing_id})
        uow.commit()
        return dispute


@dataclass(frozen=True)
class DisputeDecisionCmd:
    dispute_id: str
    upheld: bool
    manager: str
    reason: str
    adjustment_fen: int = 0


def decide_dispute(cmd: DisputeDecisionCmd, deps: Deps) -> Dispute:
    with deps.uow() as uow:
        dispute = uow.attribution.dispute(cmd.dispute_id)
        if dispute is None:
            raise UnknownDispute()
        now = deps.clock.now()
        dispute.decide(upheld=cmd.upheld, by=cmd.manager, at=now, reason=cmd.reason)
        if cmd.upheld and cmd.adjustment_fen:
            _statement(uow, dispute.statement_id).adjust(
                amount_fen=cmd.adjustment_fen, reason=dispute.decision_reason or "",
                dispute_id=dispute.id)
        uow.audit.append(at=now, actor=cmd.manager, action="dispute_decided", subject=dispute.id,
                         detail={"upheld": cmd.upheld, "adjustment_fen": cmd.adjustment_fen,
                                 "reason": dispute.decision_reason})
        uow.commit()
        return dispute


def get_statement(statement_id: str, deps: Deps) -> Statement:
    with deps.uow() as uow:
        return _statement(uow, statement_id)
