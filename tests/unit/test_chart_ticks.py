"""The count axis of the visits chart: "nice" integer ticks (0,1,2,… or 0,5,10,…), never the
old peak-and-half (0/2/5), and the bars read off that axis."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyuan.web import charts
from keyuan.web.charts import Series, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


@given(st.integers(min_value=0, max_value=10**9))
def test_ticks_are_few_evenly_spaced_integers_from_zero_covering_the_peak(peak: int) -> None:
    ticks = nice_ticks(peak)
    assert all(isinstance(t, int) for t in ticks)
    assert ticks[0] == 0 and ticks[-1] >= peak and 2 <= len(ticks) <= 6
    steps = {b - a for a, b in pairwise(ticks)}
    assert len(steps) == 1
    [step] = steps
    # a 1, 2 or 5 times a power of ten, and no tick wasted above the peak
    assert int(str(step).rstrip("0") or "0") in (1, 2, 5) and ticks[-2] < max(peak, 1)


@pytest.mark.parametrize(("peak", "ticks"), [
    (0, [0, 1]), (1, [0, 1]), (4, [0, 1, 2, 3, 4]), (5, [0, 1, 2, 3, 4, 5]),
    (7, [0, 2, 4, 6, 8]), (10, [0, 2, 4, 6, 8, 10]), (23, [0, 5, 10, 15, 20, 25]),
    (48, [0, 10, 20, 30, 40, 50]), (120, [0, 50, 100, 150]),
])
def test_ticks_for_the_counts_a_sales_office_sees(peak: int, ticks: list[int]) -> None:
    assert nice_ticks(peak) == ticks


def test_the_visits_chart_draws_those_ticks_and_scales_bars_to_the_top_one() -> None:
    series = [Series("phone", "手机", "#e08a00")]
    days = [("06-01", {"phone": 5}), ("06-02", {"phone": 2})]
    root = ET.fromstring(charts.stacked_bars("v", days, series, title="t", desc="d", empty="e"))
    drawn = [t.get("data-tick") for t in root.iter(f"{SVG}text") if t.get("data-tick")]
    assert drawn == ["0", "1", "2", "3", "4", "5"]  # not 0/2/5
    ys = {t.get("data-tick"): float(t.get("y", "0")) for t in root.iter(f"{SVG}text")
          if t.get("data-tick")}
    gaps = [ys[str(i)] - ys[str(i + 1)] for i in range(5)]
    assert gaps == pytest.approx([gaps[0]] * 5)  # evenly spaced
    bars = {r.get("data-day"): r for r in root.iter(f"{SVG}rect") if r.get("data-value")}
    top = float(bars["06-01"].get("y", "0"))
    assert top + 4 == pytest.approx(ys["5"])  # the 5-visit bar ends at the "5" tick
    assert float(bars["06-02"].get("height", "0")) == pytest.approx(
        float(bars["06-01"].get("height", "0")) * 2 / 5)
