"""Throttles that stop abuse: how many attempts of one kind one subject (a mobile number, a
client address, a kiosk session, a receipt, an account) may make in a sliding window.

Counts live in the store, one row per bucket and fixed window, so every worker process sees the
same numbers. A sliding window is estimated from two fixed ones: the previous window's count
weighted by how much of it still overlaps the last `window_seconds`, plus the current count.
Taking a slot is one conditional increment (`hits = hits + 1 WHERE hits < allowance`), so
parallel requests never take more slots than there are."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Rate:
    """At most `limit` attempts in any `window_seconds`."""

    limit: int
    window_seconds: int


@dataclass(frozen=True)
class Bucket:
    """One subject's count of one kind of attempt. `kind` names what is counted and by what
    (`sms.mobile`, `sms.address`, `login.pair` …); `subject` is a keyed hash or a random id,
    never a plain mobile number or address. A new subject (a paired kiosk device) is a new
    kind, nothing else changes."""

    kind: str
    subject: str
    rate: Rate

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"


@dataclass(frozen=True)
class Window:
    """The fixed window `now` falls in, as epoch seconds."""

    start: int
    seconds: int
    elapsed: float  # seconds since `start`

    @classmethod
    def at(cls, now: datetime, seconds: int) -> Window:
        epoch = now.timestamp()
        start = int(epoch // seconds) * seconds
        return cls(start=start, seconds=seconds, elapsed=epoch - start)

    @property
    def previous_start(self) -> int:
        return self.start - self.seconds

    def carried(self, previous_hits: int) -> int:
        """The part of the previous window's count still inside the sliding window."""
        return math.floor(previous_hits * (1 - self.elapsed / self.seconds))

    def allowance(self, rate: Rate, previous_hits: int) -> int:
        """How many hits the current fixed window may hold now."""
        return rate.limit - self.carried(previous_hits)

    def retry_after(self, rate: Rate, previous_hits: int, current_hits: int) -> int:
        """Seconds until one more attempt would be allowed (at least 1)."""
        free_now = rate.limit - current_hits  # what the current window alone leaves
        if free_now > 0 and previous_hits > 0:
            # wait until the carried part of the previous window drops below `free_now`
            overlap_left = free_now / previous_hits  # carried < free_now once 1-f < this
            wait = (1 - overlap_left) * self.seconds - self.elapsed
        elif free_now > 0:
            wait = 0  # only a race with a parallel attempt got here
        else:  # the current window must pass, then enough of it slide out
            rest = 1 - rate.limit / current_hits if current_hits else 0
            wait = self.seconds - self.elapsed + rest * self.seconds
        return max(1, math.floor(wait + 1e-6) + 1)  # strictly after the moment it frees

    def expires_at(self) -> int:
        """After this epoch second the window's row no longer matters to any estimate."""
        return self.start + 2 * self.seconds


class ThrottleCounters(Protocol):
    """The counts, inside the caller's unit of work. Each call MUST be atomic on its own row:
    two transactions taking the last slot of one bucket MUST NOT both succeed."""

    def hits(self, key: str, window_start: int) -> int:
        """The count of one fixed window (0 when there is no row)."""

    def take(self, key: str, window_start: int, *, allowance: int, expires: int) -> bool:
        """Add one hit unless the window already holds `allowance`; True when added."""

    def give_back(self, key: str, window_start: int) -> None:
        """Remove one hit of the window (an attempt that turned out to be legitimate)."""

    def clear(self, key: str) -> None:
        """Forget every window of the bucket."""

    def purge(self, before: int) -> int:
        """Delete windows that expired before this epoch second; how many rows went."""
