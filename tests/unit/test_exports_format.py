"""Display helpers of the statement exports: yuan from integer fen without float arithmetic,
times shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime

from keyuan.domain.display import local_time, yuan


def test_yuan_shows_integer_fen_with_two_decimals_and_a_sign() -> None:
    assert yuan(5_250_000_00) == "5,250,000.00"
    assert yuan(1_23) == "1.23"
    assert yuan(-5) == "-0.05"
    assert yuan(None) == ""


def test_times_are_shown_in_shanghai() -> None:
    assert local_time(datetime(2026, 11, 28, 16, 30, tzinfo=UTC)) == "2026-11-29 00:30"
    assert local_time("2026-11-28T01:00:00+00:00") == "2026-11-28 09:00"
    assert local_time(None) == ""
