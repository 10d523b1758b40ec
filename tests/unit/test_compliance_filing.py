"""The filing counter's thresholds and deadline (C24), pure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from keyuan.domain.compliance.filing import FilingState, add_working_days, assess

FRIDAY = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)  # 2026-01-02 is a Friday


@pytest.mark.parametrize("people,state", [
    (0, FilingState.OK), (79_999, FilingState.OK), (80_000, FilingState.WARNING),
    (99_999, FilingState.WARNING),
])
def test_c24_below_the_filing_line_the_state_follows_the_count(people: int,
                                                                state: FilingState) -> None:
    status = assess("示范置业", people, None)
    assert (status.state, status.deadline) == (state, None)


def test_c24_at_100000_a_filing_is_due_in_30_working_days() -> None:
    status = assess("示范置业", 100_000, FRIDAY)

    assert status.state is FilingState.FILING_DUE
    assert status.deadline == date(2026, 2, 13)  # six Mon-Fri weeks after Friday 2 January


def test_c24_the_deadline_stands_when_the_count_drops_again() -> None:
    assert assess("示范置业", 10, FRIDAY).state is FilingState.FILING_DUE


def test_c24_working_days_skip_weekends() -> None:
    assert add_working_days(date(2026, 1, 2), 1) == date(2026, 1, 5)  # Fri → Mon
    assert add_working_days(date(2026, 1, 3), 5) == date(2026, 1, 9)  # Sat → next Fri
    assert add_working_days(date(2026, 1, 5), 0) == date(2026, 1, 5)


def test_c24_a_due_count_needs_the_moment_it_was_reached() -> None:
    with pytest.raises(ValueError):
        assess("示范置业", 100_000, None)
