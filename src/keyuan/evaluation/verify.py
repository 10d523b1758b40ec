"""1:1 verification (核验) on labelled pairs: FAR and FRR at the engine's configured threshold
with their exact 95% intervals and the FAR resolution, TAR at fixed FAR, EER, k-fold accuracy
on the folds the file gives, and how often a face could not be found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from keyuan.evaluation import metrics, multiframe
from keyuan.evaluation.faces import FaceRecord
from keyuan.evaluation.metrics import rounded as _r
from keyuan.evaluation.pairs import DEFAULT_FOLDS, PairSet
from keyuan.evaluation.runner import EmbedOptions, embed_photos
from keyuan.evaluation.table import Row, interval, rate, share, side_by_side
from keyuan.services.faces.matching import distance

FARS = (1e-2, 1e-3)
FAILED_DISTANCE = 10.0
"""Distance given to a pair where either photo has no template: a rejection (dlib distances never
exceed ~2, SFace's unit vectors 2), as NIST counts a failure to acquire."""


def run_verify(pairset: PairSet, options: EmbedOptions, threshold: float, *,
               set_name: str = "pairs", probe_frames: int = 1) -> dict[str, Any]:
    """One set on one engine (`options.settings.engine`); with `probe_frames` > 1 also the
    multi-frame probes measured against single frames on the same pairs."""
    paths = [p for pair in pairset.pairs for p in (pair.path_a, pair.path_b)]
    chosen = multiframe.probes(pairset, probe_frames) if probe_frames > 1 else []
    records = embed_photos(paths + [f for probe in chosen for f in probe.frames], options)
    report = verify_report(pairset, records, threshold, set_name=set_name,
                           engine=options.settings.engine)
    if probe_frames > 1:
        report["multi_frame"] = multiframe.multiframe_report(
            pairset, records, probe_frames, threshold, options.settings)
    return report


def pair_scores(pairset: PairSet, records: Mapping[Path, FaceRecord],
                ) -> tuple[metrics.Floats, metrics.Bools]:
    scores = np.array([_pair_distance(records[p.path_a], records[p.path_b])
                       for p in pairset.pairs], dtype=np.float64)
    return scores, np.array([p.same for p in pairset.pairs], dtype=bool)


def verify_report(pairset: PairSet, records: Mapping[Path, FaceRecord], threshold: float, *,
                  set_name: str = "pairs", engine: str = "dlib") -> dict[str, Any]:
    folded = pairset.with_folds()
    scores, same = pair_scores(folded, records)
    genuine, impostor = scores[same], scores[~same]
    eer = metrics.equal_error_rate(genuine, impostor)
    at_far = {f"{far:g}": metrics.tar_at_far(genuine, impostor, far) for far in FARS}
    resolution = 1.0 / max(impostor.size, 1)
    return {
        "kind": "verify", "set": set_name, "engine": engine,
        "pairs": int(scores.size), "same": int(same.sum()), "different": int((~same).sum()),
        "threshold": threshold,
        "accuracy": _r(metrics.accuracy_at(genuine, impostor, threshold)),
        **error_rates(genuine, impostor, threshold),
        "folds": fold_report(folded, scores, same),
        "tar_at_far": {k: _r(v.tar) for k, v in at_far.items()},
        "tar_at_far_threshold": {k: _r(v.threshold) for k, v in at_far.items()},
        "tar_at_far_resolved": {f"{far:g}": bool(far >= resolution - 1e-12) for far in FARS},
        "far_resolution": _r(resolution),
        "eer": _r(eer.eer), "eer_threshold": _r(eer.threshold),
        "best_threshold": _r(metrics.best_threshold(genuine, impostor)),
        "pairs_without_template": int(np.count_nonzero(scores == FAILED_DISTANCE)),
        **photo_counts(records[p] for p in sorted({q for pair in folded.pairs
                                                   for q in (pair.path_a, pair.path_b)})),
        "distances": {"same": [_r(d, 4) for d in genuine.tolist()],
                      "different": [_r(d, 4) for d in impostor.tolist()]},
    }


def error_rates(genuine: metrics.Floats, impostor: metrics.Floats,
                threshold: float) -> dict[str, Any]:
    """FAR and FRR at `threshold`, counted, with exact 95% intervals."""
    far = metrics.clopper_pearson(metrics.accepts(impostor, threshold), int(impostor.size))
    frr = metrics.clopper_pearson(int(genuine.size) - metrics.accepts(genuine, threshold),
                                  int(genuine.size))
    return {"far_at_threshold": _r(far.rate), "frr_at_threshold": _r(frr.rate),
            "false_accepts": far.count, "false_rejects": frr.count,
            "far_ci95": [_r(far.low), _r(far.high)], "frr_ci95": [_r(frr.low), _r(frr.high)],
            "tar_at_threshold": _r(1.0 - frr.rate)}


def fold_report(folded: PairSet, scores: metrics.Floats, same: metrics.Bools) -> dict[str, Any]:
    """k-fold accuracy on the folds as given (any number from two), or why there is none."""
    folds = np.array([p.fold for p in folded.pairs], dtype=np.int_)
    count = int(np.unique(folds).size)
    base = {"count": count, "source": folded.folds_source, "note": _fold_note(folded, count)}
    if count < 2:
        return {**base, "accuracy": None, "accuracy_std": None, "thresholds": []}
    kfold = metrics.kfold_accuracy(scores, same, folds)
    return {**base, "accuracy": _r(kfold.mean), "accuracy_std": _r(kfold.std),
            "thresholds": [_r(t) for t in kfold.thresholds]}


def _fold_note(folded: PairSet, count: int) -> str:
    if folded.folds_source != "file":
        return (f"no fold column: {DEFAULT_FOLDS} deterministic folds by SHA-256 of each pair's"
                " paths (not person-disjoint, unlike LFW's)")
    if count < 2:
        return ("the file gives a single fold: k-fold accuracy needs two or more folds, so it is"
                " not computed (the measures at the configured threshold stand)")
    if count < DEFAULT_FOLDS:
        return f"the file's {count} folds (fewer than {DEFAULT_FOLDS}: used as given)"
    return f"the file's {count} folds"


def photo_counts(records: Any) -> dict[str, Any]:
    """How each distinct photo's face box was found, and the detection failure rate: the share of
    photos where the detector found no face even after padding (whole-crop or nothing)."""
    records = list(records)
    sources = Counter(r.box_source for r in records)
    statuses = Counter(r.status for r in records)
    gates = Counter(r.quality for r in records if r.status == "ok" and r.quality != "ok")
    failed = sources["whole_crop"] + statuses["no_face"]
    return {
        "photos": {"total": len(records), "detected": sources["detected"],
                   "padded": sources["padded"], "whole_crop": sources["whole_crop"],
                   "no_face": statuses["no_face"], "unreadable": statuses["unreadable"],
                   "quality_gate_failures": dict(sorted(gates.items()))},
        "detection_failures": failed,
        "detection_failure_rate": _r(failed / max(len(records), 1)),
    }


def _pair_distance(a: FaceRecord, b: FaceRecord) -> float:
    if a.template is None or b.template is None:
        return FAILED_DISTANCE
    return distance(a.template, b.template)


def summary_lines(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    """All runs in one table, a column per set × engine."""
    columns = [f"{r['set']}/{r['engine']}" for r in reports]
    rows: list[Row] = [
        ("pairs (same / different)", [f"{r['same']} / {r['different']}" for r in reports]),
        ("threshold (configured)", [f"{r['threshold']:.3f}" for r in reports]),
        ("FAR at threshold", [share(r["false_accepts"], r["different"]) for r in reports]),
        ("  95% CI (Clopper-Pearson)", [interval(*r["far_ci95"]) for r in reports]),
        ("  FAR resolution (1/impostor pairs)", [rate(r["far_resolution"]) for r in reports]),
        ("FRR at threshold", [share(r["false_rejects"], r["same"]) for r in reports]),
        ("  95% CI (Clopper-Pearson)", [interval(*r["frr_ci95"]) for r in reports]),
        *[(f"TAR at FAR {far:g}", [_tar_cell(r, f"{far:g}") for r in reports])
          for far in sorted(FARS)],
        ("EER (at distance)", [f"{rate(r['eer'])} ({r['eer_threshold']:.3f})" for r in reports]),
        ("k-fold accuracy", [_kfold_cell(r["folds"]) for r in reports]),
        ("detection failures (photos)", [f"{r['detection_failures']}/{r['photos']['total']}"
                                         for r in reports]),
        ("pairs without a template", [str(r["pairs_without_template"]) for r in reports]),
    ]
    notes = ["* the set cannot resolve this FAR (fewer impostor pairs than 1/FAR): the TAR "
             "shown is at zero impostor accepts"] if any(
        not ok for r in reports for ok in r["tar_at_far_resolved"].values()) else []
    notes += sorted({f"{r['set']}: {r['folds']['note']}" for r in reports})
    return side_by_side("1:1 verification", columns, rows, notes)


def _tar_cell(report: Mapping[str, Any], far: str) -> str:
    mark = "" if report["tar_at_far_resolved"][far] else "*"
    return f"{rate(report['tar_at_far'][far])}{mark}"


def _kfold_cell(folds: Mapping[str, Any]) -> str:
    if folds["accuracy"] is None:
        return f"n/a ({folds['count']} fold)"
    return f"{folds['accuracy']:.4f} ± {folds['accuracy_std']:.4f} ({folds['count']})"
