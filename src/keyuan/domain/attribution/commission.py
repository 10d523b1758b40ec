"""佣金结算: channel agreements, period statements with lines, approval, payment and disputes.

Money is integer fen throughout; a percentage is in basis points (1.5% = 150 bp) and rounds half
up to the fen. Statements count only final attributions (after any review)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from keyuan.domain.bounds import MAX_FEN
from keyuan.domain.errors import InvalidAgreement, StatementStateError, UnknownSigning


class AgreementKind(StrEnum):
    PERCENT = "percent"  # of the contract price
    FIXED = "fixed"  # per deal


@dataclass(eq=False)
class Agreement:
    """A channel's terms from `effective_from` until `effective_to` (exclusive, open if None).
    `tiers`: [{"min_deals": n, "value": v}] — with n or more final deals in the settlement
    period, v replaces `value` (bp or fen by kind) for every deal of that period."""

    id: str
    channel_id: str
    kind: AgreementKind
    value: int
    effective_from: datetime
    created_at: datetime
    effective_to: datetime | None = None
    tiers: list[dict[str, int]] = field(default_factory=list)
    referral_reward_fen: int = 0
    team_id: str | None = None  # set on a team (门店/团队): its deals and its teams' (nearest wins)

    @classmethod
    def new(
        cls, *, channel_id: str, kind: AgreementKind, value: int, effective_from: datetime,
        now: datetime, effective_to: datetime | None = None,
        tiers: Sequence[tuple[int, int]] = (), referral_reward_fen: int = 0,
        team_id: str | None = None,
    ) -> Agreement:
        limit = 10_000 if kind is AgreementKind.PERCENT else 10**11
        values = [value, *(v for _, v in tiers)]
        if any(not 0 <= v <= limit for v in values):
            raise InvalidAgreement(f"Values must be within 0..{limit} ({kind.value}).")
        if any(n < 1 for n, _ in tiers) or len({n for n, _ in tiers}) != len(tiers):
            raise InvalidAgreement("Tier thresholds must be distinct deal counts ≥ 1.")
        if not 0 <= referral_reward_fen <= MAX_FEN:
            raise InvalidAgreement(f"A referral reward must be within 0..{MAX_FEN} fen.")
        if effective_to is not None and effective_to <= effective_from:
            raise InvalidAgreement("An agreement must end after it starts.")
        return cls(id=secrets.token_hex(8), channel_id=channel_id, kind=kind, value=value,
                   effective_from=effective_from, effective_to=effective_to, created_at=now,
                   tiers=[{"min_deals": n, "value": v} for n, v in sorted(tiers)],
                   referral_reward_fen=referral_reward_fen, team_id=team_id)

    def covers(self, at: datetime) -> bool:
        return self.effective_from <= at and (self.effective_to is None or at < self.effective_to)

    def value_for(self, deals_in_period: int) -> tuple[int, str]:
        applicable = [t for t in self.tiers if t["min_deals"] <= deals_in_period]
        if not applicable:
            return self.value, "base"
        tier = applicable[-1]
        return tier["value"], f"tier ≥{tier['min_deals']} deals"

    def amount(self, price_fen: int, deals_in_period: int) -> tuple[int, str]:
        value, which = self.value_for(deals_in_period)
        if self.kind is AgreementKind.PERCENT:
            base = (price_fen * value + 5_000) // 10_000
            rule = f"{value / 100:g}% of contract price ({which})"
        else:
            base, rule = value, f"fixed {value} fen per deal ({which})"
        if self.referral_reward_fen:
            rule += f" + referral reward {self.referral_reward_fen} fen"
        return base + self.referral_reward_fen, f"agreement {self.id}: {rule}"


@dataclass(frozen=True)
class Deal:
    signing_id: str
    signed_at: datetime
    contract_price_fen: int
    team_path: tuple[str, ...] = ()  # the winning claim's team and its ancestors, top first


@dataclass(frozen=True)
class TeamNames:
    """How a statement's rule names the team an agreement was set on (ids → "华东区 / 一店")."""

    labels: Mapping[str, str] = field(default_factory=dict)

    def of(self, team_id: str) -> str:
        return self.labels.get(team_id, team_id)


