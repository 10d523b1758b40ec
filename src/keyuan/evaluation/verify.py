"""1:1 verification (核验) on labelled pairs: accuracy at the configured threshold, k-fold
accuracy, TAR at fixed FAR, EER and how often a face could not be found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from keyuan.evaluation import metrics
from keyuan.evaluation.faces import FaceRecord
from keyuan.evaluation.metrics import rounded as _r
from keyuan.evaluation.pairs import PairSet
from keyuan.evaluation.runner import EmbedOptions, embed_photos
from keyuan.services.faces.matching import distance

FARS = (1e-2, 1e-3)
FAILED_DISTANCE = 10.0
"""Distance given to a pair where either photo has no template: a rejection (dlib distances never
exceed ~2), as NIST counts a failure to acquire."""


def run_verify(pairset: PairSet, options: EmbedOptions, threshold: float) -> dict[str, Any]:
    paths = [p for pair in pairset.pairs for p in (pair.path_a, pair.path_b)]
    records = embed_photos(paths, options)
    return verify_report(pairset, records, threshold)


def verify_report(pairset: PairSet, records: Mapping[Path, FaceRecord],
                  threshold: float) -> dict[str, Any]:
    folded = pairset.with_folds()
    scores = np.array([_pair_distance(records[p.path_a], records[p.path_b])
                       for p in folded.pairs])
    same = np.array([p.same for p in folded.pairs], dtype=bool)
    folds = np.array([p.fold for p in folded.pairs], dtype=np.int_)
    genuine, impostor = scores[same], scores[~same]
    kfold = metrics.kfold_accuracy(scores, same, folds)
    eer = metrics.equal_error_rate(genuine, impostor)
    at_far = {f"{far:g}": metrics.tar_at_far(genuine, impostor, far) for far in FARS}
    return {
        "kind": "verify",
        "pairs": int(scores.size), "same": int(same.sum()), "different": int((~same).sum()),
        "threshold": threshold,
        "accuracy": _r(metrics.accuracy_at(genuine, impostor, threshold)),
        "far_at_threshold": _r(metrics.accept_rate(impostor, threshold)),
        "frr_at_threshold": _r(1.0 - metrics.accept_rate(genuine, threshold)),
        "accuracy_10fold": _r(kfold.mean),
        "accuracy_10fold_std": _r(kfold.std),
        "folds": {"count": len(kfold.accuracies), "source": folded.folds_source,
                  "thresholds": [_r(t) for t in kfold.thresholds],
                  "note": _fold_note(folded.folds_source)},
        "tar_at_far": {k: _r(v.tar) for k, v in at_far.items()},
        "tar_at_far_threshold": {k: _r(v.threshold) for k, v in at_far.items()},
        "far_resolution": _r(1.0 / max(impostor.size, 1)),
        "eer": _r(eer.eer), "eer_threshold": _r(eer.threshold),
        "best_threshold": _r(metrics.best_threshold(genuine, impostor)),
        "pairs_without_template": int(np.count_nonzero(scores == FAILED_DISTANCE)),
        **photo_counts(records.values()),
        "distances": {"same": [_r(d, 4) for d in genuine.tolist()],
                      "different": [_r(d, 4) for d in impostor.tolist()]},
    }


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
        "detection_failure_rate": _r(failed / max(len(records), 1)),
    }


def _pair_distance(a: FaceRecord, b: FaceRecord) -> float:
    if a.template is None or b.template is None:
        return FAILED_DISTANCE
    return distance(a.template, b.template)


def _fold_note(source: str) -> str:
    if source == "file":
        return "folds as given by the pairs file"
    return ("the file gives no folds: 10 deterministic folds by SHA-256 of each pair's paths "
            "(not person-disjoint, unlike LFW's)")


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    far = report["tar_at_far"]
    photos = report["photos"]
    return [
        f"1:1 verification over {report['pairs']} pairs ({report['same']} same, "
        f"{report['different']} different)",
        f"  accuracy at threshold {report['threshold']}: {report['accuracy']:.4f} "
        f"(FAR {report['far_at_threshold']:.4f}, FRR {report['frr_at_threshold']:.4f})",
        f"  {report['folds']['count']}-fold accuracy: {report['accuracy_10fold']:.4f} "
        f"± {report['accuracy_10fold_std']:.4f} ({report['folds']['note']})",
        "  TAR at FAR: " + ", ".join(f"{k}: {v:.4f}" for k, v in far.items())
        + f" (smallest measurable FAR {report['far_resolution']:.4g})",
        f"  EER: {report['eer']:.4f} at distance {report['eer_threshold']:.3f}; "
        f"best threshold on this set {report['best_threshold']:.3f}",
        f"  photos: {photos['total']}; face found {photos['detected']}, after padding "
        f"{photos['padded']}, whole crop used {photos['whole_crop']}, none {photos['no_face']}, "
        f"unreadable {photos['unreadable']}; detection failure rate "
        f"{report['detection_failure_rate']:.4f}",
    ]
