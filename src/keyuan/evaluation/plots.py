"""The report plots: ROC and same/different distance histograms (verify), FNIR/FPIR against the
threshold and mated/non-mated nearest distances (identify)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keyuan.evaluation import metrics
from keyuan.evaluation.svg import Series, figure, histogram_panel, line_panel

FAR_FLOOR = 1e-3
DISTANCE_RANGE = (0.0, 1.2)
"""dlib's scale; a wider engine (SFace's unit vectors reach 2) gets its range from its data."""
FAILED_DISTANCE = 10.0


def distance_range(*groups: Sequence[float]) -> tuple[float, float]:
    """DISTANCE_RANGE, widened to the next 0.2 above the largest measured distance (pairs
    without a template, at `FAILED_DISTANCE`, are left out)."""
    measured = [d for g in groups for d in g if d < FAILED_DISTANCE]
    top = max(measured, default=0.0)
    return (0.0, max(DISTANCE_RANGE[1], math.ceil(top * 5 + 1e-9) / 5))


def verify_svg(report: Mapping[str, Any]) -> str:
    same = metrics.as_scores(report["distances"]["same"])
    different = metrics.as_scores(report["distances"]["different"])
    _, far, tar = metrics.roc_points(same, different)
    far = np.maximum(far, FAR_FLOOR)  # log axis: measured FAR 0 is drawn at the floor
    roc = line_panel("ROC (1:1)", [Series("TAR vs FAR", far.tolist(), tar.tolist())],
                     x_label="false accept rate (log)", y_label="true accept rate",
                     x_range=(FAR_FLOOR, 1.0), y_range=(0.0, 1.0), log_x=True)
    histogram = histogram_panel(
        f"Distances ({report.get('set', 'pairs')}, {report.get('engine', 'dlib')})",
        [("same person", same.tolist()), ("different people", different.tolist())],
        x_range=distance_range(same.tolist(), different.tolist()), marker_x=report["threshold"])
    return figure([roc, histogram])


def identify_svg(report: Mapping[str, Any]) -> str:
    sweep = report["sweep"]
    xs = [row["threshold"] for row in sweep]
    rates = line_panel(
        "Open-set 1:N", [Series("FNIR", xs, [r["fnir"] for r in sweep]),
                         Series("FPIR", xs, [r["fpir"] for r in sweep])],
        x_label="threshold (distance)", y_label="rate", x_range=(xs[0], xs[-1]),
        y_range=(0.0, 1.0), marker_x=report["thresholds"]["match"])
    histogram = histogram_panel(
        "Nearest gallery distance",
        [("mated", report["distances"]["mated"]), ("non-mated", report["distances"]["nonmated"])],
        x_range=distance_range(report["distances"]["mated"], report["distances"]["nonmated"]),
        marker_x=report["thresholds"]["match"])
    return figure([rates, histogram])
