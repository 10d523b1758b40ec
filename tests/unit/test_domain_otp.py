"""One-time codes: expire, count wrong tries, die after too many, work once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.errors import CodeExpired, CodeInvalid, TooManyAttempts

SENT = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)
RIGHT, WRONG = "a" * 64, "b" * 64
MAX = 3


def code() -> OneTimeCode:
    return OneTimeCode(
        id="c1", session_id="s1", mobile_hash="m" * 64, code_hash=RIGHT, created_at=SENT,
        expires_at=SENT + TTL,
    )


def test_the_right_code_within_its_lifetime_is_accepted_and_marked_used() -> None:
    otp = code()
    at = SENT + TTL - timedelta(seconds=1)

    otp.check(RIGHT, now=at, max_attempts=MAX)

    assert otp.used_at == at
    assert otp.attempts == 0


def test_a_code_is_expired_at_its_expiry_instant() -> None:
    otp = code()

    with pytest.raises(CodeExpired):
        otp.check(RIGHT, now=SENT + TTL, max_attempts=MAX)
    assert otp.used_at is None


def test_a_wrong_code_counts_an_attempt_and_says_how_many_are_left() -> None:
    otp = code()

    with pytest.raises(CodeInvalid, match="2 tries left"):
        otp.check(WRONG, now=SENT, max_attempts=MAX)

    assert otp.attempts == 1
    assert otp.used_at is None


def test_the_last_allowed_wrong_try_kills_the_code() -> None:
    otp = code()
    for _ in range(MAX - 1):
        with pytest.raises(CodeInvalid):
            otp.check(WRONG, now=SENT, max_attempts=MAX)

    with pytest.raises(TooManyAttempts):
        otp.check(WRONG, now=SENT, max_attempts=MAX)

    assert otp.attempts == MAX


def test_a_dead_code_refuses_even_the_right_code() -> None:
    otp = code()
    otp.attempts = MAX

    with pytest.raises(TooManyAttempts):
        otp.check(RIGHT, now=SENT, max_attempts=MAX)
    assert otp.used_at is None


def test_a_used_code_cannot_be_used_again() -> None:
    otp = code()
    otp.check(RIGHT, now=SENT, max_attempts=MAX)

    with pytest.raises(CodeExpired):
        otp.check(RIGHT, now=SENT + timedelta(seconds=10), max_attempts=MAX)
