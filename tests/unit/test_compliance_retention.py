"""Retention rules (C18), pure: when a template's purpose ends, and the three-year floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyuan.domain.compliance.deals import SigningFact, deal_statuses
from keyuan.domain.compliance.retention import (
    NO_DEAL,
    DealStatus,
    RetentionPolicy,
    non_buyer_expired,
    purpose_ended,
    template_purpose_ends,
)

VISIT = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
POLICY = RetentionPolicy()


def ended(days_later: float, deal: DealStatus = NO_DEAL) -> str | None:
    return purpose_ended(last_visit=VISIT, deal=deal, now=VISIT + timedelta(days=days_later),
                         policy=POLICY)


def test_c18_without_a_deal_a_template_ends_180_days_after_the_last_visit() -> None:
    assert ended(179.99) is None
    assert ended(180) == "no deal, last visit 2025-06-02 + 180 days"


def test_c18_a_deal_in_progress_keeps_the_template() -> None:
    assert ended(1000, DealStatus(signed=True)) is None


def test_c18_a_settled_deal_ends_the_purpose_after_the_dispute_period() -> None:
    settled = DealStatus(signed=True, settled_at=VISIT + timedelta(days=30))

    assert ended(119.9, settled) is None
    assert ended(120, settled) == "deal settled 2025-07-02 + 90 days"


def test_c18_the_end_date_is_the_moment_purpose_ended_starts_answering() -> None:
    """One rule: the purge, the inspector and the dashboard's schedule all read this date."""
    settled = DealStatus(signed=True, settled_at=VISIT + timedelta(days=30))
    for deal, days in ((NO_DEAL, 180), (settled, 120)):
        ends = template_purpose_ends(last_visit=VISIT, deal=deal, policy=POLICY)
        assert ends == VISIT + timedelta(days=days)
        assert ended(days - 0.01, deal) is None and ended(days, deal) is not None
    assert template_purpose_ends(last_visit=VISIT, deal=DealStatus(signed=True),
                                 policy=POLICY) is None


def test_c18_buyers_are_never_non_buyers() -> None:
    late = VISIT + timedelta(days=400)
    assert non_buyer_expired(VISIT, late, 365, NO_DEAL)
    assert not non_buyer_expired(VISIT, late, 365, DealStatus(signed=True))
    assert not non_buyer_expired(VISIT, VISIT + timedelta(days=364), 365, NO_DEAL)


def test_c23_a_policy_may_not_keep_processing_records_under_three_years() -> None:
    with pytest.raises(ValueError, match="three years"):
        RetentionPolicy(processing_record_days=365)


@pytest.mark.parametrize("field", ["no_deal_template_days", "deal_dispute_days",
                                   "non_buyer_visit_days", "non_buyer_mobile_days"])
def test_c18_periods_are_at_least_a_day(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RetentionPolicy(**{field: 0})  # type: ignore[arg-type]


def test_c18_a_deal_that_never_settles_holds_the_template_only_up_to_the_cap() -> None:
    signed = VISIT + timedelta(days=10)
    stuck = DealStatus(signed=True, open_since=signed)
    assert template_purpose_ends(last_visit=VISIT, deal=stuck, policy=POLICY) == \
        signed + timedelta(days=POLICY.open_deal_cap_days)
    at_cap = signed + timedelta(days=POLICY.open_deal_cap_days)
    assert purpose_ended(last_visit=VISIT, deal=stuck, now=at_cap - timedelta(seconds=1),
                         policy=POLICY) is None
    why = purpose_ended(last_visit=VISIT, deal=stuck, now=at_cap, policy=POLICY)
    assert why is not None and "in review or never settled" in why


def test_c18_one_open_deal_among_settled_ones_keeps_the_person_open_since_it() -> None:
    def fact(sid: str, signed: datetime, final: bool) -> SigningFact:
        return SigningFact(signing_id=sid, person_id="p", final=final, channel_id=None,
                           signed_at=signed)

    paid = {"s1": VISIT + timedelta(days=40)}
    statuses = deal_statuses([fact("s1", VISIT, True), fact("s2", VISIT + timedelta(days=5),
                                                             False)], paid)
    assert statuses["p"] == DealStatus(signed=True, open_since=VISIT + timedelta(days=5))
