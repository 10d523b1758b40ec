"""`keyuan eval calibrate`: thresholds for a target FPIR (1:N) and FAR (1:1) from an identify
run, what they cost in misses, the rule for the live gallery size, and the two levers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from keyuan.config.face import FaceSettings
from keyuan.evaluation import metrics
from keyuan.evaluation.identify import LabelledPhotos, Searches, run_searches
from keyuan.evaluation.levers import measure_levers
from keyuan.evaluation.metrics import rounded as _r
from keyuan.services.faces.calibration import (
    DEFAULT_REVIEW_FPIR,
    DEFAULT_TARGET_FAR,
    DEFAULT_TARGET_FPIR,
    LFW_ANCHORED_TAIL,
    ImpostorTail,
    fit_tail,
    fmr_for_gallery,
    predicted_fpir,
)
from keyuan.services.faces.engine import Template

GALLERY_SIZES = (100, 1_000, 10_000, 100_000)
LEVER_GALLERY_SIZE = 1_000
RULE = "t(n) = median + sigma * Phi^-1(1 - (1 - FPIR)^(1/n)); the stricter of the two tails"


DEFAULT_REVIEW_FAR = 0.01
"""1:1 uncertain band's outer edge: at most 1 in 100 impostor claims reaches review."""


@dataclass(frozen=True)
class Targets:
    fpir: float = DEFAULT_TARGET_FPIR
    review_fpir: float = DEFAULT_REVIEW_FPIR
    far: float = DEFAULT_TARGET_FAR
    review_far: float = DEFAULT_REVIEW_FAR


def all_pairs(templates: Mapping[str, list[Template]]) -> tuple[metrics.Floats, metrics.Floats]:
    """(same-person, different-person) distances over every pair of usable photos."""
    names = sorted(templates)
    rows = [(n, t) for n in names for t in templates[n]]
    if len(rows) < 2:
        return np.array([]), np.array([])
    labels = np.array([n for n, _ in rows])
    matrix = np.stack([t for _, t in rows]).astype(np.float64)
    squared = np.sum((matrix[:, None, :] - matrix[None, :, :]) ** 2, axis=2)
    upper = np.triu_indices(len(rows), k=1)
    distances = np.sqrt(squared[upper])
    same = labels[upper[0]] == labels[upper[1]]
    return distances[same], distances[~same]


def anchor_tails(kind: str) -> tuple[ImpostorTail, ...]:
    """Tails measured elsewhere that a run's own fit must not be looser than: LFW's, on dlib's
    scale only (another engine's distances live on another scale)."""
    return (LFW_ANCHORED_TAIL,) if kind == "dlib" else ()


def calibrate_report(photos: LabelledPhotos, settings: FaceSettings,
                     targets: Targets, *, set_name: str = "identities",
                     pair_scores: tuple[metrics.Floats, metrics.Floats] | None = None,
                     ) -> dict[str, Any]:
    """One set on one engine: the gallery-size rule, the counted thresholds, the levers, and the
    distances `proposal.propose` needs (the set's labelled pairs when it has a pairs file, every
    pair of its photos, and the 1:N searches)."""
    genuine, impostor = all_pairs(photos.templates)
    fitted = fit_tail(impostor, f"{set_name}: {impostor.size} different-person pairs")
    tails = (fitted, *anchor_tails(settings.engine))
    searches = run_searches(photos.templates)
    sizes = (searches.enrolled, *GALLERY_SIZES)
    lever_threshold = _strictest(tails, LEVER_GALLERY_SIZE, targets.fpir)
    return {
        "kind": "calibrate", "set": set_name, "engine": settings.engine,
        "targets": {"fpir": targets.fpir, "review_fpir": targets.review_fpir,
                    "far": targets.far, "review_far": targets.review_far},
        "gallery_size": searches.enrolled,
        "impostor_tail": {"fitted": _tail(fitted),
                          **({"lfw_anchored": _tail(LFW_ANCHORED_TAIL)} if len(tails) > 1
                             else {}),
                          "different_pairs": int(impostor.size), "same_pairs": int(genuine.size)},
        "rule": RULE,
        "identification": [
            _at_size(n, searches, tails, targets, measured=(n == searches.enrolled))
            for n in sizes
        ],
        "empirical_at_largest_gallery": _empirical(searches, targets),
        "verification": _verification(genuine, impostor, tails, targets.far),
        "current_settings": settings.thresholds_for(settings.engine).model_dump(mode="json"),
        "levers": measure_levers(photos.templates, gallery_size=LEVER_GALLERY_SIZE,
                                 target_fpir=targets.fpir, fixed_threshold=_r(lever_threshold, 4)),
        "synthetic_distractors": "none: sizes beyond the measured gallery are extrapolated "
                                 "with the rule above, not simulated",
        "distances": _distances(genuine, impostor, searches, pair_scores),
    }


def _distances(genuine: metrics.Floats, impostor: metrics.Floats, searches: Searches,
               pair_scores: tuple[metrics.Floats, metrics.Floats] | None) -> dict[str, Any]:
    def listed(values: metrics.Floats) -> list[float]:
        return [_r(v, 5) for v in values.tolist()]

    return {"all_same": listed(genuine), "all_different": listed(impostor),
            "mated": listed(searches.mated_distance),
            "mated_rank1": searches.mated_rank1.tolist(),
            "nonmated": listed(searches.nonmated_distance),
            **({"pair_same": listed(pair_scores[0]), "pair_different": listed(pair_scores[1])}
               if pair_scores is not None else {})}


