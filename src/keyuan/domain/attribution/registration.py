"""报备: a channel's claim on a customer, and the per-project rules that judge claims.

A claim is answered at once (`conflict_of`): the same channel's second claim on one customer is
refused; a claim that cannot win — the customer is already known to the office, or protected
for another channel — is refused or recorded with its mark, as the office's `ConflictPolicy`
says. Every recorded claim is judged again at the signing (adjudication), with reasons."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from keyuan.domain.attribution.channels import Channel
from keyuan.domain.errors import InvalidMobile, InvalidRegistration
from keyuan.domain.mobile import mask_for_message, normalize_mobile

_MASKED = re.compile(r"(1[3-9][0-9])\*{4}([0-9]{4})")


class ConflictPolicy(StrEnum):
    """What a claim that cannot win gets at once: refused (409, nothing stored), or recorded
    with its mark (the channel sees it as not valid straight away). A second claim by the same
    channel is refused under both."""

    REFUSE = "refuse"
    MARK = "mark"


# answers at registration (the API's error codes, and a marked claim's `conflict`)
DUPLICATE = "registration_duplicate"
KNOWN = "registration_customer_known"
PROTECTED_ELSEWHERE = "registration_protected_elsewhere"
CONFLICTS = (KNOWN, PROTECTED_ELSEWHERE)


@dataclass(frozen=True)
class AttributionRules:
    """判客规则, configurable per project (office). Defaults from the product brief."""

    registration_valid_hours: int = 72
    protection_days: int = 30
    known_lookback_days: int = 90
    conflict_policy: ConflictPolicy = ConflictPolicy.REFUSE

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "conflict_policy", ConflictPolicy(self.conflict_policy))
        except ValueError:
            raise InvalidRegistration("conflict_policy must be refuse or mark.") from None
        if not 1 <= self.registration_valid_hours <= 24 * 90:
            raise InvalidRegistration("registration_valid_hours must be 1..2160.")
        if not 1 <= self.protection_days <= 365:
            raise InvalidRegistration("protection_days must be 1..365.")
        if not 0 <= self.known_lookback_days <= 3650:
            raise InvalidRegistration("known_lookback_days must be 0..3650.")

    @property
    def registration_valid(self) -> timedelta:
        return timedelta(hours=self.registration_valid_hours)

    @property
    def protection(self) -> timedelta:
        return timedelta(days=self.protection_days)

    @property
    def known_lookback(self) -> timedelta:
        return timedelta(days=self.known_lookback_days)


@dataclass(frozen=True)
class ClaimedMobile:
    """A mobile as a channel typed it: the full number, or masked 前三后四 (138****5678)."""

    prefix: str
    suffix: str
    full: str | None = None

    @property
    def masked(self) -> str:
        return f"{self.prefix}****{self.suffix}"

    def matches(self, mobile: str) -> bool:
        if self.full is not None:
            return self.full == mobile
        return mobile[:3] == self.prefix and mobile[-4:] == self.suffix


def parse_claimed_mobile(raw: str) -> ClaimedMobile:
    text = re.sub(r"[\s\-]", "", raw or "")
    masked = _MASKED.fullmatch(text)
    if masked:
        return ClaimedMobile(prefix=masked.group(1), suffix=masked.group(2))
    try:
        full = normalize_mobile(text)
    except InvalidMobile:
        raise InvalidMobile(f"'{mask_for_message(raw)}' is neither an 11-digit mobile nor "
                            "masked like 138****5678.") from None
    return ClaimedMobile(prefix=full[:3], suffix=full[-4:], full=full)


@dataclass(eq=False)
class Registration:
    """One claim. `mobile` is stored only as the channel gave it (masked stays masked); a full
    number is also kept as a keyed hash for lookup."""

    id: str
    office_id: str
    channel_id: str
    customer_name: str
    mobile_prefix: str
    mobile_suffix: str
    created_at: datetime
    expected_visit_at: datetime | None = None
    agent_id: str | None = None
    mobile_hash: str | None = None
    conflict: str | None = None  # marked at once: KNOWN or PROTECTED_ELSEWHERE (mark policy)
    team_id: str | None = None  # the agent's team when the claim was made (its rules, its line)

    @classmethod
    def claim(
        cls, *, channel: Channel, customer_name: str, mobile: ClaimedMobile,
        mobile_hash: str | None, now: datetime, expected_visit_at: datetime | None = None,
        agent_id: str | None = None, conflict: str | None = None, team_id: str | None = None,
    ) -> Registration:
        name = (customer_name or "").strip()
        if not name or len(name) > 50:
            raise InvalidRegistration("A registration needs the customer's name (≤ 50 chars).")
        if expected_visit_at is not None and expected_visit_at.tzinfo is None:
            raise InvalidRegistration("expected_visit_at needs a time zone.")
        if (mobile.full is None) != (mobile_hash is None):
            raise InvalidRegistration("A full mobile is looked up by its hash; a masked one not.")
        if conflict is not None and conflict not in CONFLICTS:
            raise InvalidRegistration("Unknown registration mark.")
        return cls(id=secrets.token_hex(12), office_id=channel.office_id, channel_id=channel.id,
                   customer_name=name, mobile_prefix=mobile.prefix, mobile_suffix=mobile.suffix,
                   created_at=now, expected_visit_at=expected_visit_at, agent_id=agent_id,
                   mobile_hash=mobile_hash, conflict=conflict, team_id=team_id)

    @property
    def is_masked(self) -> bool:
        return self.mobile_hash is None

    @property
    def masked_mobile(self) -> str:
        return f"{self.mobile_prefix}****{self.mobile_suffix}"

    def may_be(self, *, name: str | None, mobile: str | None, mobile_hash: str | None) -> bool:
        """Could this claim be about that person? Full numbers by hash; masked by 前三后四 and,
        when both sides have one, the same name."""
        if self.mobile_hash is not None:
            return mobile_hash is not None and self.mobile_hash == mobile_hash
        if mobile is None or not ClaimedMobile(self.mobile_prefix, self.mobile_suffix).matches(
                mobile):
            return False
        return not name or name.strip() == self.customer_name

    def same_customer(self, other: Registration) -> bool:
        """Whether two claims name one customer: full numbers by hash; otherwise the same
        前三后四 and the same name (a masked number alone could be anyone)."""
        if self.mobile_hash is not None and other.mobile_hash is not None:
            return self.mobile_hash == other.mobile_hash
        return (self.mobile_prefix, self.mobile_suffix) == (
            other.mobile_prefix, other.mobile_suffix) and self.customer_name == other.customer_name


@dataclass(frozen=True)
class Conflict:
    """Why a claim cannot win, found at registration. `existing` is the channel's own earlier
    claim (a duplicate) and only then: nothing about another channel's claim leaves here."""

    code: str
    existing: Registration | None = None


WINNING = ("awaiting_visit", "valid")
"""Claim statuses that can still win: awaiting the visit, or visited and protected."""
LAPSED = ("expired_before_visit", "protection_expired", "lost")
"""Claim statuses that are over: the channel may register the customer again."""


def conflict_of(
    claim: Registration, *, standing: list[tuple[Registration, str]], known: bool,
) -> Conflict | None:
    """The answer at registration. `standing`: the office's earlier claims on this customer with
    their status now (as the channel would see it); `known`: the customer visited this office
    within the rules' lookback before now (what adjudication calls `customer_known`).

    A duplicate first — the same channel's claim that is not over —, then a claim of another
    channel that can still win (protected elsewhere), then a known customer."""
    mine = [r for r, status in standing
            if r.channel_id == claim.channel_id and status not in LAPSED]
    if mine:
        return Conflict(DUPLICATE, min(mine, key=lambda r: (r.created_at, r.id)))
    if any(r.channel_id != claim.channel_id and status in WINNING for r, status in standing):
        return Conflict(PROTECTED_ELSEWHERE)
    if known:
        return Conflict(KNOWN)
    return None