@dataclass(frozen=True)
class StatementLine:
    """One line of a statement: a deal (its signing, time and price), the rule applied and the
    amount; or an adjustment (an upheld dispute), which names no deal."""

    rule: str
    amount_fen: int
    signing_id: str | None = None
    signed_at: datetime | None = None
    contract_price_fen: int | None = None
    team_id: str | None = None  # the team the deal is credited to (its claim's), None: company

    def to_json(self) -> dict[str, Any]:
        out = {"signing_id": self.signing_id,
               "signed_at": self.signed_at.isoformat() if self.signed_at else None,
               "contract_price_fen": self.contract_price_fen, "rule": self.rule,
               "amount_fen": self.amount_fen}
        if self.team_id is not None:  # lines without a team keep the shape stored before
            out["team_id"] = self.team_id
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StatementLine:
        signed_at = data.get("signed_at")
        price = data.get("contract_price_fen")
        return cls(rule=str(data.get("rule") or ""), amount_fen=int(data["amount_fen"]),
                   signing_id=data.get("signing_id") or None,
                   signed_at=datetime.fromisoformat(signed_at) if signed_at else None,
                   contract_price_fen=None if price is None else int(price),
                   team_id=data.get("team_id") or None)


def agreement_for(deal: Deal, agreements: Sequence[Agreement]) -> Agreement | None:
    """The nearest agreement in force on the signing date: the deal's own team's, then each
    team above it, then the company's (an agreement of no team). Within one place the one that
    took effect last wins."""
    newest_first = sorted(agreements, key=lambda a: a.effective_from, reverse=True)
    for scope in (*reversed(deal.team_path), None):
        found = next((a for a in newest_first
                      if a.team_id == scope and a.covers(deal.signed_at)), None)
        if found is not None:
            return found
    return None


def statement_lines(deals: Sequence[Deal], agreements: Sequence[Agreement],
                    names: TeamNames | None = None) -> list[StatementLine]:
    """One line per deal: (deal, price, rule, amount, team). A deal no agreement covers gets
    0 fen and says so, rather than disappearing. Tiers count every deal of the statement (the
    company's volume), whichever agreement prices it. A deal of a team says in words whose
    agreement it got: its own team's, an ancestor's, or the company's (nearest wins)."""
    names = names or TeamNames()
    count = len(deals)
    lines = []
    for deal in sorted(deals, key=lambda d: (d.signed_at, d.signing_id)):
        agreement = agreement_for(deal, agreements)
        amount, rule = agreement.amount(deal.contract_price_fen, count) if agreement else (
            0, "no agreement in force on the signing date")
        if deal.team_path and agreement is not None:
            rule += _inherited(deal.team_path, agreement.team_id, names)
        lines.append(StatementLine(rule=rule, amount_fen=amount, signing_id=deal.signing_id,
                                   signed_at=deal.signed_at,
                                   contract_price_fen=deal.contract_price_fen,
                                   team_id=deal.team_path[-1] if deal.team_path else None))
    return lines


def _inherited(team_path: tuple[str, ...], set_on: str | None, names: TeamNames) -> str:
    own = names.of(team_path[-1])
    if set_on == team_path[-1]:
        return f" — set on the deal's own team {own}"
    where = "the company" if set_on is None else f"team {names.of(set_on)}"
    return f" — inherited by team {own} from {where} (nearest agreement wins)"


class StatementStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"
    VOID = "void"  # withdrawn before payment: its deals are free for another statement


