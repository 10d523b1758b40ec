"""Plots as small hand-written SVG: no plotting dependency (matplotlib is not installed and two
charts do not justify ~40 MB), text output that diffs, and a stable file for the same numbers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

WIDTH, HEIGHT = 440, 320
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#7f7f7f")


@dataclass(frozen=True)
class Series:
    label: str
    xs: Sequence[float]
    ys: Sequence[float]


@dataclass(frozen=True)
class _Frame:
    left: float
    top: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    log_x: bool = False
    width: float = WIDTH - 90
    height: float = HEIGHT - 90

    def x(self, value: float) -> float:
        lo, hi = self.x_range
        if self.log_x:
            value, lo, hi = (math.log10(max(value, lo)), math.log10(lo), math.log10(hi))
        return self.left + (value - lo) / (hi - lo) * self.width

    def y(self, value: float) -> float:
        lo, hi = self.y_range
        return self.top + self.height - (value - lo) / (hi - lo) * self.height


def _axes(f: _Frame, title: str, x_label: str, y_label: str,
          x_ticks: Sequence[float], y_ticks: Sequence[float]) -> list[str]:
    bottom, right = f.top + f.height, f.left + f.width
    parts = [f'<rect x="{f.left}" y="{f.top}" width="{f.width}" height="{f.height}" '
             'fill="none" stroke="#333"/>',
             f'<text x="{f.left + f.width / 2}" y="{f.top - 12}" text-anchor="middle" '
             f'font-weight="bold">{escape(title)}</text>',
             f'<text x="{f.left + f.width / 2}" y="{bottom + 34}" text-anchor="middle">'
             f'{escape(x_label)}</text>',
             f'<text x="{f.left - 38}" y="{f.top + f.height / 2}" text-anchor="middle" '
             f'transform="rotate(-90 {f.left - 38} {f.top + f.height / 2})">{escape(y_label)}'
             '</text>']
    for t in x_ticks:
        x = f.x(t)
        parts.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" '
                     'stroke="#333"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{t:g}</text>')
    for t in y_ticks:
        y = f.y(t)
        parts.append(f'<line x1="{f.left - 4}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
    return parts


def _legend(f: _Frame, labels: Sequence[str]) -> list[str]:
    parts = []
    for i, label in enumerate(labels):
        y = f.top + 14 + 16 * i
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<rect x="{f.left + 8}" y="{y - 9}" width="10" height="10" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{f.left + 22}" y="{y}">{escape(label)}</text>')
    return parts


def line_panel(title: str, series: Sequence[Series], *, x_label: str, y_label: str,
               x_range: tuple[float, float], y_range: tuple[float, float], log_x: bool = False,
               marker_x: float | None = None) -> list[str]:
    f = _Frame(60, 40, x_range, y_range, log_x)
    ticks = ([10.0 ** e for e in range(int(math.log10(x_range[0])), 1)] if log_x
             else list(np.round(np.linspace(*x_range, 5), 3)))
    parts = _axes(f, title, x_label, y_label, ticks, list(np.round(np.linspace(*y_range, 5), 3)))
    for i, s in enumerate(series):
        points = " ".join(f"{f.x(x):.1f},{f.y(y):.1f}" for x, y in zip(s.xs, s.ys, strict=True))
        parts.append(f'<polyline points="{points}" fill="none" stroke-width="2" '
                     f'stroke="{COLOURS[i % len(COLOURS)]}"/>')
    if marker_x is not None:
        parts.append(_marker(f, marker_x))
    return parts + _legend(f, [s.label for s in series])


def histogram_panel(title: str, groups: Sequence[tuple[str, Sequence[float]]], *,
                    x_range: tuple[float, float], bins: int = 40,
                    marker_x: float | None = None) -> list[str]:
    edges = np.linspace(*x_range, bins + 1)
    shares = [np.histogram(np.clip(v, *x_range), edges)[0] / max(len(v), 1) for _, v in groups]
    top = max(0.05, float(max((s.max() for s in shares if s.size), default=0.05)) * 1.1)
    f = _Frame(60, 40, x_range, (0.0, top))
    parts = _axes(f, title, "distance", "share of pairs",
                  list(np.round(np.linspace(*x_range, 5), 3)),
                  list(np.round(np.linspace(0.0, top, 5), 3)))
    for i, share in enumerate(shares):
        colour = COLOURS[i % len(COLOURS)]
        for lo, hi, value in zip(edges[:-1], edges[1:], share, strict=True):
            if value > 0:
                parts.append(f'<rect x="{f.x(lo):.1f}" y="{f.y(value):.1f}" '
                             f'width="{f.x(hi) - f.x(lo):.1f}" height="{f.y(0) - f.y(value):.1f}"'
                             f' fill="{colour}" fill-opacity="0.5"/>')
    if marker_x is not None:
        parts.append(_marker(f, marker_x))
    return parts + _legend(f, [f"{label} (n={len(v)})" for label, v in groups])


def _marker(f: _Frame, x_value: float) -> str:
    x = f.x(x_value)
    return (f'<line x1="{x:.1f}" y1="{f.top}" x2="{x:.1f}" y2="{f.top + f.height}" '
            f'stroke="#000" stroke-dasharray="4 3"><title>threshold {x_value:g}</title></line>')


def figure(panels: Sequence[list[str]]) -> str:
    """Panels side by side in one SVG document."""
    body = [f'<g transform="translate({i * WIDTH} 0)">{"".join(p)}</g>'
            for i, p in enumerate(panels)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH * len(panels)}" '
            f'height="{HEIGHT}" font-family="sans-serif" font-size="11">'
            f'<rect width="100%" height="100%" fill="#fff"/>{"".join(body)}</svg>\n')
