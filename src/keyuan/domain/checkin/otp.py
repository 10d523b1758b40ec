"""One-time codes for mobile check-in: expire, and die after too many wrong tries."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from keyuan.domain.errors import CodeExpired, CodeInvalid, TooManyAttempts


@dataclass(eq=False)
class OneTimeCode:
    id: str
    session_id: str
    mobile_hash: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None

    def check(self, code_hash: str, *, now: datetime, max_attempts: int) -> None:
        """Raise unless `code_hash` is right; every wrong try counts, even the last."""
        self.require_usable(now=now, max_attempts=max_attempts)
        self.verify(code_hash, now=now, max_attempts=max_attempts)

    def require_usable(self, *, now: datetime, max_attempts: int) -> None:
        """Raise when no guess may be compared at all: used, expired, or out of tries."""
        if self.used_at is not None or now >= self.expires_at:
            raise CodeExpired()
        if self.attempts >= max_attempts:
            raise TooManyAttempts()

    def verify(self, code_hash: str, *, now: datetime, max_attempts: int) -> None:
        """Compare one guess of a usable code: a wrong one is counted, a right one uses it up.
        The caller holds the code's row (`SELECT … FOR UPDATE`), so parallel guesses count one
        by one and a code is used once."""
        if not hmac.compare_digest(self.code_hash, code_hash):
            self.attempts += 1
            if self.attempts >= max_attempts:
                raise TooManyAttempts()
            raise CodeInvalid(f"The code is wrong ({max_attempts - self.attempts} tries left).")
        self.used_at = now