def _strictest(tails: tuple[ImpostorTail, ...], size: int, fpir: float) -> float:
    fmr = fmr_for_gallery(size, fpir)
    return min(t.threshold_for_fmr(fmr) for t in tails)


def _tail(tail: ImpostorTail) -> dict[str, Any]:
    return {"median": tail.median, "sigma": tail.sigma, "source": tail.source}


def _at_size(size: int, s: Searches, tails: tuple[ImpostorTail, ...], targets: Targets,
             measured: bool) -> dict[str, Any]:
    match = _strictest(tails, size, targets.fpir)
    review = max(match, _strictest(tails, size, targets.review_fpir))
    binding = min(tails, key=lambda t: t.threshold_for_fmr(fmr_for_gallery(size, targets.fpir)))
    return {
        "gallery_size": size,
        "basis": "measured gallery" if measured else "extrapolated by the rule",
        "match_threshold": _r(match, 4), "review_threshold": _r(review, 4),
        "binding_tail": "fitted" if binding is tails[0] else "lfw_anchored",
        "fnir_at_match": _r(metrics.fnir(s.mated_distance, s.mated_rank1, match)),
        "fnir_at_review": _r(metrics.fnir(s.mated_distance, s.mated_rank1, review)),
        "predicted_fpir_fitted_tail": float(f"{predicted_fpir(tails[0], size, match):.3g}"),
        **({"measured_fpir_at_match": _r(metrics.fpir(s.nonmated_distance, match))}
           if measured else {}),
    }


def _empirical(s: Searches, targets: Targets) -> dict[str, Any]:
    """Counted, not modelled: the most accepting thresholds this run's non-mated searches allow."""
    n = int(s.nonmated_distance.size)
    match = metrics.threshold_for_fpir(s.nonmated_distance, targets.fpir)
    review = metrics.threshold_for_fpir(s.nonmated_distance, targets.review_fpir)
    return {"gallery_size": s.enrolled, "nonmated_searches": n,
            "smallest_measurable_fpir": _r(1.0 / max(n, 1)),
            "match_threshold": _r(match, 4), "review_threshold": _r(review, 4),
            "fnir_at_match": _r(metrics.fnir(s.mated_distance, s.mated_rank1, match)),
            "fnir_at_review": _r(metrics.fnir(s.mated_distance, s.mated_rank1, review))}


def _verification(genuine: metrics.Floats, impostor: metrics.Floats,
                  tails: tuple[ImpostorTail, ...], far: float) -> dict[str, Any]:
    """1:1 (claimed identity): one comparison per claim, so no gallery-size growth."""
    threshold = min(t.threshold_for_fmr(far) for t in tails)
    measured = metrics.tar_at_far(genuine, impostor, far)
    return {"target_far": far, "threshold": _r(threshold, 4),
            "tar_at_threshold": _r(metrics.accept_rate(genuine, threshold)),
            "measured_far_at_threshold": _r(metrics.accept_rate(impostor, threshold)),
            "empirical_threshold": _r(measured.threshold, 4),
            "empirical_tar": _r(measured.tar)}


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    tails = report["impostor_tail"]
    fitted, anchored = tails["fitted"], tails.get("lfw_anchored")
    t = report["targets"]
    lines = [
        f"calibration of {report['set']}/{report['engine']} for FPIR {t['fpir']:g} (review edge "
        f"{t['review_fpir']:g}), 1:1 FAR {t['far']:g}",
        f"  impostor tail: fitted median {fitted['median']} sigma {fitted['sigma']} over "
        f"{tails['different_pairs']} pairs"
        + (f"; LFW-anchored sigma {anchored['sigma']}" if anchored else ""),
        f"  rule: {report['rule']}",
        "  gallery   match  review  FNIR@match  FNIR@review  basis",
    ]
    for row in report["identification"]:
        lines.append(f"  {row['gallery_size']:>7,}  {row['match_threshold']:.3f}  "
                     f"{row['review_threshold']:.3f}  {row['fnir_at_match']:10.4f}  "
                     f"{row['fnir_at_review']:11.4f}  {row['basis']} ({row['binding_tail']})")
    e, v = report["empirical_at_largest_gallery"], report["verification"]
    lines += [
        f"  counted on {e['nonmated_searches']} non-mated searches (gallery {e['gallery_size']}, "
        f"smallest measurable FPIR {e['smallest_measurable_fpir']:.4f}): match "
        f"{e['match_threshold']:.3f} (FNIR {e['fnir_at_match']:.4f})",
        f"  1:1 verification at FAR {v['target_far']:g}: threshold {v['threshold']:.3f}, "
        f"TAR {v['tar_at_threshold']:.4f} (measured FAR {v['measured_far_at_threshold']:.4f})",
    ]
    return lines + _lever_lines(report["levers"])


def _lever_lines(levers: Mapping[str, Any]) -> list[str]:
    if "skipped" in levers:
        return [f"  levers: skipped, {levers['skipped']}"]
    fixed = levers["fixed_fpir"]
    lines = [f"  levers ({levers['identities']} identities with >= {levers['min_photos']} photos;"
             f" FNIR at FPIR {fixed['target_fpir']:g} over {fixed['gallery_size']:,}):"]
    for label, key in (("enrollment photos", "enrollment_photos"),
                       ("probe photos", "probe_photos")):
        lines += [f"    {label} {k}: FNIR {row['fnir_at_target']:.4f} at threshold "
                  f"{row['threshold_at_target']:.3f} ({row['probes']} probes); at fixed "
                  f"{levers['fixed_threshold']:.3f}: FNIR {row['fnir_at_fixed_threshold']:.4f}"
                  for k, row in levers[key].items()]
    return lines
