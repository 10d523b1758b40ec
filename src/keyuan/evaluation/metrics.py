"""Biometric error rates from distances. Pure numpy: no dlib, no files.

Convention everywhere: a score is a Euclidean template distance and a comparison is ACCEPTED when
distance <= threshold. "genuine" = same-person (mated) distances, "impostor" = different-person.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


def rounded(value: float, digits: int = 6) -> float:
    """Rounded for a stable JSON report (a rerun must print the same bytes)."""
    return round(float(value), digits)


def as_scores(values: Sequence[float] | npt.NDArray[np.floating]) -> Floats:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def accept_rate(scores: Floats, threshold: float) -> float:
    """Share of comparisons accepted at `threshold` (0.0 for an empty set)."""
    return float(np.mean(scores <= threshold)) if scores.size else 0.0


def accuracy_at(genuine: Floats, impostor: Floats, threshold: float) -> float:
    """Share of pairs decided right: genuine accepted, impostor rejected."""
    total = genuine.size + impostor.size
    if total == 0:
        raise ValueError("no pairs to score")
    right = np.count_nonzero(genuine <= threshold) + np.count_nonzero(impostor > threshold)
    return right / total


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float
    tar: float
    far: float


def tar_at_far(genuine: Floats, impostor: Floats, far: float) -> OperatingPoint:
    """The most accepting threshold whose measured FAR does not exceed `far`, and its TAR.

    With n impostor pairs the smallest measurable non-zero FAR is 1/n; a target below that gets
    the threshold just under the closest impostor (measured FAR 0)."""
    if impostor.size == 0:
        raise ValueError("TAR at FAR needs impostor scores")
    ordered = np.sort(impostor)
    allowed = int(np.floor(far * ordered.size + 1e-9))  # false accepts the target permits
    if allowed >= ordered.size:
        threshold = float(np.inf)
    else:
        # Accept everything strictly below the (allowed+1)-th closest impostor.
        threshold = float(np.nextafter(ordered[allowed], -np.inf))
    return OperatingPoint(threshold, accept_rate(genuine, threshold),
                          accept_rate(impostor, threshold))


@dataclass(frozen=True)
class EqualErrorRate:
    eer: float
    threshold: float


def equal_error_rate(genuine: Floats, impostor: Floats) -> EqualErrorRate:
    """Where FAR (rising with the threshold) meets FRR (falling), linearly interpolated between
    the two measured thresholds that straddle the crossing."""
    if genuine.size == 0 or impostor.size == 0:
        raise ValueError("EER needs genuine and impostor scores")
    thresholds = np.concatenate(([-np.inf], np.unique(np.concatenate((genuine, impostor)))))
    far = np.searchsorted(np.sort(impostor), thresholds, side="right") / impostor.size
    frr = 1.0 - np.searchsorted(np.sort(genuine), thresholds, side="right") / genuine.size
    gap = far - frr  # non-decreasing, from -1 (t = -inf) up to +1 or 0
    after = int(np.argmax(gap >= 0.0))
    if gap[after] == 0.0 or after == 0:
        return EqualErrorRate(float(far[after]), float(thresholds[after]))
    before = after - 1
    alpha = -gap[before] / (gap[after] - gap[before])
    eer = far[before] + alpha * (far[after] - far[before])
    low = thresholds[before] if np.isfinite(thresholds[before]) else thresholds[after]
    return EqualErrorRate(float(eer), float(low + alpha * (thresholds[after] - low)))


def best_threshold(genuine: Floats, impostor: Floats) -> float:
    """The threshold with the highest accuracy, chosen among midpoints between adjacent distinct
    scores; ties go to the middle of the best candidates so the choice is deterministic."""
    scores = np.unique(np.concatenate((genuine, impostor)))
    if scores.size == 0:
        raise ValueError("no scores")
    candidates = np.concatenate(([scores[0] - 1e-6], (scores[:-1] + scores[1:]) / 2,
                                 [scores[-1] + 1e-6]))
    right = (np.searchsorted(np.sort(genuine), candidates, side="right")
             + impostor.size - np.searchsorted(np.sort(impostor), candidates, side="right"))
    best = np.flatnonzero(right == right.max())
    return float(candidates[best[(best.size - 1) // 2]])


@dataclass(frozen=True)
class FoldResult:
    mean: float
    std: float
    accuracies: tuple[float, ...]
    thresholds: tuple[float, ...]


def kfold_accuracy(scores: Floats, same: Bools, folds: npt.NDArray[np.int_]) -> FoldResult:
    """Threshold chosen on all folds but one (best accuracy), accuracy measured on the one left
    out; mean and population std over the folds, as the LFW protocol reports them. Any number
    of folds from two up (the folds given); one fold leaves nothing to choose a threshold on."""
    if np.unique(folds).size < 2:
        raise ValueError("k-fold accuracy needs at least two folds")
    accuracies: list[float] = []
    thresholds: list[float] = []
    for fold in np.unique(folds):
        train, test = folds != fold, folds == fold
        threshold = best_threshold(scores[train & same], scores[train & ~same])
        thresholds.append(threshold)
        accuracies.append(accuracy_at(scores[test & same], scores[test & ~same], threshold))
    values = np.asarray(accuracies)
    return FoldResult(float(values.mean()), float(values.std()), tuple(accuracies),
                      tuple(thresholds))


@dataclass(frozen=True)
class Proportion:
    """A counted rate with its exact (Clopper-Pearson) confidence interval."""

    count: int
    total: int
    low: float
    high: float

    @property
    def rate(self) -> float:
        return self.count / self.total if self.total else 0.0


def clopper_pearson(count: int, total: int, confidence: float = 0.95) -> Proportion:
    """`count` events in `total` trials and the exact binomial interval: the beta quantiles
    `Beta(a/2; k, n-k+1)` and `Beta(1-a/2; k+1, n-k)`, 0 and 1 at the ends. Zero accepts in n
    give the upper bound 1-(a/2)^(1/n), about 3.7/n: what "no false accept seen" can claim."""
    if total < 0 or not 0 <= count <= total:
        raise ValueError("need 0 <= count <= total")
    if total == 0:
        return Proportion(0, 0, 0.0, 1.0)
    # imported here: scipy.stats costs ~1 s of start-up to every `keyuan` command otherwise
    from scipy.stats import beta

    alpha = 1.0 - confidence
    low = 0.0 if count == 0 else float(beta.ppf(alpha / 2, count, total - count + 1))
    high = 1.0 if count == total else float(beta.ppf(1 - alpha / 2, count + 1, total - count))
    return Proportion(count, total, low, high)


def accepts(scores: Floats, threshold: float) -> int:
    return int(np.count_nonzero(scores <= threshold))


def deterministic_fold(key: str, folds: int = 10) -> int:
    """A stable fold for a pair without one (CSV without a `fold` column): SHA-256 of its key.
    Not the LFW protocol's person-disjoint folds: the same person may appear in several folds."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % folds


