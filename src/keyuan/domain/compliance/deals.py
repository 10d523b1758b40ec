"""Deals (签约 → 佣金结算) as retention sees them: when a buyer's deal is settled, which ends the
purpose of their template (C18).

A signing is a deal; the person signed is a buyer. A deal is *settled* when
- it is final (reviewed, if it needed review) and natural (自然到访): no commission is due, so it
  is settled when it became final (the review time, else the signing time); or
- it is final, won by a channel, and the commission statement that lists it is paid: settled
  at the payment time.
Anything else — waiting for review, won but not yet on a paid statement — is in progress, and
keeps the template. A person with several deals is settled when the last of them is.

A visit cited as evidence in a decision (e.g. the same buyer's check-in under a second mobile,
linked by face with consent) makes its owner count as that deal's buyer too: retention keeps
the evidence a contract's attribution rests on."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from keyuan.domain.attribution.adjudication import Decision
from keyuan.domain.compliance.retention import DealStatus


@dataclass(frozen=True)
class SigningFact:
    signing_id: str
    person_id: str
    final: bool
    channel_id: str | None
    signed_at: datetime
    reviewed_at: datetime | None = None
    evidence_visits: tuple[str, ...] = ()


def settled_at(deal: SigningFact, paid: Mapping[str, datetime]) -> datetime | None:
    """When this deal was settled, or None while it is in progress."""
    if not deal.final:
        return None
    if deal.channel_id is None:
        return deal.reviewed_at or deal.signed_at
    return paid.get(deal.signing_id)


def deal_statuses(
    deals: Iterable[SigningFact], paid: Mapping[str, datetime],
    visit_owners: Mapping[str, str] | None = None,
) -> dict[str, DealStatus]:
    """person id → DealStatus. Pure: the rules above over the facts a `DealRecords` reads."""
    per_person: dict[str, list[tuple[datetime, datetime | None]]] = {}
    for deal in deals:
        when = settled_at(deal, paid)
        people = {deal.person_id} | {(visit_owners or {}).get(v, deal.person_id)
                                     for v in deal.evidence_visits}
        for person in people:
            per_person.setdefault(person, []).append((deal.signed_at, when))
    return {person: _status(times) for person, times in per_person.items()}


def _status(deals: list[tuple[datetime, datetime | None]]) -> DealStatus:
    """(signed at, settled at) of one person's deals: settled when all are, at the latest;
    else open since the earliest deal still in progress."""
    open_ = [signed for signed, settled in deals if settled is None]
    if open_:
        return DealStatus(signed=True, open_since=min(open_))
    return DealStatus(signed=True, settled_at=max(s for _, s in deals if s is not None))


@dataclass(frozen=True)
class DecisionAbout:
    """A signing as its own buyer may see it (PIPL 24: the automated decision explained): the
    channel credited by kind and name, the decision, and its review. No price, commission, ID
    hash or photo score."""

    signing_id: str
    office_id: str
    signed_at: datetime
    id_masked: str
    status: str
    decision: Decision
    reviewed_at: datetime | None
    review_reason: str | None
    channel_kind: str | None
    channel_name: str | None
    role: str = "main"  # this buyer's role on the contract: main (主购人), co1 … (共同购房人)
    household: bool = False  # several buyers: the copy shows only this buyer's own lines

    def own_trace(self) -> list[str]:
        """The rule trace as this buyer may read it. One buyer: all of it. A household: the
        rules, this buyer's own registrations, whose role decided and the decision — never
        another buyer's visit times or registrations."""
        trace = list(self.decision.trace)
        if not self.household:
            return trace
        mine = f", buyer {self.role},"
        others = [v.id for v in self.decision.evidence.visits if v.buyer != self.role]
        kept = [line for line in trace if line.startswith(("rules:", "decided by:", "decision:"))
                or (line.startswith("registration ") and mine in line)]
        for visit in others:  # another buyer's visit is named by nothing of theirs
            kept = [line.replace(f"visit {visit}", "a visit of another buyer") for line in kept]
        return kept


class DealRecords(Protocol):
    """The reads through which deals reach retention and rights (`uow.deals`); read-only except
    `delete_corrections` and `delete_escorts`, which the purge runs."""

    def signing_facts(self) -> list[SigningFact]:
        """Every signing as a deal, with the visit ids its decision cites as evidence."""

    def paid_lines(self) -> dict[str, datetime]:
        """signing id → when the statement listing it was paid."""

    def owners_of_visits(self, visit_ids: Collection[str]) -> dict[str, str]:
        """visit id → person id, for visits that still exist."""

    def delete_corrections(self, person_id: str, before: datetime) -> int:
        """Corrections of this person's visits older than `before` (they go before the visits:
        the purge never breaks a foreign key)."""

    def delete_escorts(self, before: datetime, keep: Collection[str]) -> int:
        """Escorted visits (到访确认, on a claim, of no person) older than `before`, except the
        ids in `keep` (a deal's evidence), with their corrections first; how many visits."""

    def decisions_about(self, person_id: str) -> list[DecisionAbout]: ...
