"""The gallery-size rule and the impostor-tail model behind it."""

from __future__ import annotations

import numpy as np
import pytest

from keyuan.services.faces import calibration as cal


def test_the_threshold_tightens_as_the_gallery_grows() -> None:
    sizes = [1, 20, 100, 1_000, 10_000, 100_000]
    thresholds = [cal.threshold_for_gallery(n) for n in sizes]
    assert thresholds == sorted(thresholds, reverse=True)
    assert len(set(thresholds)) == len(thresholds)


def test_the_rule_meets_its_target_fpir_under_each_tail() -> None:
    for n in (100, 1_000, 50_000):
        t = cal.threshold_for_gallery(n, 0.001)
        for tail in cal.PRODUCT_TAILS:
            assert cal.predicted_fpir(tail, n, t) <= 0.001 * 1.01


def test_the_lfw_anchored_tail_reproduces_the_lfw_measurement_it_was_set_from() -> None:
    # docs/ARCHITECTURE.md: about 20% of strangers matched at 0.5 over a 1,600-person gallery.
    fpir = cal.predicted_fpir(cal.LFW_ANCHORED_TAIL, 1_600, 0.5)
    assert fpir == pytest.approx(0.20, abs=0.01)


def test_the_stricter_tail_wins() -> None:
    loose = cal.ImpostorTail(0.9, 0.05, "narrow")
    strict = cal.ImpostorTail(0.9, 0.15, "wide")
    both = cal.threshold_for_gallery(1_000, 0.001, (loose, strict))
    assert both == cal.threshold_for_gallery(1_000, 0.001, (strict,))
    assert both < cal.threshold_for_gallery(1_000, 0.001, (loose,))


def test_a_tail_fitted_to_normal_distances_recovers_median_and_sigma() -> None:
    distances = np.random.default_rng(7).normal(0.88, 0.09, 200_000)
    tail = cal.fit_tail(distances, "synthetic")
    assert tail.median == pytest.approx(0.88, abs=0.002)
    assert tail.sigma == pytest.approx(0.09, abs=0.002)


def test_per_comparison_fmr_is_about_fpir_over_gallery_size() -> None:
    assert cal.fmr_for_gallery(1_000, 0.001) == pytest.approx(1e-6, rel=1e-3)
    assert cal.fmr_for_gallery(1, 0.01) == pytest.approx(0.01)
    with pytest.raises(ValueError):
        cal.fmr_for_gallery(0, 0.01)
    with pytest.raises(ValueError):
        cal.fmr_for_gallery(10, 1.0)


def test_each_engine_has_its_own_tails_and_an_unmeasured_engine_is_refused() -> None:
    assert cal.threshold_for_gallery(1_000) == cal.threshold_for_gallery(1_000, kind="dlib")
    for kind, tails in cal.ENGINE_TAILS.items():
        assert cal.threshold_for_gallery(1_000, 0.001, kind=kind) == \
            cal.threshold_for_gallery(1_000, 0.001, tails)
    with pytest.raises(ValueError, match="arcface"):
        cal.threshold_for_gallery(1_000, kind="arcface")
