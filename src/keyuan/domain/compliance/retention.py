"""存储期限 (C18; PIPL 19, 47; 办法 8): data lives only as long as its purpose. Pure rules — the
purge service applies them with an injected clock.

Purposes and their ends:
- face template (判客 evidence): the deal settled plus the dispute period, or, with no deal,
  N days after the person's last visit; a deal that never settles (stuck in review, never paid)
  holds it at most a capped number of days after signing;
- visit records and mobile numbers/hashes of people who never bought: their own period after the
  last visit;
- one-time codes and outbox messages (they carry mobile hashes and numbers): a few days;
- kiosk pairing codes never redeemed: as soon as they expire (a used one names its tablet);
- processing records (audit log, impact assessments): never purged here, and never before three
  years in any case (PIPL 56).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from keyuan.domain.compliance.pia import PROCESSING_RECORD_MIN_DAYS


@dataclass(frozen=True)
class RetentionPolicy:
    no_deal_template_days: int = 180
    deal_dispute_days: int = 90
    non_buyer_visit_days: int = 365
    non_buyer_mobile_days: int = 365
    transient_days: int = 7
    processing_record_days: int = PROCESSING_RECORD_MIN_DAYS
    open_deal_cap_days: int = 365

    def __post_init__(self) -> None:
        if self.processing_record_days < PROCESSING_RECORD_MIN_DAYS:
            raise ValueError("processing records are kept at least three years (PIPL 56)")
        for name in ("no_deal_template_days", "deal_dispute_days", "non_buyer_visit_days",
                     "non_buyer_mobile_days", "transient_days", "open_deal_cap_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least one day")


@dataclass(frozen=True)
class DealStatus:
    """What the deals (签约 → 佣金结算) say about a person. `signed` without `settled_at` is a
    deal in progress: the template's purpose has not ended."""

    signed: bool = False
    settled_at: datetime | None = None
    open_since: datetime | None = None
    """The earliest signing of a deal still in progress (in review, or never settled)."""

    @property
    def is_buyer(self) -> bool:
        return self.signed


NO_DEAL = DealStatus()


class DealSource(Protocol):
    """Whether a person has a deal and when it was settled: how retention learns that a
    template's purpose has ended (`services/compliance/deals.SigningDeals` reads it from the
    signings). MUST answer for any pseudonym, `NO_DEAL` when the person never signed. MUST NOT
    raise for unknown people."""

    def status(self, person_id: str) -> DealStatus: ...


def template_purpose_ends(
    *, last_visit: datetime, deal: DealStatus, policy: RetentionPolicy,
) -> datetime | None:
    """When a face template's purpose ends: settlement + the dispute period, else the last
    visit + the no-deal period. A deal in progress holds it, but never longer than the cap after
    its signing: a deal stuck in review or never settled does not keep a face forever."""
    if deal.signed and deal.settled_at is None:
        if deal.open_since is None:
            return None
        return deal.open_since + timedelta(days=policy.open_deal_cap_days)
    if deal.settled_at is not None:
        return deal.settled_at + timedelta(days=policy.deal_dispute_days)
    return last_visit + timedelta(days=policy.no_deal_template_days)


def purpose_ended(
    *, last_visit: datetime, deal: DealStatus, now: datetime, policy: RetentionPolicy,
) -> str | None:
    """Why a face template's purpose has ended now, or None while it still serves it."""
    ends = template_purpose_ends(last_visit=last_visit, deal=deal, policy=policy)
    if ends is None or now < ends:
        return None
    if deal.signed and deal.settled_at is None and deal.open_since is not None:
        return (f"deal open since {deal.open_since:%Y-%m-%d} (in review or never settled) + "
                f"{policy.open_deal_cap_days} days cap")
    if deal.settled_at is not None:
        return f"deal settled {deal.settled_at:%Y-%m-%d} + {policy.deal_dispute_days} days"
    return f"no deal, last visit {last_visit:%Y-%m-%d} + {policy.no_deal_template_days} days"


def non_buyer_expired(last_visit: datetime, now: datetime, days: int, deal: DealStatus) -> bool:
    return not deal.is_buyer and now >= last_visit + timedelta(days=days)
