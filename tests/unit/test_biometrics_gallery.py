"""1:N gallery and 1:1 matching: thresholds, swap-remove, growth, agreement with brute force."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from keyuan.services.faces.gallery import Gallery
from keyuan.services.faces.matching import distance, verify


def template(seed: int) -> np.ndarray:
    """A dlib-like template: a shared offset plus per-person noise (distances ~0.9 apart)."""
    common = np.random.default_rng(0).normal(0, 0.12, 128)
    return (common + np.random.default_rng(seed + 1).normal(0, 0.056, 128)).astype(np.float32)


def nudged(base: np.ndarray, by: float) -> np.ndarray:
    """`base` moved exactly `by` along one axis."""
    out = base.copy()
    out[0] += np.float32(by)
    return out


# --- matching -------------------------------------------------------------------------------
def test_distance_is_euclidean() -> None:
    a, b = np.zeros(128, dtype=np.float32), np.zeros(128, dtype=np.float32)
    b[:4] = 0.5
    assert distance(a, b) == pytest.approx(1.0)


def test_verify_matches_at_or_under_the_threshold_only() -> None:
    ref = template(1)
    assert verify(nudged(ref, 0.5), ref, threshold=0.55).matched
    assert not verify(nudged(ref, 0.6), ref, threshold=0.55).matched
    assert verify(nudged(ref, 0.6), ref, threshold=0.55).distance == pytest.approx(0.6, abs=1e-6)


def test_verify_refuses_a_malformed_template() -> None:
    with pytest.raises(ValueError, match="shape"):
        verify(np.zeros(127, dtype=np.float32), template(1), threshold=0.5)


# --- identify outcomes ----------------------------------------------------------------------
@pytest.fixture
def gallery() -> Gallery:
    g = Gallery(capacity=4)
    for i in range(10):
        g.add(f"p{i}", template(i))
    return g


def test_a_probe_within_the_match_threshold_is_a_match_with_its_key(gallery: Gallery) -> None:
    result = gallery.identify(nudged(template(3), 0.3), 0.4, 0.48)
    assert (result.outcome, result.key) == ("match", "p3")
    assert result.distance == pytest.approx(0.3, abs=1e-5)


def test_a_probe_in_the_review_band_needs_review_and_names_the_candidate(
    gallery: Gallery,
) -> None:
    result = gallery.identify(nudged(template(3), 0.45), 0.4, 0.48)
    assert (result.outcome, result.key) == ("needs_review", "p3")


def test_a_probe_beyond_the_review_band_is_unknown_and_names_nobody(gallery: Gallery) -> None:
    result = gallery.identify(nudged(template(3), 0.5), 0.4, 0.48)
    assert (result.outcome, result.key) == ("unknown", None)
    assert result.distance == pytest.approx(0.5, abs=1e-5)


def test_a_stranger_is_unknown(gallery: Gallery) -> None:
    assert gallery.identify(template(999), 0.4, 0.48).outcome == "unknown"


def test_an_empty_gallery_identifies_nobody() -> None:
    result = Gallery().identify(template(1), 0.4, 0.48)
    assert (result.outcome, result.key, result.distance) == ("unknown", None, None)


def test_thresholds_out_of_order_are_refused(gallery: Gallery) -> None:
    with pytest.raises(ValueError):
        gallery.identify(template(1), 0.5, 0.4)


# --- membership -----------------------------------------------------------------------------
def test_a_removed_person_is_no_longer_found(gallery: Gallery) -> None:
    gallery.remove("p3")
    assert "p3" not in gallery
    assert len(gallery) == 9
    assert gallery.identify(template(3), 0.4, 0.48).key != "p3"


def test_removing_keeps_every_other_template_under_its_own_key(gallery: Gallery) -> None:
    gallery.remove("p0")  # the last row moves into row 0
    for i in range(1, 10):
        np.testing.assert_array_equal(gallery.get(f"p{i}"), template(i))
        assert gallery.identify(template(i), 0.4, 0.48).key == f"p{i}"


def test_adding_a_key_twice_is_refused(gallery: Gallery) -> None:
    with pytest.raises(ValueError, match="only once"):
        gallery.add("p1", template(50))
    np.testing.assert_array_equal(gallery.get("p1"), template(1))


def test_removing_an_unknown_key_raises_key_error(gallery: Gallery) -> None:
    with pytest.raises(KeyError):
        gallery.remove("nobody")


def test_a_non_finite_template_is_refused(gallery: Gallery) -> None:
    bad = template(1)
    bad[5] = np.nan
    with pytest.raises(ValueError):
        gallery.add("bad", bad)
    assert "bad" not in gallery


def test_bulk_add_of_many_templates_grows_and_stays_searchable() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.normal(0, 0.1, (20_000, 128)).astype(np.float32)
    g = Gallery(capacity=16)
    g.add_many([f"k{i}" for i in range(10_000)], matrix[:10_000])
    for i in range(10_000, 10_100):
        g.add(f"k{i}", matrix[i])
    assert len(g) == 10_100
    assert g.identify(matrix[10_050], 0.01, 0.02).key == "k10050"
    assert g.identify(matrix[123], 0.01, 0.02).key == "k123"


def test_concurrent_adds_lose_nothing() -> None:
    g = Gallery(capacity=1)

    def add_range(start: int) -> None:
        for i in range(start, start + 500):
            g.add(f"k{i}", template(i))

    threads = [threading.Thread(target=add_range, args=(n * 500,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(g) == 2000
    assert all(np.array_equal(g.get(f"k{i}"), template(i)) for i in range(0, 2000, 37))


# --- agreement with a brute-force model -----------------------------------------------------
class GalleryAgainstBruteForce(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.gallery = Gallery(capacity=2)
        self.model: dict[str, np.ndarray] = {}

    @rule(seed=st.integers(0, 40))
    def add(self, seed: int) -> None:
        key = f"p{seed}"
        if key in self.model:
            return
        self.gallery.add(key, template(seed))
        self.model[key] = template(seed)

    @rule(seed=st.integers(0, 40))
    def remove(self, seed: int) -> None:
        key = f"p{seed}"
        if key not in self.model:
            return
        self.gallery.remove(key)
        del self.model[key]

    @rule(seed=st.integers(0, 40), offset=st.floats(0.0, 0.7))
    def identify_agrees(self, seed: int, offset: float) -> None:
        probe = nudged(template(seed), offset)
        result = self.gallery.identify(probe, 0.4, 0.48)
        if not self.model:
            assert result.outcome == "unknown"
            return
        nearest_key = min(self.model, key=lambda k: distance(self.model[k], probe))
        nearest = distance(self.model[nearest_key], probe)
        assert result.distance == pytest.approx(nearest, abs=1e-5)
        expected = "match" if nearest <= 0.4 else "needs_review" if nearest <= 0.48 else "unknown"
        if abs(nearest - 0.4) > 1e-5 and abs(nearest - 0.48) > 1e-5:
            assert result.outcome == expected
            assert result.key == (None if expected == "unknown" else nearest_key)

    @invariant()
    def same_members(self) -> None:
        assert len(self.gallery) == len(self.model)
        assert set(self.gallery) == set(self.model)
        for key, value in self.model.items():
            np.testing.assert_array_equal(self.gallery.get(key), value)


TestGalleryAgainstBruteForce = GalleryAgainstBruteForce.TestCase
TestGalleryAgainstBruteForce.settings = settings(max_examples=60, stateful_step_count=40)
