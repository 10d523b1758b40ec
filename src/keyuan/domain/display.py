"""How money and time are shown to people: integer fen as yuan, stored UTC as the office's local
time (Asia/Shanghai), and windows of whole local days (what the dashboards count over). Money is
never a float on the way; nothing here is used for money arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from keyuan.domain.errors import InvalidDashboardRange

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")
"""The one zone times are shown in (and a day is counted in: dashboards bucket by local day)."""

SHOWN_FORMAT = "%Y-%m-%d %H:%M"
MAX_DAYS = 366
DEFAULT_DAYS = 30
DAY_CHOICES = (7, 30, 90)
"""The windows the dashboards offer, in days."""


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


def parse_days(raw: str | None) -> int:
    """`?days=`: absent → 30; anything but 1..366 is refused (not silently clamped)."""
    if raw is None or raw == "":
        return DEFAULT_DAYS
    # ASCII digits, at most three: "²".isdigit() is true, and int() of thousands of digits
    # raises (Python's int-from-str limit) instead of answering.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not 1 <= int(raw) <= MAX_DAYS:
        raise InvalidDashboardRange()
    return int(raw)


@dataclass(frozen=True)
class Window:
    """The last `days` local days up to and including today, as UTC bounds."""

    today: date
    days: int
    start: datetime
    end: datetime

    @classmethod
    def ending(cls, now: datetime, days: int) -> Window:
        today = now.astimezone(DISPLAY_ZONE).date()
        first = today - timedelta(days=days - 1)
        return cls(today, days, local_midnight(first), local_midnight(today + timedelta(1)))

    def dates(self) -> list[date]:
        return [self.today - timedelta(days=self.days - 1 - i) for i in range(self.days)]


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=DISPLAY_ZONE)
