"""Search and filters of the distributor portal's lists (渠道报备): registrations by the
customer's name, the mobile's last four digits, status and registration date; statements by
status and settlement month. Parsed from query parameters and applied on the server; a value
that cannot be read is refused in words (`InvalidListFilter`, 422), never silently widened."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from keyuan.domain.attribution.commission import Statement, StatementStatus
from keyuan.domain.attribution.registration import Registration
from keyuan.domain.display import DISPLAY_ZONE
from keyuan.domain.errors import InvalidListFilter
from keyuan.services.attribution.registration import (
    ClaimStatus,
    claim_statuses,
    statements_of_channel,
)
from keyuan.services.ports import Deps

MAX_NAME = 50
_LAST4 = re.compile(r"[0-9]{4}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
E = TypeVar("E", bound=StrEnum)


class ClaimState(StrEnum):
    """A claim's status as the portal shows it (channel.js `status()` says the same)."""

    AWAITING = "awaiting"
    PROTECTED = "protected"
    SIGNED = "signed"
    LOST = "lost"
    INVALID = "invalid"


def state_of(claim: ClaimStatus) -> ClaimState:
    if claim.outcome == "won":
        return ClaimState.SIGNED
    if claim.status == "lost":
        return ClaimState.LOST
    if claim.status == "awaiting_visit":
        return ClaimState.AWAITING
    if claim.status == "valid":
        return ClaimState.PROTECTED
    return ClaimState.INVALID


def _blank(raw: str | None) -> str:
    return (raw or "").strip()


def _choice(kind: type[E], raw: str | None, what: str) -> E | None:
    text = _blank(raw)
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(e.value for e in kind)
        raise InvalidListFilter(f"{what} must be one of: {allowed}.") from None


def _day(raw: str | None, what: str) -> date | None:
    text = _blank(raw)
    if not text:
        return None
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidListFilter(f"{what} must be a date like 2026-11-30.") from None


@dataclass(frozen=True)
class ClaimFilter:
    """Which registrations to list: every given condition must hold (all absent: every one)."""

    name: str = ""
    last4: str = ""
    state: ClaimState | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, *, name: str | None = None, last4: str | None = None,
              status: str | None = None, since: str | None = None,
              until: str | None = None) -> ClaimFilter:
        wanted, digits = _blank(name), _blank(last4)
        if len(wanted) > MAX_NAME:
            raise InvalidListFilter(f"The name searched for is at most {MAX_NAME} characters.")
        if digits and not _LAST4.fullmatch(digits):
            raise InvalidListFilter("The mobile's last digits are exactly 4 digits.")
        first, last = _day(since, "since"), _day(until, "until")
        if first and last and first > last:
            raise InvalidListFilter("The start date is after the end date.")
        return cls(wanted.casefold(), digits, _choice(ClaimState, status, "status"), first, last)

    def keeps(self, claim: Registration) -> bool:
        """The conditions on the registration itself (the status needs it judged first)."""
        day = claim.created_at.astimezone(DISPLAY_ZONE).date()
        return ((not self.name or self.name in claim.customer_name.casefold())
                and (not self.last4 or claim.mobile_suffix.endswith(self.last4))
                and (self.since is None or day >= self.since)
                and (self.until is None or day <= self.until))


def search_claims(channel_id: str, wanted: ClaimFilter, deps: Deps) -> list[ClaimStatus]:
    """The channel's claims that match, newest first; only those kept are judged."""
    found = claim_statuses(channel_id, deps, only=wanted.keeps)
    if wanted.state is not None:
        found = [c for c in found if state_of(c) is wanted.state]
    return sorted(found, key=lambda c: c.registration.created_at, reverse=True)


@dataclass(frozen=True)
class StatementFilter:
    """Which statements to list: of a status, and/or settling a month (its period starts in
    that month, Beijing time)."""

    status: StatementStatus | None = None
    month: date | None = None  # its first day

    @classmethod
    def parse(cls, *, status: str | None = None, period: str | None = None) -> StatementFilter:
        text = _blank(period)
        month = None
        if text:
            try:
                if not _MONTH.fullmatch(text):
                    raise ValueError(text)
                month = date.fromisoformat(text + "-01")
            except ValueError:
                raise InvalidListFilter("The period is a month like 2026-11.") from None
        return cls(_choice(StatementStatus, status, "status"), month)

    def keeps(self, statement: Statement) -> bool:
        if self.status is not None and statement.status is not self.status:
            return False
        if self.month is None:
            return True
        begins = statement.period_start.astimezone(DISPLAY_ZONE).date()
        return (begins.year, begins.month) == (self.month.year, self.month.month)


def search_statements(channel_id: str, wanted: StatementFilter, deps: Deps) -> list[Statement]:
    """The channel's statements that match, oldest period first (as `statements_of_channel`)."""
    return [s for s in statements_of_channel(channel_id, deps) if wanted.keeps(s)]
