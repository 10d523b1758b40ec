"""What a value may be before it reaches a rule or a store (domain/bounds.py), pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from keyuan.domain import bounds
from keyuan.domain.display import parse_days
from keyuan.domain.errors import InvalidDashboardRange

MINUS_14 = timezone(timedelta(hours=-14))
PLUS_14 = timezone(timedelta(hours=14))


@pytest.mark.parametrize("at", [
    datetime(2026, 12, 5, 10, 0),  # naive
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=MINUS_14),  # leaves year 9999 in UTC
    datetime(1, 1, 1, 0, 0, tzinfo=PLUS_14),  # leaves year 1 in UTC
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2100, 1, 1, tzinfo=UTC),
    datetime(2099, 12, 31, 23, 0, tzinfo=MINUS_14),  # 2100-01-01 13:00 UTC
])
def test_instants_outside_2000_to_2099_utc_or_without_offset_are_refused(at: datetime) -> None:
    assert bounds.instant_problem(at) is not None


@pytest.mark.parametrize("at", [
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(2026, 12, 5, 18, 0, tzinfo=timezone(timedelta(hours=8))),
    datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC),
])
def test_instants_within_the_range_are_accepted(at: datetime) -> None:
    assert bounds.instant_problem(at) is None


@pytest.mark.parametrize("text", ["a\x00b", "\x1b[31m", "x\x7f", "\x85", "\ud800", "\x0b"])
def test_control_characters_are_found(text: str) -> None:
    assert bounds.has_control_characters(text)


@pytest.mark.parametrize("text", ["王小明", "line one\nline two\r\n\tindented", "138****5678", ""])
def test_ordinary_text_has_no_control_characters(text: str) -> None:
    assert not bounds.has_control_characters(text)


def test_row_ids_are_what_a_64_bit_column_holds() -> None:
    assert bounds.is_row_id(1) and bounds.is_row_id(2**31 - 1)
    assert not bounds.is_row_id(0) and not bounds.is_row_id(2**31)
    assert not bounds.is_row_id(999999999999999999999999)


@pytest.mark.parametrize("raw", ["²", "٣", "0", "367", "1" * 5000, "-1", "7.0", " 7"])
def test_dashboard_days_other_than_ascii_1_to_366_are_refused(raw: str) -> None:
    with pytest.raises(InvalidDashboardRange):
        parse_days(raw)


def test_dashboard_days_default_and_bounds() -> None:
    assert (parse_days(None), parse_days("1"), parse_days("366"), parse_days("007")) == (
        30, 1, 366, 7)
