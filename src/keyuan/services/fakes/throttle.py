"""`ThrottleCounters` in memory (`domain/throttle.py`), for unit tests of services."""

from __future__ import annotations

from keyuan.services.fakes.store import Tables


class FakeThrottleCounters:
    def __init__(self, tables: Tables) -> None:
        self._rows = tables.throttle

    def hits(self, key: str, window_start: int) -> int:
        return self._rows.get((key, window_start), (0, 0))[0]

    def take(self, key: str, window_start: int, *, allowance: int, expires: int) -> bool:
        hits = self.hits(key, window_start)
        if hits >= allowance:
            return False
        self._rows[(key, window_start)] = (hits + 1, expires)
        return True

    def give_back(self, key: str, window_start: int) -> None:
        hits, expires = self._rows.get((key, window_start), (0, 0))
        if hits > 0:
            self._rows[(key, window_start)] = (hits - 1, expires)

    def clear(self, key: str) -> None:
        for found in [k for k in self._rows if k[0] == key]:
            del self._rows[found]

    def purge(self, before: int) -> int:
        gone = [k for k, (_, expires) in self._rows.items() if expires < before]
        for found in gone:
            del self._rows[found]
        return len(gone)
