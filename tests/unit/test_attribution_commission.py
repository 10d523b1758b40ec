"""佣金: agreements in integer fen, tiers, referral rewards, statement states and disputes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyuan.domain.attribution.commission import (
    Agreement,
    AgreementKind,
    Deal,
    Dispute,
    DisputeStatus,
    Statement,
    StatementStatus,
    statement_lines,
)
from keyuan.domain.errors import InvalidAgreement, StatementStateError

T0 = datetime(2025, 6, 1, tzinfo=UTC)
D = timedelta(days=1)


def percent(bp: int, **kw: object) -> Agreement:
    return Agreement.new(channel_id="c", kind=AgreementKind.PERCENT, value=bp,
                         effective_from=T0, now=T0, **kw)  # type: ignore[arg-type]


def deals(*prices: int) -> list[Deal]:
    return [Deal(f"s{i}", T0 + (i + 1) * D, p) for i, p in enumerate(prices)]


def test_a_percentage_rounds_half_up_to_the_fen() -> None:
    assert percent(150).amount(1_000_033, 1)[0] == 15_000  # 15000.495 -> 15000
    assert percent(150).amount(1_000_034, 1)[0] == 15_001  # 15000.51 -> 15001


def test_a_fixed_amount_per_deal_with_a_referral_reward() -> None:
    fixed = Agreement.new(channel_id="c", kind=AgreementKind.FIXED, value=500_000,
                          effective_from=T0, now=T0, referral_reward_fen=100_000)
    amount, rule = fixed.amount(9_999_999_999, 1)
    assert amount == 600_000 and "referral reward" in rule


def test_volume_tiers_apply_to_every_deal_of_the_period() -> None:
    tiered = percent(100, tiers=[(3, 150), (5, 200)])
    assert [line.amount_fen for line in statement_lines(deals(100_000, 100_000), [tiered])] == [
        1_000, 1_000]
    lines = statement_lines(deals(*[100_000] * 3), [tiered])
    assert {line.amount_fen for line in lines} == {1_500}
    assert "tier ≥3" in lines[0].rule


def test_the_agreement_in_force_on_the_signing_date_is_used() -> None:
    old = percent(100, effective_to=T0 + 2 * D)
    new = Agreement.new(channel_id="c", kind=AgreementKind.PERCENT, value=200,
                        effective_from=T0 + 2 * D, now=T0)
    lines = statement_lines(deals(100_000, 100_000), [new, old])
    assert [line.amount_fen for line in lines] == [1_000, 2_000]


def test_a_deal_without_an_agreement_shows_as_a_zero_line() -> None:
    [line] = statement_lines(deals(100_000), [])
    assert line.amount_fen == 0 and "no agreement" in line.rule


@pytest.mark.parametrize("kw", [
    {"value": 10_001}, {"value": -1}, {"value": 100, "tiers": [(0, 5)]},
    {"value": 100, "effective_to": T0}, {"value": 100, "referral_reward_fen": -1},
])
def test_invalid_agreements_are_refused(kw: dict[str, object]) -> None:
    with pytest.raises(InvalidAgreement):
        Agreement.new(channel_id="c", kind=AgreementKind.PERCENT, effective_from=T0, now=T0,
                      **kw)  # type: ignore[arg-type]


@given(st.lists(st.integers(1, 10**11), max_size=30), st.integers(0, 10_000),
       st.lists(st.tuples(st.integers(1, 40), st.integers(0, 10_000)), max_size=3,
                unique_by=lambda t: t[0]),
       st.lists(st.integers(-10**8, 10**8), max_size=3))
def test_statement_totals_equal_the_sum_of_lines(
    prices: list[int], bp: int, tiers: list[tuple[int, int]], adjustments: list[int],
) -> None:
    statement = Statement.draft(channel_id="c", period_start=T0, period_end=T0 + 60 * D,
                                lines=statement_lines(deals(*prices), [percent(bp, tiers=tiers)]),
                                now=T0)
    for i, amount in enumerate(adjustments):
        statement.adjust(amount_fen=amount, reason="correction", dispute_id=f"d{i}")
    assert statement.total_fen == sum(line.amount_fen for line in statement.lines)
    assert all(isinstance(line.amount_fen, int) for line in statement.lines)


def test_draft_approved_paid_and_no_way_back() -> None:
    statement = Statement.draft(channel_id="c", period_start=T0, period_end=T0 + D, lines=[],
                                now=T0)
    with pytest.raises(StatementStateError):
        statement.mark_paid(at=T0, open_disputes=0)
    statement.approve(by="finance", at=T0, open_disputes=0)
    with pytest.raises(StatementStateError):
        statement.replace_lines([])
    statement.mark_paid(at=T0, open_disputes=0)
    assert statement.status is StatementStatus.PAID
    with pytest.raises(StatementStateError):
        Dispute.open(statement=statement, reason="late", now=T0)


def test_an_open_dispute_blocks_approval_and_an_upheld_one_reopens_the_statement() -> None:
    statement = Statement.draft(channel_id="c", period_start=T0, period_end=T0 + D,
                                lines=statement_lines(deals(100_000), [percent(100)]), now=T0)
    with pytest.raises(StatementStateError):
        statement.approve(by="finance", at=T0, open_disputes=1)
    statement.approve(by="finance", at=T0, open_disputes=0)
    dispute = Dispute.open(statement=statement, reason="deal s9 missing", now=T0)

    dispute.decide(upheld=True, by="manager", at=T0, reason="s9 was ours")
    statement.adjust(amount_fen=2_000, reason="s9 was ours", dispute_id=dispute.id)

    assert dispute.status is DisputeStatus.UPHELD
    assert statement.status is StatementStatus.DRAFT and statement.total_fen == 3_000
    with pytest.raises(StatementStateError):
        dispute.decide(upheld=False, by="manager", at=T0, reason="again")


def test_a_draft_or_approved_statement_can_be_voided_with_a_reason_and_a_paid_one_cannot() -> None:
    draft = Statement.draft(channel_id="c", period_start=T0, period_end=T0 + 30 * D,
                            lines=statement_lines(deals(100), [percent(100)]), now=T0)
    with pytest.raises(StatementStateError):
        draft.void(by="finance:wang", at=T0, reason=" ")
    draft.void(by="finance:wang", at=T0, reason="wrong period")
    assert (draft.status, draft.void_reason) == (StatementStatus.VOID, "wrong period")
    with pytest.raises(StatementStateError):
        draft.approve(by="m", at=T0, open_disputes=0)
    with pytest.raises(StatementStateError):
        Dispute.open(statement=draft, reason="x", now=T0)

    paid = Statement.draft(channel_id="c", period_start=T0, period_end=T0 + D, lines=[], now=T0)
    paid.approve(by="m", at=T0, open_disputes=0)
    paid.mark_paid(at=T0, open_disputes=0)
    with pytest.raises(StatementStateError):
        paid.void(by="m", at=T0, reason="late")

