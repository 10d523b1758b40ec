"""What a value may be before it reaches a rule or a store: money and counts bounded well inside
a 64-bit column, instants aware and within 2000–2099 UTC, text without control characters, and
row ids a store can hold. The API's shared types (`api/schemas/common.py`) are built on these;
anything outside gets a clear 4xx, never an overflow in the store."""

from __future__ import annotations

import re
from datetime import UTC, datetime

MAX_FEN = 10**12
"""10 billion yuan: above any contract price, commission or reward; far inside BIGINT."""
MAX_COUNT = 1_000_000
"""Counts a client may state (tier thresholds, limits): far above any real office."""
MAX_BASIS_POINTS = 10_000
"""100%."""
MAX_ROW_ID = 2**31 - 1
"""The largest integer key a store column holds (INTEGER: 32 bits on PostgreSQL); a larger one
names no row."""
MAX_FRAME_TIME_MS = 2**53 - 1
"""A frame's capture time on the client's clock (a page's `performance.now()`, ms): any
non-negative integer a browser's number holds exactly. Only the gaps between one request's
frames mean anything (the liveness check), so no calendar bound applies."""

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Instants from the API lie in [EARLIEST, LATEST) once converted to UTC: years 0001 and 9999
(and 9999-12-31T23:59:59-14:00, which leaves year 9999 in UTC) are typing mistakes or probes."""

# ASCII controls except tab, LF and CR; DEL; the 0x80-0x9F controls; lone surrogates (no UTF-8).
# PostgreSQL refuses U+0000 in text outright; the others have no business in a name or an id.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def instant_problem(at: datetime) -> str | None:
    """Why `at` is no instant the product accepts, or None when it is one."""
    if at.tzinfo is None or at.utcoffset() is None:
        return "needs a time zone offset (e.g. +08:00 or Z)"
    try:
        utc = at.astimezone(UTC)
    except OverflowError:
        return "is outside the years 2000–2099"
    if not EARLIEST <= utc < LATEST:
        return "is outside the years 2000–2099"
    return None


def has_control_characters(text: str) -> bool:
    """True for NUL and other control characters (tab, LF and CR are allowed)."""
    return _CONTROL.search(text) is not None


def is_row_id(value: int) -> bool:
    """Whether an integer id can name a stored row at all (1 … 2^31-1)."""
    return 0 < value <= MAX_ROW_ID
