"""1:N identification (辨识) over a folder of `<identity>/<photos>`: the first photo of each
identity with two or more is enrolled, the rest are mated searches. Non-mated searches are the
photos of single-photo identities (never enrolled) plus, to have more than a handful, every
enrolled identity's other photos searched with that identity taken out of the gallery."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from keyuan.config.face import FaceSettings
from keyuan.domain.errors import KeyuanError
from keyuan.evaluation import metrics
from keyuan.evaluation.faces import FaceRecord
from keyuan.evaluation.metrics import rounded as _r
from keyuan.evaluation.runner import EmbedOptions, embed_photos
from keyuan.evaluation.table import Row, interval, rate, share, side_by_side
from keyuan.evaluation.verify import photo_counts
from keyuan.services.faces.engine import Template
from keyuan.services.faces.gallery import Gallery

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
SWEEP_STEPS = 21
SWEEP_BELOW, SWEEP_ABOVE = 0.25, 0.15
"""The sweep spans from this far below the match threshold to this far above the review edge:
each engine's distances live on their own scale."""
INF = float("inf")


class IdentitiesFolderInvalid(KeyuanError):
    code, status = "identities_folder_invalid", 400
    default_message = "The folder holds no <identity>/<photo> files."


@dataclass(frozen=True)
class LabelledPhotos:
    """Usable templates per identity, in file-name order, and every photo's record."""

    templates: dict[str, list[Template]]
    records: dict[Path, FaceRecord]