@dataclass(eq=False)
class Statement:
    id: str
    channel_id: str
    period_start: datetime
    period_end: datetime
    status: StatementStatus
    lines: list[StatementLine]
    total_fen: int
    created_at: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None
    paid_at: datetime | None = None
    voided_by: str | None = None
    voided_at: datetime | None = None
    void_reason: str | None = None

    @classmethod
    def draft(
        cls, *, channel_id: str, period_start: datetime, period_end: datetime,
        lines: Sequence[StatementLine], now: datetime,
    ) -> Statement:
        if period_end <= period_start:
            raise StatementStateError("A period must end after it starts.")
        statement = cls(id=secrets.token_hex(8), channel_id=channel_id,
                        period_start=period_start, period_end=period_end,
                        status=StatementStatus.DRAFT, lines=[], total_fen=0, created_at=now)
        statement.replace_lines(lines)
        return statement

    def replace_lines(self, lines: Sequence[StatementLine]) -> None:
        if self.status is not StatementStatus.DRAFT:
            raise StatementStateError("Only a draft statement can change.")
        self.lines = list(lines)
        self.total_fen = sum(line.amount_fen for line in self.lines)

    def pays_for(self, signing_id: str) -> bool:
        """Whether a line of this statement is that signing's commission."""
        return any(line.signing_id == signing_id for line in self.lines)

    def approve(self, *, by: str, at: datetime, open_disputes: int) -> None:
        if self.status is not StatementStatus.DRAFT:
            raise StatementStateError("Only a draft statement can be approved.")
        if open_disputes:
            raise StatementStateError("Decide the open disputes before approving.")
        self.status, self.approved_by, self.approved_at = StatementStatus.APPROVED, by, at

    def mark_paid(self, *, at: datetime, open_disputes: int) -> None:
        if self.status is not StatementStatus.APPROVED:
            raise StatementStateError("Only an approved statement can be paid.")
        if open_disputes:
            raise StatementStateError("Decide the open disputes before paying.")
        self.status, self.paid_at = StatementStatus.PAID, at

    def void(self, *, by: str, at: datetime, reason: str) -> None:
        """Withdraw a draft or approved statement (wrong period, wrong lines). Its deals may then
        be settled by another statement; a paid one is corrected next period instead."""
        if self.status not in (StatementStatus.DRAFT, StatementStatus.APPROVED):
            raise StatementStateError("Only a draft or approved statement can be voided.")
        if not (reason or "").strip():
            raise StatementStateError("Voiding a statement needs a reason.")
        self.status = StatementStatus.VOID
        self.voided_by, self.voided_at, self.void_reason = by, at, reason.strip()

    def adjust(self, *, amount_fen: int, reason: str, dispute_id: str) -> None:
        """An upheld dispute's correction: a line of its own; an approved statement goes back
        to draft for approval again."""
        if self.status in (StatementStatus.PAID, StatementStatus.VOID):
            raise StatementStateError("A paid or void statement is not changed; settle it next "
                                      "period.")
        self.status, self.approved_by, self.approved_at = StatementStatus.DRAFT, None, None
        self.replace_lines([*self.lines, StatementLine(
            rule=f"dispute {dispute_id}: {reason}", amount_fen=amount_fen)])


class DisputeStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


@dataclass(eq=False)
class Dispute:
    """A channel's objection to a statement, decided by a manager with a reason."""

    id: str
    statement_id: str
    channel_id: str
    reason: str
    opened_at: datetime
    status: DisputeStatus = DisputeStatus.OPEN
    signing_id: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None

    @classmethod
    def open(
        cls, *, statement: Statement, reason: str, now: datetime, signing_id: str | None = None,
    ) -> Dispute:
        if statement.status is StatementStatus.PAID:
            raise StatementStateError("A paid statement is disputed through next period's.")
        if statement.status is StatementStatus.VOID:
            raise StatementStateError("A void statement cannot be disputed.")
        if not (reason or "").strip():
            raise StatementStateError("A dispute needs a reason.")
        if signing_id is not None and signing_id not in {
                line.signing_id for line in statement.lines if line.signing_id}:
            # One answer for another channel's signing and for none at all: a channel learns
            # nothing about deals that are not on its own statement.
            raise UnknownSigning("That signing is not on this statement.")
        return cls(id=secrets.token_hex(8), statement_id=statement.id,
                   channel_id=statement.channel_id, reason=reason.strip(), opened_at=now,
                   signing_id=signing_id)

    def decide(self, *, upheld: bool, by: str, at: datetime, reason: str) -> None:
        if self.status is not DisputeStatus.OPEN:
            raise StatementStateError("This dispute was already decided.")
        if not (reason or "").strip():
            raise StatementStateError("A dispute decision needs a reason.")
        self.status = DisputeStatus.UPHELD if upheld else DisputeStatus.REJECTED
        self.decided_by, self.decided_at, self.decision_reason = by, at, reason.strip()
