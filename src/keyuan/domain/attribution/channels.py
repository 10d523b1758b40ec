"""渠道: who can claim a buyer — distributor companies (分销) with their agents, referrers
(老带新, owners holding a signed contract), and natural (自然到访, nobody's claim)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from keyuan.domain.errors import InvalidRegistration


class ChannelKind(StrEnum):
    DISTRIBUTOR = "distributor"
    REFERRER = "referrer"
    NATURAL = "natural"


@dataclass(eq=False)
class Channel:
    """A distributor company, or one referring owner. Natural is not stored: it is the absence
    of a winning claim."""

    id: str
    office_id: str
    kind: ChannelKind
    name: str
    created_at: datetime
    contract_ref: str | None = None  # referrers: the owner's signed contract (老带新 needs one)
    active: bool = True  # a deactivated channel takes no new 报备; its history stays
    # the company's own 报备 rules, inherited by its teams (`teams.RuleOverride`; None: the
    # office's)
    registration_valid_hours: int | None = None
    protection_days: int | None = None

    @classmethod
    def new(
        cls, *, office_id: str, kind: ChannelKind, name: str, now: datetime,
        contract_ref: str | None = None,
    ) -> Channel:
        name = (name or "").strip()
        if not name:
            raise InvalidRegistration("A channel needs a name.")
        if kind is ChannelKind.NATURAL:
            raise InvalidRegistration("Natural is not a channel anyone registers.")
        if kind is ChannelKind.REFERRER and not (contract_ref or "").strip():
            raise InvalidRegistration("A referrer is an owner: give their signed contract number.")
        return cls(id=secrets.token_hex(8), office_id=office_id, kind=kind, name=name,
                   created_at=now, contract_ref=(contract_ref or "").strip() or None)


@dataclass(eq=False)
class Agent:
    """经纪人 of a distributor company: registrations carry the agent who made them."""

    id: str
    channel_id: str
    name: str
    created_at: datetime
    active: bool = True  # a deactivated agent takes no new 报备
    team_id: str | None = None  # 门店/团队 (`teams.Team`); None: directly in the company

    @classmethod
    def new(cls, *, channel: Channel, name: str, now: datetime) -> Agent:
        if channel.kind is not ChannelKind.DISTRIBUTOR:
            raise InvalidRegistration("Only distributor companies have agents.")
        name = (name or "").strip()
        if not name:
            raise InvalidRegistration("An agent needs a name.")
        return cls(id=secrets.token_hex(8), channel_id=channel.id, name=name, created_at=now)
