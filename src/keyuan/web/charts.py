"""Hand-written server-side SVG charts for the dashboards: no JavaScript, no chart library.

Every chart is an accessible image (`role="img"`, an `aria-label`, `<title>` and `<desc>`), and
carries its numbers as visible text labels — colour is never the only way to read it. All text
that reaches the SVG is escaped here (channel names are typed by people). Each drawn bar has
`data-*` attributes with its value so tests can check the geometry against the numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 720
PALETTE = ("#0b5cad", "#e08a00", "#1b6e3a", "#7a3db8", "#a4161a", "#4d5b66")
INK, MUTED, LINE = "#1d2329", "#5b6670", "#d5dbe0"


@dataclass(frozen=True)
class Series:
    """One stacked series: its key in the data, its legend text, its colour."""

    key: str
    label: str
    colour: str


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _n(value: float) -> str:
    """Coordinates with at most two decimals (short, stable output)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, desc: str, height: float) -> list[str]:
    cid = _e(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{cid}" class="chart-svg" role="img" '
        f'aria-label="{_e(title)}" aria-describedby="{cid}-desc" width="{WIDTH}" '
        f'height="{_n(height)}" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'font-family="sans-serif" font-size="12">',
        f'<title id="{cid}-title">{_e(title)}</title>',
        f'<desc id="{cid}-desc">{_e(desc)}</desc>',
    ]


def _text(x: float, y: float, text: object, *, anchor: str = "start", fill: str = INK,
          extra: str = "") -> str:
    return (f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{fill}"{extra}>'
            f"{_e(text)}</text>")


def no_data(chart_id: str, title: str, desc: str, message: str) -> Markup:
    """The empty state: still a named image, saying in words that there is nothing to show."""
    parts = _open(chart_id, title, desc, 80)
    parts.append(f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="79" fill="none" '
                 f'stroke="{LINE}" stroke-dasharray="4 4"/>')
    parts.append(_text(WIDTH / 2, 45, message, anchor="middle", fill=MUTED,
                       extra=' class="no-data" data-no-data="1"'))
    parts.append("</svg>")
    return Markup("".join(parts))


def nice_ticks(peak: int, *, most: int = 6) -> list[int]:
    """Axis ticks for a count: 0 up to the first multiple of a "nice" step (1, 2, 5 × 10ⁿ) at or
    above `peak`, at most `most` ticks, evenly spaced integers (5 → 0,1,2,3,4,5; 7 → 0,2,4,6,8;
    23 → 0,5,10,15,20,25). Never 0/2/5: the old axis drew the peak and its half."""
    peak = max(int(peak), 1)
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            top = -(-peak // step) * step
            if top // step + 1 <= most:
                return list(range(0, top + 1, step))
        scale *= 10


def stacked_bars(
    chart_id: str, days: Sequence[tuple[str, Mapping[str, int]]], series: Sequence[Series], *,
    title: str, desc: str, empty: str,
) -> Markup:
    """One bar per day (label, counts by series key), stacked by series, its total on top.
    Heights are proportional to the counts against the largest day's total."""
    totals = [sum(counts.get(s.key, 0) for s in series) for _, counts in days]
    if not days or max(totals, default=0) <= 0:
        return no_data(chart_id, title, desc, empty)
    height, top, bottom, left, right = 300.0, 24.0, 64.0, 44.0, 8.0
    plot_h, plot_w = height - top - bottom, WIDTH - left - right
    ticks = nice_ticks(max(totals))
    peak = ticks[-1]  # bars are drawn against the axis' top tick, so they read off the grid
    slot = plot_w / len(days)
    bar_w = max(slot * 0.7, 1.0)
    parts = _open(chart_id, title, desc, height)
    parts.append(_axis(left, top, plot_w, plot_h, ticks))
    every = max(1, -(-len(days) // 12))  # at most ~12 date labels
    for i, ((label, counts), total) in enumerate(zip(days, totals, strict=True)):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for s in series:
            value = counts.get(s.key, 0)
            if value <= 0:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w)}" height="{_n(h)}" '
                f'fill="{s.colour}" data-day="{_e(label)}" data-series="{_e(s.key)}" '
                f'data-value="{value}"><title>{_e(label)} {_e(s.label)}: {value}</title></rect>')
        if total and slot >= 16:  # a total wider than its bar would overlap the next one's
            parts.append(_text(x + bar_w / 2, y - 4, total, anchor="middle",
                               extra=f' font-size="12" data-total="{total}"'))
        if i % every == 0:
            parts.append(_text(x + bar_w / 2, top + plot_h + 16, label, anchor="middle",
                               fill=MUTED, extra=' font-size="12"'))
    parts.append(_legend(series, [sum(c.get(s.key, 0) for _, c in days) for s in series],
                         left, height - 18))
    parts.append("</svg>")
    return Markup("".join(parts))