def list_identities(root: Path) -> dict[str, list[Path]]:
    people = {
        folder.name: sorted(p for p in folder.iterdir()
                            if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
        for folder in sorted(root.iterdir()) if folder.is_dir()
    } if root.is_dir() else {}
    people = {name: photos for name, photos in people.items() if photos}
    if not people:
        raise IdentitiesFolderInvalid(f"No <identity>/<photo> files under {root}.")
    return people


def load_labelled(root: Path, options: EmbedOptions) -> LabelledPhotos:
    people = list_identities(root)
    records = embed_photos([p for photos in people.values() for p in photos], options)
    templates = {name: [t for p in photos if (t := records[p].template) is not None]
                 for name, photos in people.items()}
    return LabelledPhotos(templates, records)


@dataclass(frozen=True)
class Searches:
    mated_distance: metrics.Floats
    mated_rank1: metrics.Bools
    nonmated_distance: metrics.Floats
    single_image: int
    held_out: int
    enrolled: int


def run_searches(templates: Mapping[str, list[Template]]) -> Searches:
    """Enroll the first template of each identity that has more; search with everything else."""
    enrolled = {name: ts[0] for name, ts in templates.items() if len(ts) >= 2}
    gallery = Gallery(capacity=max(1, len(enrolled)))
    gallery.add_many(list(enrolled), np.stack(list(enrolled.values())))
    mated_d, mated_hit, nonmated = [], [], []
    for name, ts in templates.items():
        if name not in enrolled:
            nonmated += [_nearest(gallery, t)[1] for t in ts]
            continue
        for probe in ts[1:]:
            key, d = _nearest(gallery, probe)
            mated_d.append(d)
            mated_hit.append(key == name)
    held_out = 0
    for name, ts in templates.items():
        if name in enrolled and len(enrolled) > 1:
            gallery.remove(name)
            nonmated += [_nearest(gallery, t)[1] for t in ts[1:]]
            held_out += len(ts) - 1
            gallery.add(name, enrolled[name])
    single = sum(len(ts) for n, ts in templates.items() if n not in enrolled)
    return Searches(np.array(mated_d), np.array(mated_hit, dtype=bool), np.array(nonmated),
                    single, held_out, len(enrolled))


def _nearest(gallery: Gallery, probe: Template) -> tuple[str | None, float]:
    result = gallery.identify(probe, INF, INF)  # no cut-off: the nearest, whatever its distance
    return result.key, INF if result.distance is None else result.distance


def sweep(match: float, review: float) -> tuple[float, ...]:
    low, high = max(0.0, match - SWEEP_BELOW), review + SWEEP_ABOVE
    return tuple(round(float(t), 3) for t in np.linspace(low, high, SWEEP_STEPS))


def identify_report(photos: LabelledPhotos, settings: FaceSettings, *,
                    set_name: str = "identities") -> dict[str, Any]:
    """1:N on one set with the thresholds of the engine `settings.engine`."""
    s = run_searches(photos.templates)
    bands = settings.thresholds_for(settings.engine)
    match, review = bands.identify, bands.identify_review
    nonmated = int(s.nonmated_distance.size)
    false_matches = metrics.clopper_pearson(
        int(np.count_nonzero(s.nonmated_distance <= match)), nonmated)
    return {
        "kind": "identify", "set": set_name, "engine": settings.engine,
        "identities": len(photos.templates), "gallery_size": s.enrolled,
        "mated_searches": int(s.mated_distance.size),
        "nonmated_searches": {"total": int(s.nonmated_distance.size),
                              "single_image_identities": s.single_image,
                              "held_out_of_gallery": s.held_out},
        "rank1": _r(float(np.mean(s.mated_rank1)) if s.mated_rank1.size else 0.0),
        "thresholds": {"match": match, "review": review},
        "at_match_threshold": _rates(s, match),
        "at_review_edge": _rates(s, review),
        "fpir_at_match_ci95": [_r(false_matches.low), _r(false_matches.high)],
        "false_matches": false_matches.count,
        "fpir_resolution": _r(1.0 / max(nonmated, 1)),
        "sweep": [{"threshold": t, **_rates(s, t)} for t in sweep(match, review)],
        **photo_counts(photos.records.values()),
        "distances": {"mated": [_r(d, 4) for d in s.mated_distance.tolist()],
                      "mated_rank1": s.mated_rank1.tolist(),
                      "nonmated": [_r(d, 4) for d in s.nonmated_distance.tolist()]},
    }


def _rates(s: Searches, threshold: float) -> dict[str, float]:
    return {"fnir": _r(metrics.fnir(s.mated_distance, s.mated_rank1, threshold)),
            "fpir": _r(metrics.fpir(s.nonmated_distance, threshold))}


def summary_lines(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    """All runs in one table, a column per set × engine."""
    columns = [f"{r['set']}/{r['engine']}" for r in reports]
    rows: list[Row] = [
        ("identities / gallery", [f"{r['identities']} / {r['gallery_size']}" for r in reports]),
        ("mated / non-mated searches", [f"{r['mated_searches']} / {r['nonmated_searches']['total']}"
                                        for r in reports]),
        ("rank-1", [rate(r["rank1"]) for r in reports]),
        ("thresholds (match / review)", [f"{r['thresholds']['match']:g} / "
                                         f"{r['thresholds']['review']:g}" for r in reports]),
        ("FPIR at match", [share(r["false_matches"], r["nonmated_searches"]["total"])
                           for r in reports]),
        ("  95% CI (Clopper-Pearson)", [interval(*r["fpir_at_match_ci95"]) for r in reports]),
        ("  FPIR resolution", [rate(r["fpir_resolution"]) for r in reports]),
        ("FNIR at match", [rate(r["at_match_threshold"]["fnir"]) for r in reports]),
        ("FPIR / FNIR at review edge", [f"{rate(r['at_review_edge']['fpir'])} / "
                                        f"{rate(r['at_review_edge']['fnir'])}" for r in reports]),
        ("detection failures (photos)", [f"{r['detection_failures']}/{r['photos']['total']}"
                                         for r in reports]),
    ]
    notes = ["non-mated searches: photos of never-enrolled identities plus every enrolled "
             "identity's other photos searched with that identity held out of the gallery"]
    return side_by_side("1:N identification", columns, rows, notes)
