"""Reports side by side: one column per labelled set × engine, one row per measure."""

from __future__ import annotations

from collections.abc import Sequence

Row = tuple[str, Sequence[str]]


def side_by_side(title: str, columns: Sequence[str], rows: Sequence[Row],
                 notes: Sequence[str] = ()) -> list[str]:
    """A fixed-width text table: the label column, then each column right-aligned to its
    widest cell. A row whose label starts with two spaces is a detail of the row above."""
    label_width = max(len(title), *(len(label) for label, _ in rows))
    widths = [max(len(c), *(len(r[i]) for _, r in rows)) for i, c in enumerate(columns)]
    head = "  ".join([title.ljust(label_width), *(c.rjust(w) for c, w in zip(
        columns, widths, strict=True))])
    lines = [head, "-" * len(head)]
    for label, cells in rows:
        lines.append("  ".join([label.ljust(label_width), *(c.rjust(w) for c, w in zip(
            cells, widths, strict=True))]).rstrip())
    return lines + [f"  {note}" for note in notes]


def rate(value: float) -> str:
    return f"{value:.4f}"


def share(count: int, total: int) -> str:
    """`3/576 = 0.0052`."""
    return f"{count}/{total} = {count / total:.4f}" if total else "0/0"


def interval(low: float, high: float) -> str:
    return f"[{low:.4f}, {high:.4f}]"
