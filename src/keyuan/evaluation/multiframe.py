"""Multi-frame probes: a probe as the aggregate of K photos of one person, measured against a
single frame on the same pairs, so a return visit, the signing desk or the rights desk can be
decided on several frames only where that helps.

For a pair (reference A, probe B) the K frames are B and K-1 other photos of B's identity (B's
folder), never A; they are chosen by SHA-256 order (deterministic, not by how well they match).
A pair whose identity has too few other photos takes no part, in any variant: every variant is
measured on the same pairs. Frames where no face was found are dropped, as a kiosk would.

Two aggregates, both on the engine's scale:
- `mean`: the mean of the frames' unit templates, renormalised and scaled to the frames' mean norm
  (SFace's templates are unit vectors; dlib's are close to it);
- `quality_weighted`: the same mean, each frame weighted by `quality_weight` (the engine's
  quality measures: detector confidence, sharpness and face size, each capped at 1).
Averaging pulls a probe towards its person's centre, which also moves impostor distances (they
shrink as noise is averaged out): each variant is read at the configured threshold AND at its own
threshold for a fixed FAR, and the impostor medians are reported beside the genuine ones."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from keyuan.config.face import FaceSettings
from keyuan.evaluation import metrics
from keyuan.evaluation.faces import FaceRecord
from keyuan.evaluation.metrics import rounded as _r
from keyuan.evaluation.pairs import Pair, PairSet
from keyuan.evaluation.table import Row, interval, rate, share, side_by_side
from keyuan.services.faces.engine import Template
from keyuan.services.faces.matching import distance
from keyuan.services.faces.probe import frame_weight

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
VARIANTS = ("single", "mean", "quality_weighted")
FARS = (1e-2, 1e-3)
FAILED_DISTANCE = 10.0
"""A frame embedded without a detector box (whole crop, score 0) still counts, barely."""


@dataclass(frozen=True)
class Probe:
    pair: Pair
    frames: tuple[Path, ...]
    """The probe photo first, then the other frames."""


def probes(pairset: PairSet, k: int) -> list[Probe]:
    """Every pair whose probe identity has k-1 photos besides the two of the pair."""
    folders: dict[Path, list[Path]] = {}
    chosen = []
    for pair in pairset.pairs:
        folder = pair.path_b.parent
        if folder not in folders:
            folders[folder] = sorted(p for p in folder.iterdir()
                                     if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
        others = [p for p in folders[folder] if p not in (pair.path_a, pair.path_b)]
        if len(others) < k - 1:
            continue
        others.sort(key=lambda p: hashlib.sha256(f"{pair.path_b}|{p}".encode()).digest())
        chosen.append(Probe(pair, (pair.path_b, *others[:k - 1])))
    return chosen


def quality_weight(record: FaceRecord, settings: FaceSettings) -> float:
    """The product's own frame weight (`services.faces.probe.frame_weight`) of one photo."""
    return frame_weight(detector_score=record.detector_score, sharpness=record.sharpness,
                        face_px=record.face_px, settings=settings)


def aggregate(frames: Sequence[FaceRecord], weights: Sequence[float] | None) -> Template | None:
    usable = [(r.template, 1.0 if weights is None else w)
              for r, w in zip(frames, weights or [1.0] * len(frames), strict=True)
              if r.template is not None]
    if not usable:
        return None
    stacked = np.stack([t for t, _ in usable]).astype(np.float64)
    norms = np.linalg.norm(stacked, axis=1, keepdims=True)
    units = stacked / np.maximum(norms, 1e-12)
    w = np.array([weight for _, weight in usable])[:, None]
    mean = (units * w).sum(axis=0) / w.sum()
    length = float(np.linalg.norm(mean))
    scaled = mean / max(length, 1e-12) * float(norms.mean())
    return np.asarray(scaled, dtype=np.float32)


def multiframe_report(pairset: PairSet, records: Mapping[Path, FaceRecord], k: int,
                      threshold: float, settings: FaceSettings) -> dict[str, Any]:
    chosen = probes(pairset, k)
    same = np.array([p.pair.same for p in chosen], dtype=bool)
    base = {"k": k, "eligible_pairs": len(chosen), "of_pairs": len(pairset.pairs),
            "same": int(same.sum()), "different": int((~same).sum()), "threshold": threshold}
    if not same.any() or same.all():
        return {**base, "skipped": f"too few pairs with {k} photos of the probe's identity "
                                   "(needs both same and different pairs)"}
    scores = {variant: np.array([_distance(records, p, variant, settings) for p in chosen])
              for variant in VARIANTS}
    return {**base, "variants": {v: _variant(s[same], s[~same], threshold)
                                 for v, s in scores.items()}}


