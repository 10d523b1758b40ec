"""备案 counter (办法 15; C24): distinct people with stored face templates per legal entity,
across all its offices. Warning at 80,000; at 100,000 a filing is due within 30 working days.

Working days are counted simply as Monday to Friday: public holidays and the adjusted weekend
working days (调休) of the State Council calendar are NOT modelled, so the deadline shown can be
a few days later than the official one in holiday periods — file early."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

WARNING_AT = 80_000
FILING_AT = 100_000
FILING_WORKING_DAYS = 30


class FilingState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FILING_DUE = "filing_due"


class TemplateCounts(Protocol):
    """Where the counts come from. MUST count distinct pseudonyms with a stored template per
    legal entity (all its offices together)."""

    def by_legal_entity(self) -> dict[str, int]: ...


def add_working_days(start: date, days: int) -> date:
    """`days` Monday-to-Friday days after `start` (holidays not modelled, see module doc)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


@dataclass(frozen=True)
class FilingStatus:
    legal_entity: str
    people: int
    state: FilingState
    due_since: datetime | None = None
    deadline: date | None = None


def assess(legal_entity: str, people: int, due_since: datetime | None) -> FilingStatus:
    """`due_since`: when the count was first seen at or above FILING_AT (kept by the caller:
    the deadline runs from then, even if the count later drops)."""
    if due_since is not None or people >= FILING_AT:
        if due_since is None:
            raise ValueError("a filing-due count needs the moment it was first reached")
        return FilingStatus(legal_entity, people, FilingState.FILING_DUE, due_since,
                            add_working_days(due_since.date(), FILING_WORKING_DAYS))
    state = FilingState.WARNING if people >= WARNING_AT else FilingState.OK
    return FilingStatus(legal_entity, people, state)
