"""Face use cases with the fake engine (a person is a colour): enrollment under a live consent,
the 1:1 return visit, and the audited 1:N search (C1, C2, C6, C17)."""

from __future__ import annotations

import pytest

from keyuan.domain.checkin.liveness import LivenessReason, NotLive
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.errors import (
    AlreadyEnrolled,
    ConsentMissing,
    ConsentWithdrawn,
    FaceDeclinedThisVisit,
    NotVerified,
)
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin import face, kiosk
from support.sequences import fake_shots, fake_still
from unit.services.harness import ALICE, BOB, Harness

BLACK = (0, 0, 0)


def _return(harness: Harness, receipt_id: str, rgb: tuple[int, int, int]) -> face.CheckInResult:
    session, _ = harness.start()
    return face.return_with_face(
        face.ReturnCmd(session.id, receipt_id=receipt_id, **fake_shots(rgb).cmd()),
        harness.deps)


def test_enrollment_stores_the_template_records_a_visit_and_fills_the_gallery(
        harness: Harness) -> None:
    result = harness.new_face_visitor()
    person_id = result.consent.person_id
    stored = harness.committed.templates[person_id]
    assert stored.consent_id == result.consent.id and stored.purpose == result.consent.purpose
    assert harness.committed.visits[result.visit.id].method is VisitMethod.FACE_KIOSK
    assert person_id in harness.deps.gallery
    assert harness.actions()[-1] == "template_enrolled"


def test_enrollment_needs_the_consent_given_in_this_session(harness: Harness) -> None:
    first, notice = harness.start()
    consent = harness.consent_face(first.id, notice.content_hash)
    other, _ = harness.start()
    with pytest.raises(ConsentMissing):
        harness.enroll(other.id, consent.id)
    assert harness.committed.templates == {}


def test_a_no_after_the_consent_tick_still_wins(harness: Harness) -> None:
    session, notice = harness.start()
    consent = harness.consent_face(session.id, notice.content_hash)
    kiosk.decline_face(session.id, harness.deps)
    with pytest.raises(FaceDeclinedThisVisit):
        harness.enroll(session.id, consent.id)
    assert harness.committed.templates == {}


def test_enrollment_under_a_withdrawn_consent_is_refused(harness: Harness) -> None:
    session, notice = harness.start()
    consent = harness.consent_face(session.id, notice.content_hash)
    consent_service.withdraw(consent.id, harness.deps)
    with pytest.raises(ConsentWithdrawn):
        harness.enroll(session.id, consent.id)
    assert harness.committed.templates == {}


def test_a_person_is_enrolled_once(harness: Harness) -> None:
    session, notice = harness.start()
    consent = harness.consent_face(session.id, notice.content_hash)
    harness.enroll(session.id, consent.id)
    with pytest.raises(AlreadyEnrolled):
        harness.enroll(session.id, consent.id)
    assert len(harness.committed.visits) == 1


def test_frames_without_a_face_store_nothing(harness: Harness) -> None:
    session, notice = harness.start()
    consent = harness.consent_face(session.id, notice.content_hash)
    with pytest.raises(NotLive) as refused:  # the liveness check looks for the face first
        harness.enroll(session.id, consent.id, BLACK)
    assert refused.value.reason is LivenessReason.NO_FACE
    assert harness.committed.templates == {} and harness.committed.visits == {}
    assert len(harness.deps.gallery) == 0


def test_a_still_photo_is_refused_at_enrollment_before_any_template(harness: Harness) -> None:
    session, notice = harness.start()
    consent = harness.consent_face(session.id, notice.content_hash)
    with pytest.raises(NotLive) as refused:
        face.enroll_face(face.EnrollCmd(session.id, consent.id, **fake_still(ALICE).cmd()),
                         harness.deps)
    assert refused.value.reason is LivenessReason.FRAMES_IDENTICAL
    assert harness.committed.templates == {} and harness.committed.visits == {}
    assert len(harness.deps.gallery) == 0
    last = harness.committed.audit[-1]
    assert (last.action, last.subject, last.detail) == (
        "face_not_live", consent.person_id,
        {"use": "enrollment", "reason": "frames_identical", "challenge": False})
    assert harness.enroll(session.id, consent.id).visit.person_id == consent.person_id


def test_frames_without_capture_times_are_refused_at_enrollment(harness: Harness) -> None:
    session, notice = harness.start()
    consent = harness.consent_face(session.id, notice.content_hash)
    with pytest.raises(NotLive) as refused:
        face.enroll_face(face.EnrollCmd(session.id, consent.id, list(fake_shots(ALICE).frames)),
                         harness.deps)
    assert refused.value.reason is LivenessReason.TIMESTAMPS_MISSING
    assert harness.committed.templates == {}


def test_a_still_photo_is_refused_at_a_return_before_anyone_is_looked_up(
        harness: Harness) -> None:
    enrolled = harness.new_face_visitor(ALICE)
    session, _ = harness.start()
    before = len(harness.committed.audit)
    with pytest.raises(NotLive) as refused:
        face.return_with_face(face.ReturnCmd(session.id, receipt_id=enrolled.consent.id,
                                             **fake_still(ALICE).cmd()), harness.deps)
    assert refused.value.reason is LivenessReason.FRAMES_IDENTICAL
    new = harness.committed.audit[before:]
    assert [(e.action, e.subject, e.detail) for e in new] == [
        ("face_not_live", None,
         {"use": "return_visit", "reason": "frames_identical", "challenge": False})]
    assert len(harness.committed.visits) == 1
    assert _return(harness, enrolled.consent.id, ALICE).visit.person_id == (
        enrolled.consent.person_id)


def test_a_returning_visitor_is_verified_against_their_own_template(harness: Harness) -> None:
    enrolled = harness.new_face_visitor(ALICE)
    harness.clock.advance(days=2)
    result = _return(harness, enrolled.consent.id, ALICE)
    assert result.visit.person_id == enrolled.consent.person_id
    assert result.evidence["distance"] <= harness.deps.face.verify_threshold
    assert harness.actions()[-1] == "face_verified"
    assert len(harness.committed.visits) == 2


def test_another_face_is_not_verified_and_the_attempt_is_audited(harness: Harness) -> None:
    enrolled = harness.new_face_visitor(ALICE)
    with pytest.raises(NotVerified):
        _return(harness, enrolled.consent.id, BOB)
    last = harness.committed.audit[-1]
    assert (last.action, last.detail["matched"]) == ("face_verified", False)
    assert len(harness.committed.visits) == 1


def test_one_to_many_search_finds_the_enrolled_person_and_is_audited(harness: Harness) -> None:
    enrolled = harness.new_face_visitor(ALICE)
    harness.new_face_visitor(BOB)
    probe = harness.deps.gallery.get(enrolled.consent.person_id)
    found = face.identify(probe, harness.deps, actor="signing:wang", reason="signing desk")
    assert (found.outcome, found.key) == ("match", enrolled.consent.person_id)
    last = harness.committed.audit[-1]
    assert (last.action, last.actor, last.subject) == (
        "face_identified", "signing:wang", enrolled.consent.person_id)
