"""置业顾问 in `keyuan demo month`: three sales accounts take turns (轮排) receiving every visit
reception records, one is away for a day, and at the end the month says how many visits each
received and that every signing's decision names the consultant of the first visit (the 自访
commission some offices pay their own staff)."""

from __future__ import annotations

import secrets
from collections import Counter
from contextlib import suppress
from datetime import datetime
from typing import TextIO

from keyuan.domain.accounts.model import Role
from keyuan.domain.errors import ConsultantAlreadyAssigned
from keyuan.services.accounts.service import AddUserCmd, add_user
from keyuan.services.attribution.signing_desk import card
from keyuan.services.checkin import consultants
from keyuan.services.ports import Deps

STAFF = ("gu-chen", "gu-lin", "gu-zhao")
RECEPTION = "reception:reception-1"
AWAY_DAY = 6  # gu-lin is away that day: the queue skips them


def hire(deps: Deps) -> dict[str, str]:
    """The office's consultants: username → user id (random passwords: nobody logs in)."""
    return {name: add_user(AddUserCmd(name, Role.sales, secrets.token_urlsafe(18)), deps).id
            for name in STAFF}


def receive(deps: Deps, office_id: str, visit_id: str) -> None:
    """Reception presses "next in queue" for the visit (a repeat of a visit keeps its own)."""
    with suppress(ConsultantAlreadyAssigned):
        consultants.assign(consultants.AssignCmd(office_id, visit_id, None, RECEPTION), deps)


def same_as(deps: Deps, office_id: str, earlier: str, visit_id: str) -> None:
    """The face check-in right after the mobile one in the same session is its own visit:
    reception gives it the consultant already with the visitor (chosen, not a new turn)."""
    with deps.uow() as uow:
        had = uow.consultants.of_visits([earlier]).get(earlier)
    if had is not None and visit_id != earlier:
        with suppress(ConsultantAlreadyAssigned):
            consultants.assign(consultants.AssignCmd(office_id, visit_id, had.consultant_id,
                                                     RECEPTION), deps)


def away(deps: Deps, office_id: str, consultant_id: str, on: bool) -> None:
    consultants.set_away(consultants.AwayCmd(office_id, consultant_id, on, RECEPTION), deps)


def report(deps: Deps, office_id: str, signings: dict[str, str], out: TextIO,
           started: datetime) -> list[str]:
    """Visits per consultant, and the signings whose decision names the first visit's
    consultant; a signing with a first visit but no consultant named is a difference."""
    problems = []
    with deps.uow() as uow:
        visits = uow.visits.at_office_between(office_id, started, deps.clock.now())
        received = Counter(a.consultant for a in uow.consultants.of_visits(
            [v.id for v in visits]).values())
    out.write("\nConsultants (置业顾问, 轮排)\n")
    for name in STAFF:
        out.write(f"  {name}: received {received[name]} visits\n")
    named = 0
    for signing_id in signings.values():
        first = card(signing_id, deps).signing.decision.evidence.first_visit
        if first is not None and first.consultant:
            named += 1
        elif first is not None:
            problems.append(f"signing {signing_id}: no consultant named for its first visit")
    out.write(f"  {named} of {len(signings)} signings name the consultant who received the "
              "first visit (自访 commission)\n")
    return problems
