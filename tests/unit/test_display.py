"""Money and time as shown to people: one `yuan()` and one display zone for the whole product."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from keyuan.domain.display import local_time, yuan


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_yuan_reads_back_as_the_same_fen(fen: int) -> None:
    shown = yuan(fen)
    assert Decimal(shown.replace(",", "")) * 100 == fen
    assert shown.startswith("-") == (fen < 0)


def test_yuan_of_a_negative_adjustment_keeps_its_cents() -> None:
    assert yuan(-150) == "-1.50"
    assert yuan(-5) == "-0.05"
    assert yuan(280_000_000) == "2,800,000.00"
    assert yuan(None) == ""


def test_local_time_shows_utc_in_shanghai() -> None:
    at = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    assert local_time(at) == "2026-12-01 00:30"
    assert local_time(at.isoformat()) == "2026-12-01 00:30"
    assert local_time(at, "%Y-%m-%d") == "2026-12-01"
    assert local_time(None) == local_time("") == ""
