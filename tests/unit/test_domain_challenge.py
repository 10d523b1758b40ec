"""活体挑战 rules: a challenge serves a decision of its own place, subject and office, once,
before it expires; it keeps the steps asked and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyuan.domain.checkin.challenge import (
    CHALLENGE_SECONDS,
    ChallengePlace,
    LivenessChallenge,
)
from keyuan.domain.checkin.liveness import Step
from keyuan.domain.errors import ChallengeElsewhere, ChallengeExpired, ChallengeUsed

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
STEPS = (Step.TURN_LEFT, Step.LOOK_UP, Step.TURN_RIGHT)


def issued(place: ChallengePlace = ChallengePlace.KIOSK_RETURN) -> LivenessChallenge:
    return LivenessChallenge.issue(office_id="o1", place=place, subject="session-1",
                                   steps=STEPS, now=NOW)


def test_a_challenge_keeps_its_steps_in_order_and_expires_after_a_minute() -> None:
    challenge = issued()
    assert challenge.steps == ["turn_left", "look_up", "turn_right"]
    assert challenge.step_sequence == STEPS
    assert challenge.expires_at - challenge.issued_at == timedelta(seconds=CHALLENGE_SECONDS)
    assert len(challenge.id) == 32 and challenge.id != issued().id
    with pytest.raises(ValueError):
        LivenessChallenge.issue(office_id="o1", place=ChallengePlace.KIOSK_RETURN,
                                subject="s", steps=(), now=NOW)


def test_a_challenge_serves_only_its_own_place_subject_and_office() -> None:
    challenge = issued()
    challenge.require_usable(place=ChallengePlace.KIOSK_RETURN, subject="session-1",
                             office_id="o1", now=NOW)
    for place, subject, office in [(ChallengePlace.SIGNING_DESK, "session-1", "o1"),
                                   (ChallengePlace.KIOSK_RETURN, "session-2", "o1"),
                                   (ChallengePlace.KIOSK_RETURN, "session-1", "o2")]:
        with pytest.raises(ChallengeElsewhere):
            challenge.require_usable(place=place, subject=subject, office_id=office, now=NOW)


def test_a_used_or_expired_challenge_serves_nothing() -> None:
    challenge = issued(ChallengePlace.RIGHTS_DESK)
    with pytest.raises(ChallengeExpired):
        challenge.require_usable(place=ChallengePlace.RIGHTS_DESK, subject="session-1",
                                 office_id=None, now=challenge.expires_at)
    challenge.used_at = NOW
    with pytest.raises(ChallengeUsed):
        challenge.require_usable(place=ChallengePlace.RIGHTS_DESK, subject="session-1",
                                 office_id=None, now=NOW)
