"""Withdrawing consent (C6): the template goes in the same transaction, the in-memory gallery
follows only once that transaction has committed, visits stay, the audit log says so."""

from __future__ import annotations

import dataclasses

import pytest

from keyuan.domain.errors import ReceiptCodeInvalid, UnknownConsent
from keyuan.services.checkin import consent as consent_service
from keyuan.services.faces.gallery import Gallery
from keyuan.services.fakes.store import FakeStore
from keyuan.services.fakes.uow import FakeUnitOfWork, fake_uow_factory
from unit.services.harness import Harness


class _CommitFails(FakeUnitOfWork):
    """The store refuses the commit (disk full, connection lost)."""

    def commit(self) -> None:
        raise ConnectionError("the store went away")


class _WatchedGallery(Gallery):
    """Notes, at each removal, whether the store still held that person's template."""

    def __init__(self, store: FakeStore) -> None:
        super().__init__()
        self.store = store
        self.template_still_stored_at_removal: list[bool] = []

    def discard(self, key: str) -> bool:
        self.template_still_stored_at_removal.append(key in self.store.committed.templates)
        return super().discard(key)


def test_withdrawing_face_consent_deletes_the_template_and_keeps_the_visit(
        harness: Harness) -> None:
    enrolled = harness.new_face_visitor()
    person_id = enrolled.consent.person_id
    assert person_id in harness.committed.templates
    withdrawn = consent_service.withdraw(enrolled.consent.id, harness.deps)
    assert withdrawn.withdrawn_at == harness.clock.now()
    assert person_id not in harness.committed.templates
    assert not harness.committed.consents[enrolled.consent.id].is_active
    assert enrolled.visit.id in harness.committed.visits
    assert harness.actions()[-2:] == ["consent_withdrawn", "template_deleted"]


def test_the_gallery_forgets_the_person_only_after_the_commit(harness: Harness) -> None:
    gallery = _WatchedGallery(harness.fake.store)
    deps = dataclasses.replace(harness.deps, gallery=gallery)
    enrolled = harness.new_face_visitor()
    gallery.add(enrolled.consent.person_id, harness.deps.gallery.get(enrolled.consent.person_id))
    consent_service.withdraw(enrolled.consent.id, deps)
    assert gallery.template_still_stored_at_removal == [False]
    assert enrolled.consent.person_id not in gallery


def test_a_failed_commit_leaves_template_and_gallery_as_they_were(harness: Harness) -> None:
    enrolled = harness.new_face_visitor()
    person_id = enrolled.consent.person_id
    failing = _CommitFails(harness.fake.store)
    deps = dataclasses.replace(harness.deps, uow=fake_uow_factory(failing))
    with pytest.raises(ConnectionError):
        consent_service.withdraw(enrolled.consent.id, deps)
    assert person_id in harness.deps.gallery
    assert person_id in harness.committed.templates
    assert harness.committed.consents[enrolled.consent.id].is_active
    assert failing.rolled_back == 1


def test_withdrawing_twice_changes_nothing_the_second_time(harness: Harness) -> None:
    enrolled = harness.new_face_visitor()
    first = consent_service.withdraw(enrolled.consent.id, harness.deps)
    entries = len(harness.committed.audit)
    harness.clock.advance(minutes=5)
    second = consent_service.withdraw(enrolled.consent.id, harness.deps)
    assert second.withdrawn_at == first.withdrawn_at
    assert len(harness.committed.audit) == entries


def test_withdrawing_phone_consent_keeps_the_face_template(harness: Harness) -> None:
    face_consent, by_phone = harness.face_and_phone_visitor()
    assert by_phone.consent.person_id == face_consent.person_id
    consent_service.withdraw(by_phone.consent.id, harness.deps)
    assert harness.actions()[-1] == "consent_withdrawn"
    assert face_consent.person_id in harness.committed.templates


def test_withdrawing_an_unknown_receipt_is_refused(harness: Harness) -> None:
    with pytest.raises(UnknownConsent):
        consent_service.withdraw("KY-00000-00000", harness.deps)
    with pytest.raises(ReceiptCodeInvalid):
        consent_service.withdraw("no-such-receipt", harness.deps)


def test_a_receipt_is_looked_up_by_its_code_however_typed(harness: Harness) -> None:
    session, notice = harness.start()
    given = harness.consent_face(session.id, notice.content_hash)
    typed = given.receipt_code.lower()[:5] + " " + given.receipt_code.lower()[5:]
    assert consent_service.get_receipt(typed, harness.deps).id == given.id


def test_a_receipt_is_looked_up_by_its_id(harness: Harness) -> None:
    session, notice = harness.start()
    given = harness.consent_face(session.id, notice.content_hash)
    assert consent_service.get_receipt(given.id, harness.deps).receipt_hash == given.receipt_hash