def roc_points(genuine: Floats, impostor: Floats) -> tuple[Floats, Floats, Floats]:
    """(thresholds, FAR, TAR) at every distinct score, ascending."""
    thresholds = np.unique(np.concatenate((genuine, impostor)))
    far = np.searchsorted(np.sort(impostor), thresholds, side="right") / max(impostor.size, 1)
    tar = np.searchsorted(np.sort(genuine), thresholds, side="right") / max(genuine.size, 1)
    return thresholds, far, tar


# --- open-set identification (1:N) ----------------------------------------------------------
def fnir(mated_distance: Floats, mated_rank1: Bools, threshold: float) -> float:
    """漏识率: mated searches NOT answered with the right person within `threshold` (the right
    person must be the nearest and close enough)."""
    if mated_distance.size == 0:
        return 0.0
    hits = mated_rank1 & (mated_distance <= threshold)
    return 1.0 - float(np.mean(hits))


def fpir(nonmated_distance: Floats, threshold: float) -> float:
    """误识率: non-mated searches (the person is not enrolled) answered with someone."""
    return accept_rate(nonmated_distance, threshold)


def threshold_for_fpir(nonmated_distance: Floats, target: float) -> float:
    """The most accepting threshold whose measured FPIR does not exceed `target`."""
    ordered = np.sort(nonmated_distance)
    allowed = int(np.floor(target * ordered.size + 1e-9))
    if allowed >= ordered.size:
        return float(np.inf)
    return float(np.nextafter(ordered[allowed], -np.inf))
