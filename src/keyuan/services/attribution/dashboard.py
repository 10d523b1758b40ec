"""The manager dashboard as plain data: visits per local day and method, the channel mix, the
registration funnel, the review queue and open disputes — aggregate queries (`uow.dashboard`),
counts only, never a template, score or distance."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from keyuan.domain.checkin.person import Office
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.compliance.dashboard import MixRow, OpenDispute, QueuedSigning
from keyuan.domain.display import DEFAULT_DAYS, DISPLAY_ZONE, Window
from keyuan.services.checkin.setup import office_or_first
from keyuan.services.ports import Deps

METHODS = tuple(m.value for m in VisitMethod)


@dataclass(frozen=True)
class ManagerDashboard:
    office: Office
    window: Window
    visits_today: int
    visits_7d: int
    by_method: dict[str, int]
    per_day: list[tuple[date, dict[str, int]]]
    mix: list[MixRow]
    funnel: tuple[int, int, int]
    review_total: int
    review: list[QueuedSigning]
    disputes: list[OpenDispute]

    @property
    def visits_total(self) -> int:
        return sum(self.by_method.values())

    def share(self, method: str) -> int:
        """Whole percent of the window's visits made by this method."""
        total = self.visits_total
        return round(100 * self.by_method.get(method, 0) / total) if total else 0


@dataclass(frozen=True)
class VisitTile:
    """One "visits in the last N days" tile (`days` 1: today)."""

    key: str
    days: int
    value: int


def visit_tiles(board: ManagerDashboard) -> list[VisitTile]:
    """Today, the last 7 days and the chosen window — each span once: at `?days=7` the window
    tile takes the 7-day tile's place, at `?days=1` today's, so no span is shown twice."""
    window = VisitTile("visits_window", board.window.days, board.visits_total)
    fixed = [VisitTile("visits_today", 1, board.visits_today),
             VisitTile("visits_7d", 7, board.visits_7d)]
    tiles = [window if tile.days == window.days else tile for tile in fixed]
    return tiles if window in tiles else [*tiles, window]


def bucket_by_day(rows: list[tuple[datetime, str]], window: Window
                  ) -> list[tuple[date, dict[str, int]]]:
    """Visits per local day and method, every day of the window present (zeros included)."""
    counts: dict[date, Counter[str]] = {d: Counter() for d in window.dates()}
    for at, method in rows:
        day = at.astimezone(DISPLAY_ZONE).date()
        if day in counts:
            counts[day][method] += 1
    return [(d, {m: counts[d][m] for m in METHODS}) for d in window.dates()]


def manager_dashboard(deps: Deps, *, office_id: str | None = None,
                      days: int = DEFAULT_DAYS) -> ManagerDashboard:
    window = Window.ending(deps.clock.now(), days)
    week = Window.ending(deps.clock.now(), 7)
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)
        q = uow.dashboard
        earliest = min(window.start, week.start)
        rows = q.visit_rows(office.id, earliest, window.end)
        review_total, review = q.review_queue(office.id)
        board = ManagerDashboard(
            office=office, window=window,
            visits_today=sum(1 for at, _ in rows
                             if at.astimezone(DISPLAY_ZONE).date() == window.today),
            visits_7d=sum(1 for at, _ in rows if at >= week.start),
            by_method=dict(Counter(m for at, m in rows if at >= window.start)),
            per_day=bucket_by_day(rows, window),
            mix=sorted(q.channel_mix(office.id, window.start, window.end),
                       key=lambda r: (-r.signings, r.name or "")),
            funnel=q.funnel(office.id, window.start, window.end),
            review_total=review_total, review=review, disputes=q.open_disputes(office.id))
    return board
