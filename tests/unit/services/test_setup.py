"""Bringing the in-memory gallery in line with the vault at start: a template whose own
consent is not an active face consent is deleted, not loaded (C1, C6)."""

from __future__ import annotations

from keyuan.services.checkin import setup
from keyuan.services.checkin.offices import ensure_office
from support.offices import entity
from unit.services.harness import ALICE, BOB, Harness


def test_the_gallery_is_filled_from_the_vault(harness: Harness) -> None:
    alice = harness.new_face_visitor(ALICE).consent.person_id
    bob = harness.new_face_visitor(BOB).consent.person_id
    harness.deps.gallery.remove(bob)
    assert setup.load_gallery(harness.deps) == 2
    assert {alice, bob} <= set(harness.deps.gallery)


def test_a_template_without_an_active_consent_is_deleted_at_load(harness: Harness) -> None:
    enrolled = harness.new_face_visitor()
    person_id = enrolled.consent.person_id
    harness.committed.consents[enrolled.consent.id].withdrawn_at = harness.clock.now()
    assert setup.load_gallery(harness.deps) == 0
    assert person_id not in harness.committed.templates
    assert person_id not in harness.deps.gallery
    assert "template_deleted" in harness.actions()


def test_ensure_office_creates_an_office_once_with_both_notices(harness: Harness) -> None:
    office = harness.committed.offices[harness.office_id]
    assert not ensure_office(office, entity(office.legal_entity), harness.deps)
    assert sorted(n.language for n in harness.committed.notices.values()) == ["en", "zh-CN"]
