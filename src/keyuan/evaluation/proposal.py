"""Thresholds proposed per engine from `keyuan eval calibrate` over several labelled sets: the
stricter set wins, and each proposal says what it costs on every set.

- `verify` (1:1 match): the most accepting distance whose counted FAR is at most `targets.far`
  on each set's labelled pairs AND on every different-person pair of the set's photos (many more
  pairs, so a finer resolution, though photos repeat). A count with fewer than 1/far impostor
  pairs cannot resolve that rate: its bound is zero impostor accepts (just below its closest
  impostor pair), and the report says so.
- `verify_review` (edge of the uncertain band): likewise at `targets.review_far`.
- `identify` / `identify_review` (1:N ceilings for small galleries; larger galleries get the
  stricter `threshold_for_gallery`): per set, the stricter of the counted non-mated searches and
  the impostor-tail rule at the set's gallery size, at `targets.fpir` / `review_fpir`.
Every threshold is rounded DOWN to 3 decimals, so rounding never loosens it. Sets without a pairs
file contribute their every-pair distances to 1:1 instead."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keyuan.evaluation import metrics
from keyuan.evaluation.calibrate import Targets, anchor_tails
from keyuan.evaluation.table import Row, interval, share, side_by_side
from keyuan.services.faces.calibration import ImpostorTail, fmr_for_gallery

REVIEW_GAP = 0.005
"""When both 1:N bounds fall on the same counted distance (a coarse set), the review edge is set
this far above the match threshold, and the report says the band was not measured."""


def floor3(value: float) -> float:
    return math.floor(value * 1000.0 + 1e-9) / 1000.0


def _scores(report: Mapping[str, Any], key: str) -> metrics.Floats:
    return metrics.as_scores(report["distances"][key])


def _pairs(report: Mapping[str, Any]) -> tuple[metrics.Floats, metrics.Floats, str]:
    if "pair_same" in report["distances"]:
        return _scores(report, "pair_same"), _scores(report, "pair_different"), "labelled pairs"
    return _scores(report, "all_same"), _scores(report, "all_different"), "every pair of photos"


def _verify_bound(report: Mapping[str, Any], far: float) -> dict[str, Any]:
    genuine, impostor, source = _pairs(report)
    labelled = _bound(genuine, impostor, far)
    every = _bound(_scores(report, "all_same"), _scores(report, "all_different"), far)
    return {"set": report["set"], "bound": min(labelled["bound"], every["bound"]),
            "source": source, "labelled": labelled, "every_pair": every,
            "impostors": labelled["impostors"], "resolution": labelled["resolution"],
            "coarse": labelled["coarse"]}


def _bound(genuine: metrics.Floats, impostor: metrics.Floats, far: float) -> dict[str, Any]:
    resolution = 1.0 / max(impostor.size, 1)
    return {"bound": metrics.tar_at_far(genuine, impostor, far).threshold,
            "impostors": int(impostor.size), "resolution": resolution,
            "coarse": resolution > far + 1e-12}


def _identify_bound(report: Mapping[str, Any], fpir: float) -> dict[str, Any]:
    nonmated = _scores(report, "nonmated")
    fitted = report["impostor_tail"]["fitted"]
    tails = (ImpostorTail(fitted["median"], fitted["sigma"], fitted["source"]),
             *anchor_tails(report["engine"]))
    size = max(1, int(report["gallery_size"]))
    modelled = min(t.threshold_for_fmr(fmr_for_gallery(size, fpir)) for t in tails)
    counted = metrics.threshold_for_fpir(nonmated, fpir)
    return {"set": report["set"], "bound": min(counted, modelled), "counted": counted,
            "modelled": modelled, "searches": int(nonmated.size), "gallery": size,
            "resolution": 1.0 / max(nonmated.size, 1),
            "coarse": 1.0 / max(nonmated.size, 1) > fpir + 1e-12}


def propose(reports: Sequence[Mapping[str, Any]], targets: Targets) -> dict[str, Any]:
    """The four thresholds for one engine (all `reports` are of that engine)."""
    verify = [_verify_bound(r, targets.far) for r in reports]
    review = [_verify_bound(r, targets.review_far) for r in reports]
    ident = [_identify_bound(r, targets.fpir) for r in reports]
    ident_review = [_identify_bound(r, targets.review_fpir) for r in reports]
    t_verify = floor3(min(b["bound"] for b in verify))
    t_review = max(t_verify, floor3(min(b["bound"] for b in review)))
    t_ident = floor3(min(b["bound"] for b in ident))
    t_ident_review = floor3(min(b["bound"] for b in ident_review))
    notes = []
    if t_ident_review <= t_ident:
        t_ident_review = round(t_ident + REVIEW_GAP, 3)
        notes.append(f"1:N review edge: the sets cannot tell FPIR {targets.fpir:g} from "
                     f"{targets.review_fpir:g} apart; set {REVIEW_GAP} above the match threshold")
    thresholds = {"verify": t_verify, "verify_review": t_review, "identify": t_ident,
                  "identify_review": t_ident_review}
    return {"engine": reports[0]["engine"], "thresholds": thresholds,
            "bounds": {"verify": verify, "verify_review": review, "identify": ident,
                       "identify_review": ident_review},
            "per_set": [_costs(r, thresholds) for r in reports], "notes": notes,
            "measured": _measured(reports, thresholds, verify, targets)}


def _costs(report: Mapping[str, Any], t: Mapping[str, float]) -> dict[str, Any]:
    genuine, impostor, _ = _pairs(report)
    every_same, every_diff = _scores(report, "all_same"), _scores(report, "all_different")
    mated, nonmated = _scores(report, "mated"), _scores(report, "nonmated")
    rank1 = np.asarray(report["distances"]["mated_rank1"], dtype=bool)

    def counted(scores: metrics.Floats, threshold: float) -> dict[str, Any]:
        p = metrics.clopper_pearson(metrics.accepts(scores, threshold), int(scores.size))
        return {"count": p.count, "total": p.total, "ci95": [p.low, p.high]}

    return {"set": report["set"],
            **{f"far_{k}": counted(impostor, t[k]) for k in ("verify", "verify_review")},
            **{f"frr_{k}": 1.0 - metrics.accept_rate(genuine, t[k])
               for k in ("verify", "verify_review")},
            "genuine_pairs": int(genuine.size),
            "every_pair_far_verify": counted(every_diff, t["verify"]),
            "every_pair_tar_verify": metrics.accept_rate(every_same, t["verify"]),
            **{f"fpir_{k}": counted(nonmated, t[k]) for k in ("identify", "identify_review")},
            **{f"fnir_{k}": metrics.fnir(mated, rank1, t[k])
               for k in ("identify", "identify_review")}}


def _measured(reports: Sequence[Mapping[str, Any]], t: Mapping[str, float],
              verify: Sequence[Mapping[str, Any]], targets: Targets) -> str:
    parts = []
    for r, b in zip(reports, verify, strict=True):
        genuine, impostor, _ = _pairs(r)
        every = _scores(r, "all_different")
        rule = ("zero impostor accepts: resolution "
                f"{b['resolution']:.2%}" if b["coarse"] else f"FAR <= {targets.far:.1%}")
        parts.append(f"{r['set']} ({b['impostors']} impostor pairs, {rule}; FAR "
                     f"{metrics.accepts(impostor, t['verify'])}/{impostor.size}, "
                     f"{metrics.accepts(every, t['verify'])}/{every.size} over every pair; FRR "
                     f"{1.0 - metrics.accept_rate(genuine, t['verify']):.1%})")
    return (f"`keyuan eval calibrate` on {', '.join(parts)}: verify is the strictest bound of "
            f"all sets; verify_review FAR <= {targets.review_far:.0%} per set; 1:N at FPIR "
            f"{targets.fpir:g}/{targets.review_fpir:g} (counted and impostor-tail rule at each "
            "set's gallery size), stricter by gallery size in threshold_for_gallery.")


def proposal_lines(proposal: Mapping[str, Any], targets: Targets) -> list[str]:
    t, costs = proposal["thresholds"], proposal["per_set"]
    columns = [c["set"] for c in costs]
    bounds = proposal["bounds"]
    rows: list[Row] = []
    for key, rate_name, target in (("verify", "FAR", targets.far),
                                   ("verify_review", "FAR", targets.review_far)):
        rows += [
            (f"{key} {t[key]:.3f} ({rate_name} <= {target:g})", [""] * len(costs)),
            ("  bound: labelled pairs", [_bound_cell(b["labelled"]) for b in bounds[key]]),
            ("  bound: every pair of photos", [_bound_cell(b["every_pair"])
                                               for b in bounds[key]]),
            ("  FAR (labelled pairs)", [share(c[f"far_{key}"]["count"], c[f"far_{key}"]["total"])
                                        for c in costs]),
            ("  95% CI", [interval(*c[f"far_{key}"]["ci95"]) for c in costs]),
            ("  FRR / TAR", [f"{c[f'frr_{key}']:.4f} / {1 - c[f'frr_{key}']:.4f}"
                             for c in costs]),
        ]
        if key == "verify":
            rows += [("  FAR, every different pair", [
                share(c["every_pair_far_verify"]["count"], c["every_pair_far_verify"]["total"])
                for c in costs]),
                ("  TAR, every same pair", [f"{c['every_pair_tar_verify']:.4f}" for c in costs])]
    for key, target in (("identify", targets.fpir), ("identify_review", targets.review_fpir)):
        rows += [
            (f"{key} {t[key]:.3f} (FPIR <= {target:g})", [""] * len(costs)),
            ("  bound: counted / tail rule", [
                f"{_bound_cell(b)} / {b['modelled']:.4f}" for b in bounds[key]]),
            ("  FPIR (non-mated searches)", [share(c[f"fpir_{key}"]["count"],
                                                   c[f"fpir_{key}"]["total"]) for c in costs]),
            ("  FNIR", [f"{c[f'fnir_{key}']:.4f}" for c in costs]),
        ]
    notes = ["bounds: the most accepting distance each measure allows on that set; the smallest "
             "of all wins. ~ = too few pairs to resolve the target: zero accepts used",
             *proposal["notes"]]
    return side_by_side(f"proposed thresholds, {proposal['engine']}", columns, rows, notes)


def _bound_cell(bound: Mapping[str, Any]) -> str:
    value = bound["counted"] if "counted" in bound else bound["bound"]
    return f"{'~' if bound['coarse'] else ''}{value:.4f}"


def paste_block(proposal: Mapping[str, Any]) -> list[str]:
    t = proposal["thresholds"]
    name = f"{proposal['engine'].upper()}_THRESHOLDS"
    parts = [repr(part) for part in textwrap.wrap(proposal["measured"], 80,
                                                  drop_whitespace=False)]
    measured = ["    measured=(" + parts[0], *[" " * 14 + p for p in parts[1:]]]
    measured[-1] += "),"
    return [f"{name} = EngineThresholds(",
            f"    verify={t['verify']}, verify_review={t['verify_review']}, "
            f"identify={t['identify']}, identify_review={t['identify_review']},",
            *measured, ")"]


def tail_lines(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    """The fitted impostor tails, ready for `calibration.ENGINE_TAILS`."""
    lines = []
    for r in reports:
        f = r["impostor_tail"]["fitted"]
        source = (f"{r['set']}, {r['engine']}: {r['impostor_tail']['different_pairs']:,} "
                  "different-person pairs (median, 1% quantile)")
        lines.append(f"    ImpostorTail({f['median']}, {f['sigma']}, {source!r}),")
    return lines
