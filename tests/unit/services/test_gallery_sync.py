"""Every copy of the gallery follows the store's gallery version (C6): the version moves with
every committed template change and only then; another process's gallery, brought to it,
drops a withdrawn template and picks up a new or re-sealed one, opening only those."""

from __future__ import annotations

from datetime import timedelta

from keyuan.adapters.sms.outbox import MemorySender
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin.gallery_sync import GalleryFollower, follow_gallery
from keyuan.services.fakes.uow import FakeUnitOfWork
from keyuan.services.ports import Deps
from unit.services.harness import ALICE, BOB, Harness, make_deps


def other_process(harness: Harness) -> Deps:
    """Deps over the same store with a gallery of their own, as a second process has."""
    return make_deps(FakeUnitOfWork(harness.fake.store), harness.clock, MemorySender())


def version(deps: Deps) -> int:
    with deps.uow() as uow:
        return uow.vault.gallery_version()


def test_the_version_moves_once_per_committed_template_change_and_only_then(
    harness: Harness,
) -> None:
    start = version(harness.deps)
    enrolled = harness.new_face_visitor(ALICE)
    assert version(harness.deps) == start + 1
    harness.check_in_by_phone()  # no template touched
    assert version(harness.deps) == start + 1
    with harness.deps.uow() as uow:  # deleted, never committed
        uow.vault.delete(enrolled.consent.person_id)
    assert version(harness.deps) == start + 1
    consent_service.withdraw(enrolled.consent.id, harness.deps)
    assert version(harness.deps) == start + 2


def test_another_process_follows_a_withdrawal_and_an_enrollment(harness: Harness) -> None:
    alice = harness.new_face_visitor(ALICE)
    other = other_process(harness)
    loaded = follow_gallery(other)
    assert loaded is not None and (loaded.read, loaded.size) == (1, 1)
    assert follow_gallery(other) is None  # nothing moved: one row read, nothing opened

    consent_service.withdraw(alice.consent.id, harness.deps)
    bob = harness.new_face_visitor(BOB)
    synced = follow_gallery(other)

    assert synced is not None and (synced.read, synced.dropped) == (1, 1)
    assert set(other.gallery) == {bob.consent.person_id}
    assert synced.version == version(harness.deps) == other.following.version


def test_a_re_sealed_template_replaces_the_copy(harness: Harness) -> None:
    alice = harness.new_face_visitor(ALICE)
    person = alice.consent.person_id
    other = other_process(harness)
    follow_gallery(other)
    with harness.deps.uow() as uow:  # as re-derivation does: delete and put, one transaction
        held = harness.committed.templates[person]
        uow.vault.delete(person)
        uow.vault.put(person, held.template * 0.5, purpose=held.purpose,
                      consent_id=held.consent_id, model=held.model,
                      now=held.created_at + timedelta(hours=1))
        uow.commit()

    synced = follow_gallery(other)

    assert synced is not None and synced.read == 1
    assert (other.gallery.get(person) == (held.template * 0.5)).all()


def test_opening_templates_is_audited_and_a_look_that_opens_none_is_not(
    harness: Harness,
) -> None:
    alice = harness.new_face_visitor(ALICE)
    other = other_process(harness)
    follow_gallery(other)
    assert harness.actions().count("gallery_followed") == 1
    consent_service.withdraw(alice.consent.id, harness.deps)
    assert follow_gallery(other) is not None
    assert harness.actions().count("gallery_followed") == 1  # a drop opens nothing


def test_the_follower_tells_its_listeners_after_each_sync_only(harness: Harness) -> None:
    other = other_process(harness)
    follower = GalleryFollower(other)
    told: list[int] = []
    follower.listen(lambda: told.append(len(other.gallery)))
    follower.check()
    follower.check()
    harness.new_face_visitor(ALICE)
    follower.check()
    assert told == [0, 1]