def _axis(left: float, top: float, plot_w: float, plot_h: float, ticks: list[int]) -> str:
    base, peak = top + plot_h, ticks[-1]
    out = [f'<line x1="{_n(left)}" y1="{_n(base)}" x2="{_n(left + plot_w)}" y2="{_n(base)}" '
           f'stroke="{MUTED}"/>']
    for value in ticks:
        y = base - plot_h * value / peak
        if value:
            out.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_w)}" '
                       f'y2="{_n(y)}" stroke="{LINE}" stroke-dasharray="3 3"/>')
        out.append(_text(left - 6, y + 4, value, anchor="end", fill=MUTED,
                         extra=f' data-tick="{value}"'))
    return "".join(out)


def _legend(series: Sequence[Series], totals: Sequence[int], x: float, y: float) -> str:
    out = []
    for s, total in zip(series, totals, strict=True):
        out.append(f'<rect x="{_n(x)}" y="{_n(y - 10)}" width="12" height="12" '
                   f'fill="{s.colour}"/>')
        label = f"{s.label} {total}"
        out.append(_text(x + 16, y, label, extra=f' data-legend="{_e(s.key)}"'))
        x += 28 + 7.5 * _width(label)
    return "".join(out)


def _width(text: str) -> float:
    """Rough text width in units of a Latin character (CJK counts double)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def hbars(
    chart_id: str, rows: Sequence[tuple[str, int]], *, title: str, desc: str, empty: str,
    scale_max: int | None = None, marks: Sequence[tuple[int, str]] = (),
) -> Markup:
    """Horizontal bars, one per (label, value), the label left and the value right of each bar.
    `scale_max` fixes the scale (a counter against a threshold); `marks` draws labelled
    vertical lines at given values (warning and filing thresholds)."""
    peak = max([scale_max or 0, *(v for _, v in rows), *(m for m, _ in marks)])
    if not rows or (peak <= 0) or (scale_max is None and max(v for _, v in rows) <= 0):
        return no_data(chart_id, title, desc, empty)
    label_w = min(260.0, 24 + 7 * max(_width(label) for label, _ in rows))
    row_h, top = 30.0, 22.0 if marks else 8.0
    height = top + row_h * len(rows) + 8
    plot_w = WIDTH - label_w - 90
    parts = _open(chart_id, title, desc, height)
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        w = plot_w * max(value, 0) / peak
        parts.append(_text(label_w - 8, y + 19, label, anchor="end"))
        parts.append(f'<rect x="{_n(label_w)}" y="{_n(y + 6)}" width="{_n(w)}" height="18" '
                     f'fill="{PALETTE[i % len(PALETTE)]}" data-label="{_e(label)}" '
                     f'data-value="{value}"><title>{_e(label)}: {value}</title></rect>')
        parts.append(_text(label_w + w + 6, y + 19, f"{value:,}"))
    for value, label in marks:
        x = label_w + plot_w * value / peak
        parts.append(f'<line x1="{_n(x)}" y1="{_n(top - 4)}" x2="{_n(x)}" y2="{_n(height - 4)}" '
                     f'stroke="#a4161a" stroke-dasharray="4 3" data-mark="{value}"/>')
        parts.append(_text(x, top - 8, label, anchor="middle", fill="#a4161a",
                           extra=' font-size="12"'))
    parts.append("</svg>")
    return Markup("".join(parts))


def funnel(
    chart_id: str, stages: Sequence[tuple[str, int]], *, title: str, desc: str, empty: str,
) -> Markup:
    """Stages as centred bars, widths proportional to the first stage; each stage says its
    count and its share of the stage before it."""
    if not stages or stages[0][1] <= 0:
        return no_data(chart_id, title, desc, empty)
    first = stages[0][1]
    row_h, top = 46.0, 8.0
    height = top + row_h * len(stages) + 8
    full = WIDTH - 40
    parts = _open(chart_id, title, desc, height)
    previous = first
    for i, (label, value) in enumerate(stages):
        y = top + i * row_h
        w = max(full * value / first, 2.0)
        x = (WIDTH - w) / 2
        parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="36" rx="4" '
                     f'fill="{PALETTE[i % len(PALETTE)]}" fill-opacity="0.85" '
                     f'data-stage="{_e(label)}" data-value="{value}">'
                     f"<title>{_e(label)}: {value}</title></rect>")
        share = "" if i == 0 else f" ({round(100 * value / previous) if previous else 0}%)"
        parts.append(f'<rect x="{_n(WIDTH / 2 - 130)}" y="{_n(y + 8)}" width="260" height="20" '
                     f'rx="3" fill="#fff" fill-opacity="0.9"/>')
        parts.append(_text(WIDTH / 2, y + 23, f"{label} {value}{share}", anchor="middle"))
        previous = value
    parts.append("</svg>")
    return Markup("".join(parts))
