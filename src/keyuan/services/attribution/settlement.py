"""佣金结算: agreements, period statements (draft → approved → paid, or void), disputes.

Only final attributions are settled: a signing waiting for review is in no statement. Money is
paid once: a deal is on at most one non-void statement (`statement_deals`, keyed by the
signing), and a channel's non-void statements never overlap in time. Every status change
locks the row it decides on, so parallel requests decide once and audit once."""

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
    TeamNames,
    statement_lines,
)
from keyuan.domain.attribution.teams import UnknownTeam
from keyuan.domain.errors import (
    StatementPeriodOverlap,
    UnknownChannel,
    UnknownDispute,
    UnknownStatement,
)
from keyuan.services.attribution import teams
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
    team_id: str | None = None  # set on a team of the company (its deals and its teams')


def add_agreement(cmd: AgreementCmd, deps: Deps, *, actor: str) -> Agreement:
    with deps.uow() as uow:
        if uow.attribution.channel(cmd.channel_id) is None:
            raise UnknownChannel()
        if cmd.team_id is not None:
            team = uow.teams.team(cmd.team_id)
            if team is None or team.channel_id != cmd.channel_id:
                raise UnknownTeam()
        now = deps.clock.now()
        agreement = Agreement.new(
            channel_id=cmd.channel_id, kind=cmd.kind, value=cmd.value,
            effective_from=cmd.effective_from, effective_to=cmd.effective_to, now=now,
            tiers=cmd.tiers, referral_reward_fen=cmd.referral_reward_fen, team_id=cmd.team_id)
        uow.attribution.add(agreement)
        uow.audit.append(at=now, actor=actor, action="agreement_added", subject=cmd.channel_id,
                         detail={"agreement": agreement.id, "kind": cmd.kind.value,
                                 "value": cmd.value, "team_id": cmd.team_id})
        uow.commit()
        return agreement


def _statement(uow: UnitOfWork, statement_id: str, *, lock: bool = False) -> Statement:
    statement = uow.attribution.statement(statement_id, lock=lock)
    if statement is None:
        raise UnknownStatement()
    return statement


def _same_period(
    uow: UnitOfWork, channel_id: str, period_start: datetime, period_end: datetime,
) -> Statement | None:
    """The channel's non-void statement for exactly this period (rebuilt while a draft); any
    other non-void statement sharing time with it is refused (`statement_period_overlap`)."""
    found = uow.attribution.statements_overlapping(channel_id, period_start, period_end)
    same = [s for s in found if (s.period_start, s.period_end) == (period_start, period_end)]
    others = [s for s in found if s not in same]
    if others:
        raise StatementPeriodOverlap(statement_id=others[0].id)
    return same[0] if same else None


def generate_statement(
    channel_id: str, period_start: datetime, period_end: datetime, deps: Deps,
) -> Statement:
    """Build (or rebuild, while still a draft) the channel's statement for the period. The
    channel's row is locked: statements of one channel are built one at a time."""
    with deps.uow() as uow:
        if uow.attribution.channel(channel_id, lock=True) is None:
            raise UnknownChannel()
        statement = _same_period(uow, channel_id, period_start, period_end)
        signings = uow.attribution.final_signings(channel_id, period_start, period_end)
        taken = uow.attribution.deals_on_other_statements(
            [s.id for s in signings], statement.id if statement else None)
        signings = [s for s in signings if s.id not in taken]
        claim_team = uow.teams.claim_teams([s.registration_id for s in signings
                                            if s.registration_id])
        tree = teams.trees_of(uow, [channel_id])[channel_id]  # the agreement: nearest wins
        deals = [Deal(s.id, s.signed_at, s.contract_price_fen, tuple(
            n.id for n in tree.path(claim_team.get(s.registration_id or "")))) for s in signings]
        lines = statement_lines(deals, uow.attribution.agreements(channel_id), TeamNames(
            {team_id: tree.label(team_id) for team_id in tree.nodes}))
        if statement is None:
            statement = Statement.draft(channel_id=channel_id, period_start=period_start,
                                        period_end=period_end, lines=lines,
                                        now=deps.clock.now())
            uow.attribution.add(statement)
        else:
            statement.replace_lines(lines)  # refuses unless draft
        uow.attribution.set_statement_deals(statement.id, [d.signing_id for d in deals])
        uow.commit()
        return statement


def void_statement(statement_id: str, reason: str, deps: Deps, *, actor: str) -> Statement:
    """Withdraw a draft or approved statement; its deals may go on another statement."""
    with deps.uow() as uow:
        statement = _statement(uow, statement_id, lock=True)
        now = deps.clock.now()
        statement.void(by=actor, at=now, reason=reason)
        uow.attribution.release_statement_deals(statement.id)
        uow.audit.append(at=now, actor=actor, action="statement_voided", subject=statement.id,
                         detail={"total_fen": statement.total_fen,
                                 "reason": statement.void_reason})
        uow.commit()
        return statement


def approve(statement_id: str, deps: Deps, *, actor: str) -> Statement:
    with deps.uow() as uow:
        statement = _statement(uow, statement_id, lock=True)
        now = deps.clock.now()
        statement.approve(by=actor, at=now,
                          open_disputes=uow.attribution.open_disputes(statement.id))
        uow.audit.append(at=now, actor=actor, action="statement_approved", subject=statement.id,
                         detail={"total_fen": statement.total_fen})
        uow.commit()
        return statement


def mark_paid(statement_id: str, deps: Deps, *, actor: str) -> Statement:
    with deps.uow() as uow:
        statement = _statement(uow, statement_id, lock=True)
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
        statement = _statement(uow, statement_id, lock=True)  # approval waits for it
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
        dispute = uow.attribution.dispute(cmd.dispute_id, lock=True)
        if dispute is None:
            raise UnknownDispute()
        now = deps.clock.now()
        dispute.decide(upheld=cmd.upheld, by=cmd.manager, at=now, reason=cmd.reason)
        if cmd.upheld and cmd.adjustment_fen:
            _statement(uow, dispute.statement_id, lock=True).adjust(
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
