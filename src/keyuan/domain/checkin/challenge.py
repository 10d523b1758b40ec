"""活体挑战: the random head movements a person is asked to make before a face decision that
counts (a return visit at the kiosk, the signing desk, the rights desk).

A challenge is issued for one place and one subject — a kiosk session, or a member of staff at a
desk — with a short life, and serves one decision: the decision uses it up before any frame is
looked at, so a recording made against one challenge cannot be replayed against another, and
drawing challenges until a convenient sequence comes up is counted like face attempts.
The steps must reach the client before it films them, so what a recording could use beforehand
is bounded in time rather than hidden: the challenge records `issued_at`, its use records
`used_at` (the decision's arrival, server clock), and the frames may claim no longer a span than
passed between them (`liveness.check_server_time`).
It holds no biometric data: the steps asked, when, where and for whom."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from keyuan.domain.checkin.liveness import Step
from keyuan.domain.errors import ChallengeElsewhere, ChallengeExpired, ChallengeUsed

CHALLENGE_SECONDS = 60
"""How long an issued challenge may start a decision: long enough for three prompts with their
own timeouts and the upload, short enough that it cannot be prepared for at leisure."""


class ChallengePlace(StrEnum):
    """Where a challenge runs; a challenge serves a decision of its own place only."""

    KIOSK_RETURN = "kiosk_return"  # a return visit at the kiosk (subject: the kiosk session)
    SIGNING_DESK = "signing_desk"  # the signing desk's live face (subject: the clerk)
    RIGHTS_DESK = "rights_desk"  # 当面核验 at reception (subject: the member of staff)


@dataclass(eq=False)
class LivenessChallenge:
    id: str
    office_id: str
    place: ChallengePlace
    subject: str
    """Whom it serves: the kiosk session's id, or the member of staff at the desk (their
    account's actor, `role:username`)."""
    steps: list[str]
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    @classmethod
    def issue(cls, *, office_id: str, place: ChallengePlace, subject: str,
              steps: Sequence[Step], now: datetime,
              seconds: int = CHALLENGE_SECONDS) -> LivenessChallenge:
        if not steps:
            raise ValueError("a challenge asks for at least one step")
        return cls(id=secrets.token_hex(16), office_id=office_id, place=ChallengePlace(place),
                   subject=subject[:64], steps=[Step(s).value for s in steps], issued_at=now,
                   expires_at=now + timedelta(seconds=seconds))

    @property
    def step_sequence(self) -> tuple[Step, ...]:
        return tuple(Step(s) for s in self.steps)

    def elapsed_ms(self, now: datetime) -> int:
        """Server time from issuance to `now` (the decision's arrival), in whole ms."""
        return max(0, int((now - self.issued_at).total_seconds() * 1000))

    def require_usable(self, *, place: ChallengePlace, subject: str, office_id: str | None,
                       now: datetime) -> None:
        """For a decision at `place` by `subject` (at `office_id`, where the place has one):
        issued there (`ChallengeElsewhere`), not used (`ChallengeUsed`), not expired
        (`ChallengeExpired`). The caller then uses it up in the same transaction."""
        if (self.place is not ChallengePlace(place) or self.subject != subject[:64]
                or (office_id is not None and self.office_id != office_id)):
            raise ChallengeElsewhere()
        if self.used_at is not None:
            raise ChallengeUsed()
        if now >= self.expires_at:
            raise ChallengeExpired()
