"""阈值标定: thresholds from a target false-positive identification rate (FPIR) and the live
gallery size. Pure: no dlib, no files.

FPIR grows with the gallery: a stranger is falsely identified when ANY of the n enrolled templates
is within the threshold. Assuming comparisons are independent,
    FPIR(n, t) = 1 - (1 - FMR(t))**n,
so a target FPIR needs a per-comparison false match rate FMR = 1 - (1 - FPIR)**(1/n) (~FPIR/n).
FMR that small (1e-6 at n = 1,000) cannot be counted on a few thousand impostor pairs, so the
lower tail of the impostor (different-person) distance distribution is modelled as a normal
through its median and a low quantile, and the threshold read off it:
    t(n) = median + sigma * Phi^-1(FMR).

Two tails are used and the STRICTER threshold wins (`threshold_for_gallery`):
- `PUBLIC_SET_TAIL`: fitted by `keyuan eval calibrate` on the public face set (23 identities,
  84 photos, 3,321 different-person template pairs; dlib 20.0, HOG upsample 0): median 0.8822,
  1% quantile 0.6669, hence sigma = (0.8822 - 0.6669) / 2.326 = 0.0925.
- `LFW_ANCHORED_TAIL`: the same median, sigma widened so that FMR(0.5) = 1.4e-4, the per-pair
  rate implied by the held-out LFW measurement (docs/ARCHITECTURE.md: about 20% of strangers
  matched at 0.5 over a 1,600-person gallery: 1 - 0.8**(1/1600)). The public set is small,
  almost without East Asian faces and its tail lighter than LFW's; this keeps the rule from
  trusting it alone.
Neither tail was measured on the people this product serves: recalibrate on local, consented
evaluation data before a threshold decides money.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

DEFAULT_TARGET_FPIR = 0.001
"""A matched stranger may cost a wrong attribution: at most 1 in 1,000 strangers."""
DEFAULT_REVIEW_FPIR = 0.01
"""The review band's outer edge: at most 1 in 100 strangers is shown to staff as a candidate."""
DEFAULT_TARGET_FAR = 0.001
"""1:1 verification of a claimed identity: at most 1 in 1,000 impostor claims accepted."""
FIT_QUANTILE = 0.01

_NORMAL = NormalDist()


@dataclass(frozen=True)
class ImpostorTail:
    """Normal model of the lower tail of different-person distances."""

    median: float
    sigma: float
    source: str

    def fmr(self, threshold: float) -> float:
        """Modelled share of different-person comparisons within `threshold`."""
        return _NORMAL.cdf((threshold - self.median) / self.sigma)

    def threshold_for_fmr(self, fmr: float) -> float:
        return self.median + self.sigma * _NORMAL.inv_cdf(fmr)


PUBLIC_SET_TAIL = ImpostorTail(
    0.8822, 0.0925, "public face set, 3,321 different-person pairs (median, 1% quantile)")
LFW_ANCHORED_TAIL = ImpostorTail(
    0.8822, 0.1052, "public-set median; sigma so that FMR(0.5) = 1.4e-4 (LFW)")
PRODUCT_TAILS = (PUBLIC_SET_TAIL, LFW_ANCHORED_TAIL)
"""dlib's tails (kept as first measured; `keyuan eval calibrate` prints the East Asian fit too:
median 0.6499, sigma 0.0755, far stricter)."""
SFACE_TAILS = (
    ImpostorTail(1.3235, 0.0673, "mixed (public face set), sface:89f959110fe2302d: 3,321 "
                 "different-person pairs (median, 1% quantile)"),
    ImpostorTail(1.3476, 0.0839, "East Asian set, sface:89f959110fe2302d: 10,923 "
                 "different-person pairs (median, 1% quantile)"),
)
"""SFace's tails, fitted by `keyuan eval calibrate --engine sface` on both shared sets."""
ENGINE_TAILS: dict[str, tuple[ImpostorTail, ...]] = {"dlib": PRODUCT_TAILS, "sface": SFACE_TAILS}
"""Each engine's impostor tails, fitted by `keyuan eval calibrate` on that engine's distances:
two engines' distances live on different scales, so a tail never serves another engine."""


def fit_tail(impostor: Floats, source: str, quantile: float = FIT_QUANTILE) -> ImpostorTail:
    """A normal through the median and the `quantile` quantile of the impostor distances."""
    if impostor.size < 2:
        raise ValueError("a tail needs at least two impostor distances")
    median = float(np.median(impostor))
    low = float(np.quantile(impostor, quantile))
    sigma = max((median - low) / -_NORMAL.inv_cdf(quantile), 1e-6)
    return ImpostorTail(round(median, 4), round(sigma, 4), source)


def fmr_for_gallery(gallery_size: int, target_fpir: float) -> float:
    """Per-comparison FMR that gives `target_fpir` over `gallery_size` independent templates."""
    if gallery_size < 1 or not 0.0 < target_fpir < 1.0:
        raise ValueError("gallery_size >= 1 and 0 < target_fpir < 1 are required")
    return -math.expm1(math.log1p(-target_fpir) / gallery_size)


def predicted_fpir(tail: ImpostorTail, gallery_size: int, threshold: float) -> float:
    return -math.expm1(gallery_size * math.log1p(-tail.fmr(threshold)))


def threshold_for_gallery(
    gallery_size: int,
    target_fpir: float = DEFAULT_TARGET_FPIR,
    tails: tuple[ImpostorTail, ...] | None = None,
    *,
    kind: str = "dlib",
) -> float:
    """The 1:N match threshold for a live gallery of `gallery_size` templates of the engine
    `kind`: the strictest of that engine's tails' thresholds for `target_fpir` (or of `tails`).
    Use `DEFAULT_REVIEW_FPIR` for the review edge. Recompute when the gallery grows past the size
    it was set for (it falls slowly: about -0.05 per tenfold growth at dlib's constants)."""
    if tails is None:
        if kind not in ENGINE_TAILS:
            raise ValueError(f"no impostor tail measured for face engine {kind!r}")
        tails = ENGINE_TAILS[kind]
    fmr = fmr_for_gallery(max(1, gallery_size), target_fpir)
    return round(min(t.threshold_for_fmr(fmr) for t in tails), 4)
