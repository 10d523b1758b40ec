"""C24 as it happens: the first time a legal entity's count of distinct people with a stored
template reaches the filing threshold is recorded (and audited) inside the transaction that
made it so — an enrollment — not whenever someone next opens the dashboard. The 30 working
days of the filing deadline run from that moment."""

from __future__ import annotations

from datetime import datetime

from keyuan.domain.compliance import filing
from keyuan.services.ports import UnitOfWork


def note_filing_threshold(uow: UnitOfWork, legal_entity: str, now: datetime,
                          people: int | None = None) -> bool:
    """Record that `legal_entity` reached the filing threshold, once; True if this call did.
    `people`: the live count when the caller has it (else counted here, across its offices)."""
    if legal_entity in uow.compliance.filing_reached():
        return False
    count = people if people is not None else (
        uow.compliance.by_legal_entity().get(legal_entity, 0))
    if count < filing.FILING_AT:
        return False
    if not uow.compliance.mark_filing_reached(legal_entity, now, count):
        return False  # another transaction recorded it first
    uow.audit.append(at=now, actor="system", action="filing_due", subject=None,
                     detail={"legal_entity": legal_entity, "people": count})
    return True
