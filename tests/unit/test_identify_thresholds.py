"""1:N thresholds follow the live gallery size (the rule `keyuan eval calibrate` measured)."""

from __future__ import annotations

from keyuan.config.face import FaceSettings
from keyuan.services.checkin.face import identify_thresholds

FACE = FaceSettings.model_validate({})


def test_small_galleries_use_the_configured_thresholds() -> None:
    assert identify_thresholds(FACE, 10) == (FACE.identify_threshold,
                                             FACE.identify_review_threshold)


def test_thresholds_tighten_as_the_gallery_grows() -> None:
    sizes = [100, 1_000, 10_000, 170_000]
    pairs = [identify_thresholds(FACE, n) for n in sizes]
    matches = [m for m, _ in pairs]
    assert matches == sorted(matches, reverse=True)
    assert matches[-1] < FACE.identify_threshold - 0.05


def test_the_review_edge_never_falls_below_the_match_threshold() -> None:
    for n in (1, 50, 5_000, 1_000_000):
        match, review = identify_thresholds(FACE, n)
        assert match <= review <= FACE.identify_review_threshold


def test_each_engine_tightens_on_its_own_scale() -> None:
    sface = FACE.thresholds_for("sface")
    small, large = identify_thresholds(FACE, 20, "sface"), identify_thresholds(FACE, 100_000,
                                                                                "sface")
    assert small[0] <= sface.identify and large[0] < small[0]
    assert large[0] > identify_thresholds(FACE, 20, "dlib")[0]  # SFace's distances are larger
