"""The gallery the capture workers share: a published copy answers exactly like the gallery, a
change publishes a new version and the old one is unlinked once no frame uses it, and closing
leaves nothing in /dev/shm. What comes back from a frame names matches only."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator

import numpy as np
import pytest

from keyuan.adapters.capture.shared_gallery import (
    SHM_DIR,
    GalleryPublisher,
    GalleryView,
    segments_of,
)
from keyuan.services.capture.faces import FrameFaces
from keyuan.services.faces.gallery import Gallery
from keyuan.services.faces.liveness import FaceCue

pytestmark = pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="POSIX shm on Linux")
RNG = np.random.default_rng(5)


def templates(n: int) -> np.ndarray:
    rows = RNG.normal(size=(n, 128)).astype(np.float32)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True) * 0.6).astype(np.float32)


@pytest.fixture
def published() -> Iterator[tuple[Gallery, GalleryPublisher]]:
    gallery = Gallery()
    gallery.add_many([f"p_{i}" for i in range(50)], templates(50))
    publisher = GalleryPublisher(gallery)
    try:
        yield gallery, publisher
    finally:
        publisher.close()


def view_of(publisher: GalleryPublisher) -> tuple[str, GalleryView]:
    name, size = publisher.acquire()
    return name, GalleryView(name, size)


def test_a_published_copy_answers_exactly_like_the_gallery(
    published: tuple[Gallery, GalleryPublisher],
) -> None:
    gallery, publisher = published
    name, view = view_of(publisher)
    probes = [gallery.get("p_7"), gallery.get("p_7") + 0.02, gallery.get("p_30") + 0.035,
              *templates(5)]
    try:
        assert len(view) == len(gallery) == 50
        for probe in probes:
            assert view.identify(probe, 0.3, 0.45) == gallery.identify(probe, 0.3, 0.45)
        assert {gallery.identify(p, 0.3, 0.45).outcome for p in probes} == {
            "match", "needs_review", "unknown"}
    finally:
        view.close()
        publisher.release(name)


def test_a_change_publishes_a_new_version_and_the_old_goes_once_released(
    published: tuple[Gallery, GalleryPublisher],
) -> None:
    gallery, publisher = published
    old, old_view = view_of(publisher)  # a frame still in flight on the old version
    gallery.remove("p_3")
    new, new_view = view_of(publisher)
    try:
        assert new != old and new_view.version == gallery.version != old_view.version
        assert len(new_view) == 49 and len(old_view) == 50
        assert new_view.identify(gallery.snapshot()[2][0], 0.3, 0.45).key != "p_3"
        assert set(segments_of(os.getpid())) >= {old, new}
        publisher.release(old)
        assert old not in segments_of(os.getpid()) and new in segments_of(os.getpid())
        assert old_view.identify(templates(1)[0], 0.3, 0.45).outcome  # its mapping lives on
    finally:
        old_view.close()
        new_view.close()
        publisher.release(new)
    publisher.close()
    assert not [n for n in segments_of(os.getpid()) if n in (old, new)]


def test_an_unchanged_gallery_is_published_once_and_an_empty_one_matches_nobody() -> None:
    gallery = Gallery()
    publisher = GalleryPublisher(gallery)
    try:
        first, _ = publisher.acquire()
        second, size = publisher.acquire()
        assert first == second
        view = GalleryView(second, size)
        assert view.identify(templates(1)[0], 0.3, 0.45).outcome == "unknown"
        view.close()
    finally:
        publisher.close()
    assert first not in segments_of(os.getpid())


def test_the_gallery_version_moves_on_every_change() -> None:
    gallery = Gallery()
    start = gallery.version
    gallery.add("a", templates(1)[0])
    gallery.add_many(["b", "c"], templates(2))
    gallery.remove("a")
    version, keys, rows = gallery.snapshot()
    assert version == gallery.version == start + 3
    assert sorted(keys) == ["b", "c"] and rows.shape == (2, 128)


def test_a_worker_answer_carries_counts_match_pseudonyms_and_their_cues_only() -> None:
    kinds = {f.name: f.type for f in dataclasses.fields(FrameFaces)}
    assert kinds == {"faces": "int", "low_quality": "int", "unmatched": "int",
                     "matches": "list[tuple[str, float]]", "needs_review": "int",
                     "gallery": "int", "cues": "list[FaceCue | None]"}
    # a match's liveness cue: a small grey thumbnail, the aligned face, five points (issue 18);
    # no template, no frame
    assert [f.name for f in dataclasses.fields(FaceCue)] == ["thumbnail", "aligned", "points"]


def test_refresh_publishes_a_change_with_no_frame_and_unlinks_the_old_copy_at_once(
    published: tuple[Gallery, GalleryPublisher],
) -> None:
    gallery, publisher = published
    first, _ = publisher.acquire()
    publisher.release(first)
    gallery.discard("p_0")
    publisher.refresh()  # what the gallery follower does: no frame needed
    [current] = publisher.names()
    assert current != first and first not in segments_of(os.getpid())
    view = GalleryView(current, (SHM_DIR / current).stat().st_size)
    assert "p_0" not in view.pseudonyms and len(view) == 49
    view.close()


def test_refresh_during_a_frame_unlinks_the_old_copy_when_that_frame_is_answered(
    published: tuple[Gallery, GalleryPublisher],
) -> None:
    gallery, publisher = published
    in_flight, _ = publisher.acquire()
    gallery.discard("p_1")
    publisher.refresh()
    assert in_flight in segments_of(os.getpid())  # the frame still searches it
    publisher.release(in_flight)
    assert in_flight not in segments_of(os.getpid()) and len(publisher.names()) == 1


def test_put_replaces_a_held_template_and_discard_tolerates_an_absent_key() -> None:
    gallery = Gallery()
    old, new = templates(2)
    gallery.put("a", old)
    gallery.put("a", new)  # an after-commit hook and the follower may both bring it
    assert len(gallery) == 1 and np.array_equal(gallery.get("a"), new)
    assert gallery.discard("a") and not gallery.discard("a")
    assert len(gallery) == 0
