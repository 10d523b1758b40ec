"""Deals as retention sees them: `SigningDeals`, the `DealSource` of domain/compliance/retention.py,
read from the signings and statements (`uow.deals`) by the rules of domain/compliance/deals.py."""

from __future__ import annotations

from collections.abc import Mapping

from keyuan.domain.compliance.deals import deal_statuses
from keyuan.domain.compliance.retention import NO_DEAL, DealStatus
from keyuan.services.ports import UnitOfWork


class SigningDeals:
    """A snapshot of every deal, read once inside the caller's unit of work (`load`).
    Satisfies `DealSource`: unknown people get `NO_DEAL`, nothing raises."""

    def __init__(self, statuses: Mapping[str, DealStatus]) -> None:
        self._statuses = dict(statuses)

    @classmethod
    def load(cls, uow: UnitOfWork) -> SigningDeals:
        facts = uow.deals.signing_facts()
        cited = {v for f in facts for v in f.evidence_visits}
        return cls(deal_statuses(facts, uow.deals.paid_lines(),
                                 uow.deals.owners_of_visits(cited)))

    def status(self, person_id: str) -> DealStatus:
        return self._statuses.get(person_id, NO_DEAL)
