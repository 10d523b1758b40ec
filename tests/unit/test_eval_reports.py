"""Identification searches, the levers and the plots on synthetic templates (no dlib)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from keyuan.evaluation.identify import run_searches
from keyuan.evaluation.levers import measure_levers
from keyuan.evaluation.plots import identify_svg, verify_svg
from keyuan.services.faces.engine import TEMPLATE_DIM, Template


def people(counts: dict[str, int], spread: float = 0.03) -> dict[str, list[Template]]:
    rng = np.random.default_rng(11)
    out = {}
    for name, count in counts.items():
        centre = rng.normal(0.0, 0.08, TEMPLATE_DIM)
        out[name] = [(centre + rng.normal(0.0, spread, TEMPLATE_DIM)).astype(np.float32)
                     for _ in range(count)]
    return out


def test_single_photo_identities_are_never_enrolled_and_search_as_strangers() -> None:
    s = run_searches(people({"a": 3, "b": 2, "c": 1, "d": 1}))
    assert s.enrolled == 2
    assert s.mated_distance.size == 3 and bool(s.mated_rank1.all())
    assert s.single_image == 2 and s.held_out == 3
    assert s.nonmated_distance.size == 5
    assert s.nonmated_distance.min() > s.mated_distance.max()


def test_averaging_enrollment_photos_brings_mates_closer() -> None:
    levers = measure_levers(people({f"p{i}": 7 for i in range(6)}, spread=0.05),
                            gallery_size=100, target_fpir=0.001, fixed_threshold=0.5)
    enrollment = levers["enrollment_photos"]
    assert enrollment["1"]["probes"] == enrollment["3"]["probes"] == 6 * 4
    assert enrollment["3"]["fnir_at_fixed_threshold"] <= enrollment["1"]["fnir_at_fixed_threshold"]
    assert levers["probe_photos"]["3"]["probes"] == 6 * 2


def test_levers_need_two_identities_with_enough_photos() -> None:
    assert "skipped" in measure_levers(people({"a": 5, "b": 2}), gallery_size=100,
                                       target_fpir=0.001, fixed_threshold=0.5)


def test_plots_are_well_formed_svg_and_stable() -> None:
    verify = {"threshold": 0.55, "distances": {"same": [0.3, 0.4, 0.5], "different": [0.8, 0.9]}}
    identify = {"thresholds": {"match": 0.4},
                "sweep": [{"threshold": t, "fnir": 1 - t, "fpir": t / 2} for t in (0.3, 0.5)],
                "distances": {"mated": [0.35], "nonmated": [0.9, 1.0]}}
    for svg in (verify_svg(verify), identify_svg(identify)):
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg") and len(root.findall(".//{*}polyline")) >= 1
    assert verify_svg(verify) == verify_svg(verify)


def test_a_wider_engines_distances_widen_the_plot_instead_of_piling_up_at_the_edge() -> None:
    from keyuan.evaluation.plots import distance_range

    assert distance_range([0.3, 0.9]) == (0.0, 1.2)  # dlib's scale
    assert distance_range([0.7], [1.31, 1.45]) == (0.0, 1.6)  # SFace's
    assert distance_range([0.4], [10.0]) == (0.0, 1.2)  # no template: not a distance
