"""Error-rate arithmetic on synthetic distances with known answers (accept when d <= t)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyuan.evaluation import metrics

SCORES = st.lists(st.floats(0.0, 2.0, allow_nan=False), min_size=1, max_size=60)


def arr(*values: float) -> metrics.Floats:
    return metrics.as_scores(list(values))


def test_accuracy_counts_genuine_accepted_and_impostors_rejected() -> None:
    assert metrics.accuracy_at(arr(0.2, 0.6), arr(0.5, 0.9), 0.55) == 0.5
    assert metrics.accuracy_at(arr(0.2, 0.55), arr(0.56), 0.55) == 1.0  # d == t is accepted


def test_eer_is_zero_when_the_classes_do_not_overlap() -> None:
    assert metrics.equal_error_rate(arr(0.1, 0.2, 0.3), arr(0.7, 0.8)).eer == 0.0


def test_eer_of_overlapping_uniform_distributions_is_a_quarter() -> None:
    genuine = np.linspace(0.0, 1.0, 4001)
    impostor = np.linspace(0.5, 1.5, 4001)
    result = metrics.equal_error_rate(genuine, impostor)
    assert result.eer == pytest.approx(0.25, abs=1e-3)
    assert result.threshold == pytest.approx(0.75, abs=1e-3)


def test_eer_of_indistinguishable_classes_is_a_half() -> None:
    scores = np.linspace(0.0, 1.0, 2001)
    assert metrics.equal_error_rate(scores, scores.copy()).eer == pytest.approx(0.5, abs=1e-3)


def test_tar_at_far_uses_the_most_accepting_threshold_within_the_far() -> None:
    impostor = np.arange(100) / 100 + 0.5  # 0.50 .. 1.49
    genuine = arr(0.40, 0.49, 0.505, 0.52, 0.9)
    point = metrics.tar_at_far(genuine, impostor, 0.02)  # two false accepts allowed
    assert point.far == 0.02
    assert point.threshold < 0.52 and point.threshold >= 0.51
    assert point.tar == pytest.approx(3 / 5)


def test_tar_at_a_far_below_resolution_rejects_every_impostor() -> None:
    point = metrics.tar_at_far(arr(0.3, 0.6), arr(0.5, 0.9), 0.001)
    assert point.far == 0.0 and point.tar == 0.5 and point.threshold < 0.5


@given(SCORES, SCORES, st.sampled_from([0.0, 0.01, 0.1, 0.5]))
def test_measured_far_never_exceeds_the_target(genuine: list[float], impostor: list[float],
                                               far: float) -> None:
    point = metrics.tar_at_far(arr(*genuine), arr(*impostor), far)
    assert point.far <= far + 1e-12


@given(SCORES, SCORES)
def test_eer_lies_between_the_error_rates_of_some_threshold(genuine: list[float],
                                                            impostor: list[float]) -> None:
    result = metrics.equal_error_rate(arr(*genuine), arr(*impostor))
    assert 0.0 <= result.eer <= 1.0


def test_best_threshold_separates_separable_classes() -> None:
    t = metrics.best_threshold(arr(0.1, 0.3), arr(0.7, 0.9))
    assert 0.3 < t < 0.7


def test_kfold_on_separable_scores_is_perfect_and_reports_each_fold() -> None:
    rng = np.random.default_rng(1)
    scores = np.concatenate((rng.uniform(0.1, 0.4, 100), rng.uniform(0.6, 1.0, 100)))
    same = np.arange(200) < 100
    folds = np.arange(200) % 10
    result = metrics.kfold_accuracy(scores, same, folds)
    assert result.mean == 1.0 and result.std == 0.0
    assert len(result.thresholds) == 10 and all(0.4 < t < 0.6 for t in result.thresholds)


def test_kfold_threshold_is_chosen_without_the_test_fold() -> None:
    # Fold 1 alone would want a threshold near 0.9; trained on fold 0 it gets ~0.5 and fails.
    scores = arr(0.4, 0.6, 0.8, 1.0)
    same = np.array([True, False, True, False])
    folds = np.array([0, 0, 1, 1])
    result = metrics.kfold_accuracy(scores, same, folds)
    assert result.accuracies[1] == 0.5


def test_deterministic_folds_are_stable_and_in_range() -> None:
    folds = [metrics.deterministic_fold(f"a{i}|b{i}") for i in range(500)]
    assert folds == [metrics.deterministic_fold(f"a{i}|b{i}") for i in range(500)]
    assert set(folds) == set(range(10))


def test_fnir_counts_a_wrong_nearest_identity_as_a_miss_even_when_close() -> None:
    distance = arr(0.2, 0.3, 0.6)
    rank1 = np.array([True, False, True])
    assert metrics.fnir(distance, rank1, 0.5) == pytest.approx(2 / 3)
    assert metrics.fnir(distance, rank1, 0.7) == pytest.approx(1 / 3)


def test_fpir_and_its_threshold_agree() -> None:
    nonmated = np.linspace(0.5, 1.0, 101)
    t = metrics.threshold_for_fpir(nonmated, 0.05)
    assert metrics.fpir(nonmated, t) <= 0.05
    assert metrics.fpir(nonmated, np.nextafter(t, 2.0) + 0.006) > 0.05
