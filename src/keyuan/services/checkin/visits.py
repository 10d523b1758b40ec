"""到访: one visit per person and office within a short window, however many check-ins arrive."""

from __future__ import annotations

from datetime import timedelta

from keyuan.domain.checkin.visit import Visit
from keyuan.services.ports import Deps, UnitOfWork


def record_visit(uow: UnitOfWork, deps: Deps, visit: Visit) -> Visit:
    """Record `visit`, or answer with the person's visit to that office from the last
    `deps.visit_repeat_seconds` (a double tap, a retried request, ten returns in a second are
    one visit). The person's row is locked first, so parallel check-ins of one person queue
    here and the second sees the first's visit."""
    if visit.person_id is None:  # an escort has no person: `confirm_visit` locks its claim
        return uow.visits.add(visit)
    uow.persons.lock(visit.person_id)
    since = visit.at - timedelta(seconds=deps.visit_repeat_seconds)
    recent = uow.visits.latest_since(visit.person_id, visit.office_id, since)
    if recent is not None and deps.visit_repeat_seconds > 0:
        return recent
    return uow.visits.add(visit)


def visit_number(uow: UnitOfWork, person_id: str, office_id: str) -> int:
    """How many visits of the person to the office are on record (the one just recorded
    included): 1 on a first visit. Shown only to the visitor who just proved who they are
    (their SMS code, their face), as the kiosk's "welcome back"."""
    uow.flush()
    return sum(1 for visit in uow.visits.for_person(person_id) if visit.office_id == office_id)
