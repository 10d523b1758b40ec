"""Face use cases on SQLite with the fake engine: consent first (C1), minors (C5), withdrawal (C6),
1:1 return visits, and claims by receipt or verified mobile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from keyuan.adapters.store.tables import checkin as tables
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.errors import (
    AlreadyEnrolled,
    ConsentMissing,
    ConsentWithdrawn,
    FaceDeclinedThisVisit,
    MinorNotEligible,
    NotVerified,
    UnknownPerson,
)
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin import face
from keyuan.services.checkin import kiosk as kiosk_service
from support.sequences import fake_shots

if TYPE_CHECKING:
    from .conftest import Kiosk

ALICE = (200, 150, 120)
BOB = (90, 160, 200)
MOBILE = "13700001111"


def frames(rgb: tuple[int, int, int]) -> dict[str, Any]:
    """A live face of `rgb` as the fake engine sees one: the frames and their capture times."""
    return fake_shots(rgb).cmd()


def counts(k: Kiosk) -> tuple[int, int, int]:
    """(templates in the vault, visits, persons)."""
    with k.deps.uow() as uow:
        session = uow.visits.session
        visits = session.execute(select(func.count()).select_from(tables.visits)).scalar_one()
        persons = session.execute(select(func.count()).select_from(tables.persons)).scalar_one()
        return uow.vault.count(), visits, persons


def audit_actions(k: Kiosk) -> list[str]:
    with k.deps.uow() as uow:
        return [e.action for e in uow.audit.all()]


# --- C1: no template without a valid consent ----------------------------------------------------

def test_c1_enrolling_without_a_consent_is_refused_and_stores_nothing(kiosk: Kiosk) -> None:
    session, _ = kiosk.start()

    with pytest.raises(ConsentMissing):
        face.enroll_face(face.EnrollCmd(session.id, "0" * 32, **frames(ALICE)), kiosk.deps)

    assert counts(kiosk) == (0, 0, 0)
    assert len(kiosk.deps.gallery) == 0
    assert kiosk.deps.engine.calls == []  # type: ignore[union-attr]  # no face was processed


def test_c1_enrolling_with_a_withdrawn_consent_is_refused_and_stores_nothing(
    kiosk: Kiosk,
) -> None:
    session, notice = kiosk.start()
    consent = kiosk.consent_face(session.id, notice.content_hash)
    consent_service.withdraw(consent.id, kiosk.deps)

    with pytest.raises(ConsentWithdrawn):
        face.enroll_face(face.EnrollCmd(session.id, consent.id, **frames(ALICE)), kiosk.deps)

    templates, visits, _ = counts(kiosk)
    assert (templates, visits) == (0, 0)
    assert consent.person_id not in kiosk.deps.gallery


def test_c1_enrolling_with_another_sessions_consent_is_refused_and_stores_nothing(
    kiosk: Kiosk,
) -> None:
    theirs, notice = kiosk.start()
    their_consent = kiosk.consent_face(theirs.id, notice.content_hash)
    mine, _ = kiosk.start()

    with pytest.raises(ConsentMissing, match="this kiosk session"):
        face.enroll_face(face.EnrollCmd(mine.id, their_consent.id, **frames(BOB)), kiosk.deps)

    templates, visits, _ = counts(kiosk)
    assert (templates, visits) == (0, 0)


def test_c1_a_phone_consent_does_not_allow_enrollment(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    by_phone = kiosk.check_in_by_phone(session.id, notice.content_hash, MOBILE)

    with pytest.raises(ConsentMissing):
        face.enroll_face(face.EnrollCmd(session.id, by_phone.consent.id, **frames(ALICE)),
                         kiosk.deps)

    templates, visits, _ = counts(kiosk)
    assert (templates, visits) == (0, 1)  # only the phone visit


def test_c1_a_consent_withdrawn_while_the_frames_are_processed_wins(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    consent = kiosk.consent_face(session.id, notice.content_hash)
    engine = kiosk.deps.engine
    assert engine is not None
    original = engine.sample

    def withdraw_midway(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if not hasattr(withdraw_midway, "done"):
            withdraw_midway.done = True  # type: ignore[attr-defined]
            consent_service.withdraw(consent.id, kiosk.deps)
        return original(*args, **kwargs)

    engine.sample = withdraw_midway  # type: ignore[method-assign]

    with pytest.raises(ConsentWithdrawn):
        face.enroll_face(face.EnrollCmd(session.id, consent.id, **frames(ALICE)), kiosk.deps)

    assert counts(kiosk)[:2] == (0, 0)
    assert consent.person_id not in kiosk.deps.gallery


def test_consent_then_enrollment_stores_a_template_a_face_visit_and_fills_the_gallery(
    kiosk: Kiosk,
) -> None:
    session, notice = kiosk.start()
    consent = kiosk.consent_face(session.id, notice.content_hash)

    result = face.enroll_face(face.EnrollCmd(session.id, consent.id, **frames(ALICE)), kiosk.deps)

    person = consent.person_id
    with kiosk.deps.uow() as uow:
        assert uow.vault.get(person, purpose=FaceUse.RETURN_VISIT) is not None
        [visit] = uow.visits.for_person(person)
        stored = uow.consents.get(consent.id)
    assert visit.method is VisitMethod.FACE_KIOSK
    assert visit.office_id == kiosk.office_id
    assert visit.evidence == {"enrolled_frames": 3, "consent": consent.id,
                              "model": kiosk.deps.engine.model.tag}
    assert result.visit.id == visit.id
    assert person in kiosk.deps.gallery
    assert stored is not None and stored.receipt_hash == consent.receipt_hash
    assert consent.receipt["sensitive"] is True
    assert consent.notice_hash == notice.content_hash
    assert audit_actions(kiosk)[-3:] == ["consent_given", "face_candidates_searched",
                                        "template_enrolled"]  # one-record check, audited


def test_enrolling_twice_under_one_consent_is_refused(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    consent = kiosk.consent_face(session.id, notice.content_hash)
    kiosk.enroll(session.id, consent.id, ALICE)

    with pytest.raises(AlreadyEnrolled):
        kiosk.enroll(session.id, consent.id, ALICE)

    assert counts(kiosk)[:2] == (1, 1)


# --- C5: under-14s get the phone path only -------------------------------------------------------

def test_c5_a_visitor_under_14_is_refused_face_and_nothing_is_stored(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()

    with pytest.raises(MinorNotEligible):
        kiosk_consent(kiosk, session.id, notice.content_hash, adult=False)

    assert counts(kiosk) == (0, 0, 0)
    with kiosk.deps.uow() as uow:
        assert uow.sessions.get(session.id).person_id is None  # type: ignore[union-attr]
    assert "consent_given" not in audit_actions(kiosk)


def kiosk_consent(k: Kiosk, session_id: str, notice_hash: str, *, adult: bool) -> object:
    return kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
        session_id=session_id, notice_hash=notice_hash, age_14_or_over=adult,
    ), k.deps)


def test_c5_a_minor_can_still_check_in_by_phone(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    with pytest.raises(MinorNotEligible):
        kiosk_consent(kiosk, session.id, notice.content_hash, adult=False)

    result = kiosk.check_in_by_phone(session.id, notice.content_hash, MOBILE)

    assert result.visit.method is VisitMethod.PHONE


# --- C6: withdrawal ------------------------------------------------------------------------------

def test_c6_withdrawal_deletes_the_template_at_once_and_stops_matching(kiosk: Kiosk) -> None:
    enrolled = kiosk.new_face_visitor(ALICE)
    person, receipt = enrolled.consent.person_id, enrolled.consent.id
    kiosk.clock.advance(days=3)

    withdrawn = consent_service.withdraw(receipt, kiosk.deps)

    assert withdrawn.withdrawn_at == kiosk.clock.now()
    with kiosk.deps.uow() as uow:
        assert not uow.vault.has(person)
        assert uow.vault.count() == 0
        assert uow.consents.get(receipt).withdrawn_at is not None  # type: ignore[union-attr]
        visits = uow.visits.for_person(person)
        events = [e for e in uow.audit.all() if e.subject == person]
    assert person not in kiosk.deps.gallery
    assert [v.id for v in visits] == [enrolled.visit.id]  # visits stay as non-face evidence
    assert [e.action for e in events][-2:] == ["consent_withdrawn", "template_deleted"]
    assert events[-1].detail == {"reason": "consent_withdrawn"}


def test_c6_a_return_check_in_after_withdrawal_is_refused(kiosk: Kiosk) -> None:
    enrolled = kiosk.new_face_visitor(ALICE)
    consent_service.withdraw(enrolled.consent.id, kiosk.deps)
    session, _ = kiosk.start()

    with pytest.raises(NotVerified, match=face.NOT_VERIFIED):  # one answer, known or not
        face.return_with_face(face.ReturnCmd(session.id, **frames(ALICE),
                                             receipt_id=enrolled.consent.id), kiosk.deps)

    with kiosk.deps.uow() as uow:
        assert len(uow.visits.for_person(enrolled.consent.person_id)) == 1


def test_c6_withdrawing_twice_is_harmless(kiosk: Kiosk) -> None:
    enrolled = kiosk.new_face_visitor(ALICE)
    first = consent_service.withdraw(enrolled.consent.id, kiosk.deps)
    kiosk.clock.advance(hours=1)

    second = consent_service.withdraw(enrolled.consent.id, kiosk.deps)

    assert second.withdrawn_at == first.withdrawn_at
    assert audit_actions(kiosk).count("consent_withdrawn") == 1


def test_c6_a_failed_withdrawal_transaction_keeps_template_and_gallery_in_step(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch,
) -> None:
    enrolled = kiosk.new_face_visitor(ALICE)
    person = enrolled.consent.person_id

    class AuditDown(Exception):
        pass

    from keyuan.adapters.store.repositories.checkin import AuditLog

    real_append = AuditLog.append

    def failing_append(self: AuditLog, **kwargs: object) -> object:
        if kwargs.get("action") == "template_deleted":
            raise AuditDown
        return real_append(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AuditLog, "append", failing_append)

    with pytest.raises(AuditDown):
        consent_service.withdraw(enrolled.consent.id, kiosk.deps)

    with kiosk.deps.uow() as uow:  # all or nothing: consent still active, template still there
        assert uow.vault.has(person)
        assert uow.consents.get(enrolled.consent.id).is_active  # type: ignore[union-attr]
    assert person in kiosk.deps.gallery


# --- return visits: 1:1 against the claimed person's own template --------------------------------

def test_the_right_person_returning_is_verified_and_a_visit_recorded_with_evidence(
    kiosk: Kiosk,
) -> None:
    enrolled = kiosk.new_face_visitor(ALICE)
    kiosk.clock.advance(days=7)
    session, _ = kiosk.start()

    result = face.return_with_face(
        face.ReturnCmd(session.id, **frames(ALICE), receipt_id=enrolled.consent.id), kiosk.deps
    )

    assert result.visit.method is VisitMethod.FACE_KIOSK
    assert result.visit.at == kiosk.clock.now()
    assert result.evidence["distance"] <= result.evidence["threshold"]
    assert result.evidence["threshold"] == kiosk.deps.face.verify_threshold
    with kiosk.deps.uow() as uow:
        visits = uow.visits.for_person(enrolled.consent.person_id)
        assert uow.sessions.get(session.id).person_id == enrolled.consent.person_id  # type: ignore[union-attr]
        last = uow.audit.all()[-1]
    assert len(visits) == 2
    assert visits[-1].evidence["distance"] == result.evidence["distance"]
    assert (last.action, last.detail["matched"]) == ("face_verified", True)


def test_another_persons_face_is_not_verified_no_visit_but_an_audit_entry(kiosk: Kiosk) -> None:
    enrolled = kiosk.new_face_visitor(ALICE)
    session, _ = kiosk.start()

    with pytest.raises(NotVerified):
        face.return_with_face(
            face.ReturnCmd(session.id, **frames(BOB), receipt_id=enrolled.consent.id), kiosk.deps
        )

    with kiosk.deps.uow() as uow:
        assert len(uow.visits.for_person(enrolled.consent.person_id)) == 1
        assert uow.sessions.get(session.id).person_id is None  # type: ignore[union-attr]
        last = uow.audit.all()[-1]
    assert last.action == "face_verified"
    assert last.subject == enrolled.consent.person_id
    assert last.detail["matched"] is False
    assert last.detail["distance"] > last.detail["threshold"]


def test_a_return_without_saying_who_you_are_is_refused(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ALICE)
    session, _ = kiosk.start()

    with pytest.raises(UnknownPerson):
        face.return_with_face(face.ReturnCmd(session.id, **frames(ALICE)), kiosk.deps)


def test_claim_by_mobile_works_when_the_mobile_was_verified_before_face_consent(
    kiosk: Kiosk,
) -> None:
    first, notice = kiosk.start()
    kiosk.check_in_by_phone(first.id, notice.content_hash, MOBILE)
    consent = kiosk.consent_face(first.id, notice.content_hash)
    kiosk.enroll(first.id, consent.id, ALICE)
    kiosk.clock.advance(days=2)
    later, _ = kiosk.start()

    result = face.return_with_face(
        face.ReturnCmd(later.id, **frames(ALICE), mobile="+86 137-0000-1111"), kiosk.deps
    )

    assert result.visit.person_id == consent.person_id
    assert result.consent.id == consent.id


def test_claim_by_mobile_fails_when_no_mobile_was_verified_with_the_face(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ALICE)  # face only, no mobile
    later, _ = kiosk.start()

    with pytest.raises(NotVerified, match=face.NOT_VERIFIED):
        face.return_with_face(face.ReturnCmd(later.id, **frames(ALICE), mobile=MOBILE), kiosk.deps)


def test_claim_by_a_mobile_verified_by_someone_else_is_refused(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ALICE)
    elsewhere, notice = kiosk.start()
    kiosk.check_in_by_phone(elsewhere.id, notice.content_hash, MOBILE)  # a phone-only visitor
    later, _ = kiosk.start()

    with pytest.raises(NotVerified, match=face.NOT_VERIFIED):
        face.return_with_face(face.ReturnCmd(later.id, **frames(ALICE), mobile=MOBILE), kiosk.deps)


def test_the_face_receipt_is_a_face_scope_consent_with_the_pseudonym(kiosk: Kiosk) -> None:
    enrolled = kiosk.new_face_visitor(ALICE)

    receipt = consent_service.get_receipt(enrolled.consent.id, kiosk.deps)

    assert receipt.scope is ConsentScope.FACE
    assert receipt.receipt["piiPrincipalId"] == enrolled.consent.person_id


# --- C2 inside the face use cases ----------------------------------------------------------------

def test_c2_a_visitor_who_declines_after_ticking_consent_is_not_enrolled(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    consent = kiosk.consent_face(session.id, notice.content_hash)
    kiosk_service.decline_face(session.id, kiosk.deps)

    with pytest.raises(FaceDeclinedThisVisit):
        kiosk.enroll(session.id, consent.id, ALICE)

    assert counts(kiosk)[:2] == (0, 0)
    assert kiosk.deps.engine.calls == []  # type: ignore[union-attr]


def test_c2_no_face_is_processed_for_a_return_in_a_visit_that_declined_face(
    kiosk: Kiosk,
) -> None:
    enrolled = kiosk.new_face_visitor(ALICE)
    session, _ = kiosk.start()
    kiosk_service.decline_face(session.id, kiosk.deps)
    calls_before = len(kiosk.deps.engine.calls)  # type: ignore[union-attr]

    with pytest.raises(FaceDeclinedThisVisit):
        face.return_with_face(
            face.ReturnCmd(session.id, **frames(ALICE), receipt_id=enrolled.consent.id), kiosk.deps
        )

    assert len(kiosk.deps.engine.calls) == calls_before  # type: ignore[union-attr]
    assert counts(kiosk)[1] == 1


def test_c6_withdrawal_succeeds_when_this_process_never_loaded_the_template(
    kiosk: Kiosk,
) -> None:
    # Another worker process enrolled the person, or the gallery was not loaded yet: the
    # withdrawal commits and must not fail afterwards in the gallery update.
    from keyuan.services.faces.gallery import Gallery

    enrolled = kiosk.new_face_visitor(ALICE)
    object.__setattr__(kiosk.app.deps, "gallery", Gallery())

    withdrawn = consent_service.withdraw(enrolled.consent.id, kiosk.deps)

    assert not withdrawn.is_active
    with kiosk.deps.uow() as uow:
        assert not uow.vault.has(enrolled.consent.person_id)
