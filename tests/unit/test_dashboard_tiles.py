"""The manager dashboard's visit tiles: today, the last 7 days and the chosen window, each span
shown once (the tester saw two identical "近 7 天到访" tiles at ?days=7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyuan.domain.checkin.person import Office
from keyuan.domain.display import Window
from keyuan.services.attribution.dashboard import ManagerDashboard, visit_tiles

NOW = datetime(2026, 6, 10, 4, tzinfo=UTC)


def board(days: int) -> ManagerDashboard:
    return ManagerDashboard(
        office=Office(id="o", name="示范售楼处", legal_entity="示范置业"),
        window=Window.ending(NOW, days), visits_today=2, visits_7d=9,
        by_method={"phone": 30, "staff": 4}, per_day=[], mix=[], funnel=(0, 0, 0),
        review_total=0, review=[], disputes=[])


@pytest.mark.parametrize(("days", "keys"), [
    (1, ["visits_window", "visits_7d"]),
    (7, ["visits_today", "visits_window"]),
    (30, ["visits_today", "visits_7d", "visits_window"]),
    (90, ["visits_today", "visits_7d", "visits_window"]),
    (366, ["visits_today", "visits_7d", "visits_window"]),
])
def test_each_span_has_one_tile(days: int, keys: list[str]) -> None:
    tiles = visit_tiles(board(days))
    assert [t.key for t in tiles] == keys
    assert len({t.days for t in tiles}) == len(tiles)


@pytest.mark.parametrize("days", range(1, 367))
def test_no_two_tiles_cover_the_same_days_at_any_window(days: int) -> None:
    spans = [t.days for t in visit_tiles(board(days))]
    assert len(spans) == len(set(spans)) and 1 in spans and 7 in spans and days in spans


def test_the_window_tile_takes_the_place_of_the_span_it_repeats() -> None:
    [today, week] = visit_tiles(board(7))
    assert (today.key, week.key, week.value) == ("visits_today", "visits_window", 34)


def test_the_window_tile_counts_the_window() -> None:
    tiles = {t.key: t.value for t in visit_tiles(board(30))}
    assert tiles == {"visits_today": 2, "visits_7d": 9, "visits_window": 34}