def _distance(records: Mapping[Path, FaceRecord], probe: Probe, variant: str,
              settings: FaceSettings) -> float:
    reference = records[probe.pair.path_a].template
    frames = [records[p] for p in probe.frames]
    if variant == "single":
        template = frames[0].template
    else:
        weights = ([quality_weight(r, settings) for r in frames]
                   if variant == "quality_weighted" else None)
        template = aggregate(frames, weights)
    if reference is None or template is None:
        return FAILED_DISTANCE
    return distance(reference, template)


def _variant(genuine: metrics.Floats, impostor: metrics.Floats,
             threshold: float) -> dict[str, Any]:
    far = metrics.clopper_pearson(metrics.accepts(impostor, threshold), int(impostor.size))
    frr = metrics.clopper_pearson(int(genuine.size) - metrics.accepts(genuine, threshold),
                                  int(genuine.size))
    at_far = {f"{f:g}": metrics.tar_at_far(genuine, impostor, f) for f in FARS}
    return {"false_accepts": far.count, "far_ci95": [_r(far.low), _r(far.high)],
            "false_rejects": frr.count, "frr_ci95": [_r(frr.low), _r(frr.high)],
            "tar_at_threshold": _r(1.0 - frr.rate),
            "tar_at_far": {key: _r(p.tar) for key, p in at_far.items()},
            "eer": _r(metrics.equal_error_rate(genuine, impostor).eer),
            "genuine_median": _r(float(np.median(genuine)), 4),
            "impostor_median": _r(float(np.median(impostor)), 4),
            "impostor_min": _r(float(np.min(impostor)), 4)}


def summary_lines(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    """One table per set: a column per engine × variant."""
    lines: list[str] = []
    for set_name in dict.fromkeys(r["set"] for r in reports):
        runs = [r for r in reports if r["set"] == set_name and "multi_frame" in r]
        measured = [r for r in runs if "variants" in r["multi_frame"]]
        for r in runs:
            if "skipped" in r["multi_frame"]:
                lines.append(f"multi-frame probes, {set_name}/{r['engine']}: "
                             f"{r['multi_frame']['skipped']}")
        if measured:
            lines += ["", *_table(set_name, measured)]
    return lines


def _mark(far: float, impostors: int) -> str:
    """`*` where the pairs cannot resolve `far`: the TAR is then at zero impostor accepts."""
    return "*" if far < 1.0 / max(impostors, 1) - 1e-12 else ""


def _table(set_name: str, runs: Sequence[Mapping[str, Any]]) -> list[str]:
    columns, cells = [], []
    for r in runs:
        for v in VARIANTS:
            columns.append(f"{r['engine']}/{v.replace('quality_weighted', 'q-weighted')}")
            cells.append((r["multi_frame"], r["multi_frame"]["variants"][v]))
    first = runs[0]["multi_frame"]
    rows: list[Row] = [
        ("threshold (configured)", [f"{m['threshold']:.3f}" for m, _ in cells]),
        ("FAR at threshold", [share(v["false_accepts"], m["different"]) for m, v in cells]),
        ("  95% CI", [interval(*v["far_ci95"]) for _, v in cells]),
        ("FRR at threshold", [share(v["false_rejects"], m["same"]) for m, v in cells]),
        ("  95% CI", [interval(*v["frr_ci95"]) for _, v in cells]),
        *[(f"TAR at FAR {f}", [rate(v["tar_at_far"][f]) + _mark(float(f), m["different"])
                                for m, v in cells]) for f in ("0.01", "0.001")],
        ("EER", [rate(v["eer"]) for _, v in cells]),
        ("median distance genuine", [f"{v['genuine_median']:.3f}" for _, v in cells]),
        ("median distance impostor", [f"{v['impostor_median']:.3f}" for _, v in cells]),
        ("closest impostor", [f"{v['impostor_min']:.3f}" for _, v in cells]),
    ]
    notes = [f"{first['eligible_pairs']} of {first['of_pairs']} pairs have {first['k']} photos of "
             f"the probe's identity ({first['same']} same, {first['different']} different); "
             "every variant on these pairs. Averaging moves impostor distances too: compare "
             "TAR at a fixed FAR, not only at the threshold. * = FAR finer than these pairs "
             "resolve: TAR at zero impostor accepts."]
    return side_by_side(f"multi-frame probes (K={first['k']}), {set_name}", columns, rows, notes)
