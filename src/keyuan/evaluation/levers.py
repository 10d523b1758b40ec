"""The two levers against misses at a fixed false-positive rate: averaging several enrollment
photos into one template, and averaging several probe photos. Pure numpy over templates.

Only identities with at least `MIN_PHOTOS` usable photos take part, so every configuration runs
on the same people. Enrollment lever: the gallery template is the mean of the first k photos and
the probes are always the photos after the first `MIN_PHOTOS - 1`. Probe lever: a single-photo
gallery; probes are means of m consecutive, disjoint later photos. Averaging moves impostor
distances too, so each configuration gets its own threshold for the same FPIR (its own impostor
tail, `calibration.fit_tail` at the 5% quantile, as its impostor sample is small). The photos are
distinct pictures, more varied than a kiosk's consecutive frames: real frames gain less."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from keyuan.evaluation import metrics
from keyuan.services.faces.calibration import fit_tail, fmr_for_gallery
from keyuan.services.faces.engine import Template

MIN_PHOTOS = 4
LEVER_STEPS = (1, 2, 3)
LEVER_FIT_QUANTILE = 0.05
NOTE = ("Same identities in every configuration; each configuration gets its own threshold for "
        "the same FPIR (its own impostor tail, 5% quantile fit). The photos are distinct "
        "pictures, more varied than a kiosk's consecutive frames: real frames gain less.")


def _mean(templates: Sequence[Template]) -> Template:
    return np.asarray(np.mean(np.stack(templates), axis=0), dtype=np.float32)


def _config(gallery: Mapping[str, Template], probes: Mapping[str, list[Template]],
            target_fmr: float, fixed_threshold: float) -> dict[str, Any]:
    names = list(gallery)
    matrix = np.stack([gallery[n] for n in names]).astype(np.float64)
    mated_d, hits, impostor = [], [], []
    for name, templates in probes.items():
        for probe in templates:
            distances = np.linalg.norm(matrix - probe, axis=1)
            own = names.index(name)
            mated_d.append(distances[own])
            hits.append(int(np.argmin(distances)) == own)
            impostor += np.delete(distances, own).tolist()
    mated, rank1 = np.array(mated_d), np.array(hits, dtype=bool)
    tail = fit_tail(np.array(impostor), "this configuration", LEVER_FIT_QUANTILE)
    threshold = tail.threshold_for_fmr(target_fmr)
    return {"probes": int(mated.size), "impostor_pairs": len(impostor),
            "threshold_at_target": round(threshold, 4),
            "fnir_at_target": round(metrics.fnir(mated, rank1, threshold), 6),
            "fnir_at_fixed_threshold": round(metrics.fnir(mated, rank1, fixed_threshold), 6),
            "modelled_fmr_at_fixed_threshold": float(f"{tail.fmr(fixed_threshold):.3g}"),
            "rank1": round(float(np.mean(rank1)), 6)}


def measure_levers(templates: Mapping[str, list[Template]], *, gallery_size: int,
                   target_fpir: float, fixed_threshold: float) -> dict[str, Any]:
    people = {n: ts for n, ts in templates.items() if len(ts) >= MIN_PHOTOS}
    if len(people) < 2:
        return {"skipped": f"fewer than two identities with {MIN_PHOTOS} usable photos"}
    fmr = fmr_for_gallery(gallery_size, target_fpir)
    enrollment = {
        str(k): _config({n: _mean(ts[:k]) for n, ts in people.items()},
                        {n: ts[MIN_PHOTOS - 1:] for n, ts in people.items()},
                        fmr, fixed_threshold)
        for k in LEVER_STEPS
    }
    probe = {
        str(m): _config({n: ts[0] for n, ts in people.items()},
                        {n: [_mean(ts[i:i + m]) for i in range(1, len(ts) - m + 1, m)]
                         for n, ts in people.items()},
                        fmr, fixed_threshold)
        for m in LEVER_STEPS
    }
    return {
        "identities": len(people), "min_photos": MIN_PHOTOS,
        "fixed_fpir": {"target_fpir": target_fpir, "gallery_size": gallery_size,
                       "per_comparison_fmr": float(f"{fmr:.3g}")},
        "fixed_threshold": fixed_threshold,
        "enrollment_photos": enrollment,
        "probe_photos": probe,
        "note": NOTE,
    }
