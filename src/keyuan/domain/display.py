"""How money and time are shown to people: integer fen as yuan, stored UTC as the office's local
time (Asia/Shanghai). Money is never a float on the way; nothing here is used for arithmetic."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")
"""The one zone times are shown in (and a day is counted in: dashboards bucket by local day)."""

SHOWN_FORMAT = "%Y-%m-%d %H:%M"


def yuan(fen: int | None) -> str:
    """Integer fen → "2,800,000.00"; -150 → "-1.50"; None → ""."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def local_time(at: datetime | str | None, fmt: str = SHOWN_FORMAT) -> str:
    """A stored UTC time (a datetime, or an ISO string from a stored decision or statement line)
    as local time; "" for None or an empty string."""
    if not at:
        return ""
    when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return when.astimezone(DISPLAY_ZONE).strftime(fmt)
