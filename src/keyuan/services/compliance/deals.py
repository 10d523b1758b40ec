"""Deals (签约 → 佣金结算) as retention sees them: the `DealSource` of compliance/retention.py
over the attribution store.

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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keyuan.domain.attribution.adjudication import SigningStatus
from keyuan.domain.compliance.retention import NO_DEAL, DealStatus
from keyuan.services.ports import UnitOfWork


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
    """person id → DealStatus. Pure: the rules above over facts read by `load`."""
    per_person: dict[str, list[datetime | None]] = {}
    for deal in deals:
        when = settled_at(deal, paid)
        people = {deal.person_id} | {(visit_owners or {}).get(v, deal.person_id)
                                     for v in deal.evidence_visits}
        for person in people:
            per_person.setdefault(person, []).append(when)
    return {person: DealStatus(signed=True, settled_at=None if None in times else max(
        t for t in times if t is not None)) for person, times in per_person.items()}


class SigningDeals:
    """A snapshot of every deal, read once inside the caller's unit of work (`load`).
    Satisfies `DealSource`: unknown people get `NO_DEAL`, nothing raises."""

    def __init__(self, statuses: Mapping[str, DealStatus]) -> None:
        self._statuses = dict(statuses)

    @classmethod
    def load(cls, uow: UnitOfWork) -> SigningDeals:
        facts = [_fact(row) for row in uow.deals.signing_rows()]
        cited = {v for f in facts for v in f.evidence_visits}
        return cls(deal_statuses(facts, uow.deals.paid_lines(),
                                 uow.deals.owners_of_visits(cited)))

    def status(self, person_id: str) -> DealStatus:
        return self._statuses.get(person_id, NO_DEAL)


def _fact(row: Any) -> SigningFact:
    evidence = (row.decision or {}).get("evidence") or {}
    visits = tuple(str(v["id"]) for v in evidence.get("visits") or [] if v.get("id"))
    return SigningFact(signing_id=row.id, person_id=row.person_id,
                       final=SigningStatus(row.status) is SigningStatus.FINAL,
                       channel_id=row.channel_id, signed_at=row.signed_at,
                       reviewed_at=row.reviewed_at, evidence_visits=visits)
