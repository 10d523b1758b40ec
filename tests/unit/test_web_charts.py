"""The hand-written SVG charts: well-formed XML, accessible names, bars proportional to the
numbers, typed text escaped, and a worded "no data" state."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from keyuan.web import charts
from keyuan.web.charts import Series

NS = {"svg": "http://www.w3.org/2000/svg"}
SERIES = [Series("face_kiosk", "刷脸", "#0b5cad"), Series("phone", "手机", "#e08a00")]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if "data-value" in r.attrib]


def accessible(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img" and root.get("aria-label") == title
    assert root.findtext("svg:title", namespaces=NS) == title
    desc = root.find("svg:desc", NS)
    assert desc is not None and desc.text and root.get("aria-describedby") == desc.get("id")


def test_stacked_bars_are_proportional_and_labelled() -> None:
    days = [("06-01", {"face_kiosk": 2, "phone": 2}), ("06-02", {"face_kiosk": 0, "phone": 1}),
            ("06-03", {"face_kiosk": 1, "phone": 0})]
    root = parse(charts.stacked_bars("v", days, SERIES, title="每日到访", desc="d", empty="无"))
    accessible(root, "每日到访")
    drawn = bars(root)
    assert [(b.get("data-day"), b.get("data-series"), b.get("data-value")) for b in drawn] == [
        ("06-01", "face_kiosk", "2"), ("06-01", "phone", "2"), ("06-02", "phone", "1"),
        ("06-03", "face_kiosk", "1")]
    heights = [float(b.get("height", "0")) for b in drawn]
    unit = heights[0] / 2
    assert heights == pytest.approx([2 * unit, 2 * unit, unit, unit])
    # the peak day's stack fills the plot: 4 units tall
    assert heights[0] + heights[1] == pytest.approx(4 * unit)
    totals = [t.get("data-total") for t in root.iter("{http://www.w3.org/2000/svg}text")
              if t.get("data-total")]
    assert totals == ["4", "1", "1"]
    legend = {t.get("data-legend"): t.text for t in root.iter("{http://www.w3.org/2000/svg}text")
              if t.get("data-legend")}
    assert legend == {"face_kiosk": "刷脸 3", "phone": "手机 3"}


def test_stacked_bars_without_visits_say_so() -> None:
    empty = parse(charts.stacked_bars("v", [("06-01", {"phone": 0})], SERIES, title="T",
                                      desc="d", empty="该区间暂无数据"))
    accessible(empty, "T")
    assert bars(empty) == []
    [note] = [t for t in empty.iter("{http://www.w3.org/2000/svg}text") if t.get("data-no-data")]
    assert note.text == "该区间暂无数据"
    assert charts.stacked_bars("v", [], SERIES, title="T", desc="d", empty="x").count(
        "data-no-data") == 1


def test_horizontal_bars_scale_to_the_largest_value() -> None:
    root = parse(charts.hbars("m", [("甲", 10), ("乙", 5), ("自然到访", 0)], title="渠道",
                              desc="d", empty="无"))
    accessible(root, "渠道")
    widths = {b.get("data-label"): float(b.get("width", "0")) for b in bars(root)}
    assert widths["乙"] == pytest.approx(widths["甲"] / 2) and widths["自然到访"] == 0
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"甲", "乙", "10", "5", "0"} <= set(texts)


def test_a_fixed_scale_and_threshold_marks() -> None:
    root = parse(charts.hbars("f", [("示范置业", 20_000)], title="备案", desc="d", empty="无",
                              scale_max=100_000, marks=[(80_000, "预警"), (100_000, "须备案")]))
    [bar] = bars(root)
    marks = {ln.get("data-mark"): float(ln.get("x1", "0"))
             for ln in root.iter("{http://www.w3.org/2000/svg}line")}
    start = float(bar.get("x", "0"))
    full = marks["100000"] - start
    assert float(bar.get("width", "0")) == pytest.approx(full * 0.2)
    assert marks["80000"] - start == pytest.approx(full * 0.8)
    assert "20,000" in [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    # a counter at zero is still drawn against its scale, not "no data"
    assert "data-no-data" not in charts.hbars("f", [("x", 0)], title="t", desc="d", empty="无",
                                              scale_max=100)


def test_funnel_widths_follow_the_first_stage_and_show_conversion() -> None:
    root = parse(charts.funnel("u", [("报备", 8), ("到访", 4), ("签约", 1)], title="漏斗",
                               desc="d", empty="无"))
    accessible(root, "漏斗")
    widths = [float(b.get("width", "0")) for b in bars(root)]
    assert widths[1] == pytest.approx(widths[0] / 2) and widths[2] == pytest.approx(widths[0] / 8)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["报备 8", "到访 4 (50%)", "签约 1 (25%)"]
    assert "data-no-data" in charts.funnel("u", [("报备", 0), ("到访", 0)], title="t",
                                           desc="d", empty="无")


@pytest.mark.parametrize("render", [
    lambda label: charts.hbars("x", [(label, 3)], title=label, desc=label, empty=label),
    lambda label: charts.funnel("x", [(label, 3)], title=label, desc=label, empty=label),
    lambda label: charts.stacked_bars("x", [(label, {"phone": 1})], SERIES, title=label,
                                      desc=label, empty=label),
    lambda label: charts.no_data("x", label, label, label),
])
def test_typed_text_is_escaped_everywhere(render: object) -> None:
    label = '链家<b>&"分销\'</svg><script>'
    svg = str(render(label))  # type: ignore[operator]
    root = parse(svg)
    assert "<script>" not in svg and "<b>" not in svg
    assert root.get("aria-label") == label
    assert label in [t.text for t in root.iter() if t.text] or root.findtext(
        "svg:title", namespaces=NS) == label
