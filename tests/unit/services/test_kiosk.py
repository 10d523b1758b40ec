"""Kiosk use cases on the fake unit of work: start, read the notice, decline face, consent
(C1 单独同意, C2 no re-prompt, C3 the notice shown, C10 face off, C23 PIA)."""

from __future__ import annotations

import dataclasses

import pytest

from keyuan.config.face import FaceSettings
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.person import Office
from keyuan.domain.errors import (
    ControllerIncomplete,
    FaceDeclinedThisVisit,
    FaceModuleDisabled,
    ImpactAssessmentMissing,
    ImpactAssessmentStale,
    MinorNotEligible,
    NoActiveNotice,
    NoticeMismatch,
    UnknownOffice,
    UnknownSession,
)
from keyuan.services.checkin import kiosk
from keyuan.services.checkin.setup import default_notice, publish_notice
from support.offices import entity
from unit.services.harness import Harness, make_harness


def test_a_session_starts_with_the_offices_active_chinese_notice(harness: Harness) -> None:
    session, notice = harness.start()
    assert notice.language == "zh-CN" and notice.is_published
    assert session.office_id == harness.office_id
    assert session.id in harness.committed.sessions


def test_a_session_for_an_unknown_office_is_refused(harness: Harness) -> None:
    with pytest.raises(UnknownOffice):
        kiosk.start_session("no-such-office", harness.deps)


def test_an_office_without_a_published_notice_cannot_start_a_session() -> None:
    bare = make_harness(with_office=False)
    with bare.fake:
        controller = entity("E")
        assert bare.fake.legal_entities.add_new(controller)
        bare.fake.offices.add(Office(id="o2", name="B", legal_entity="E",
                                     legal_entity_id=controller.id))
        bare.fake.commit()
    with pytest.raises(NoActiveNotice):
        kiosk.start_session("o2", bare.deps)


@pytest.mark.parametrize("missing", ["credit_code", "contact", "pi_name", "pi_contact"])
def test_an_office_whose_controller_is_incomplete_cannot_start_a_session(missing: str) -> None:
    """PIPL 17: the notice must name the controller; the kiosk does not start until it can,
    also when an earlier notice is still on file."""
    harness = make_harness()
    with harness.fake:
        [controller] = harness.fake.legal_entities.all()
        setattr(controller, missing, "")
        harness.fake.commit()
    with pytest.raises(ControllerIncomplete) as refused:
        kiosk.start_session(harness.office_id, harness.deps)
    assert refused.value.code == "controller_incomplete"
    assert refused.value.details["missing"] == [missing]
    with pytest.raises(ControllerIncomplete):
        kiosk.kiosk_page(harness.office_id, "zh-CN", harness.deps)
    assert harness.committed.sessions == {}


def test_an_office_without_a_legal_entity_cannot_start_a_session() -> None:
    bare = make_harness(with_office=False)
    with bare.fake:
        bare.fake.offices.add(Office(id="o2", name="B", legal_entity="E"))
        bare.fake.commit()
    with pytest.raises(ControllerIncomplete):
        kiosk.start_session("o2", bare.deps)


def test_a_declined_face_is_never_offered_again_in_that_visit(harness: Harness) -> None:
    session, notice = harness.start()
    declined = kiosk.decline_face(session.id, harness.deps)
    assert declined.face_declined
    with pytest.raises(FaceDeclinedThisVisit):
        harness.consent_face(session.id, notice.content_hash)
    assert harness.committed.persons == {} and harness.committed.consents == {}


def test_declining_stores_nothing_about_the_person(harness: Harness) -> None:
    session, _ = harness.start()
    kiosk.decline_face(session.id, harness.deps)
    assert harness.committed.sessions[session.id].person_id is None
    assert harness.committed.persons == {}


def test_declining_an_unknown_session_is_refused(harness: Harness) -> None:
    with pytest.raises(UnknownSession):
        kiosk.decline_face("nope", harness.deps)


def test_face_consent_records_person_consent_and_audit_entry(harness: Harness) -> None:
    session, notice = harness.start()
    consent = harness.consent_face(session.id, notice.content_hash)
    stored = harness.committed.consents[consent.id]
    assert stored.scope is ConsentScope.FACE and stored.is_active
    assert stored.notice_hash == notice.content_hash
    assert harness.committed.sessions[session.id].person_id == consent.person_id
    assert consent.person_id in harness.committed.persons
    assert harness.actions()[-1] == "consent_given"
    assert harness.committed.audit[-1].subject == consent.person_id


def test_face_consent_is_refused_under_14(harness: Harness) -> None:
    session, notice = harness.start()
    with pytest.raises(MinorNotEligible):
        kiosk.consent_to_face(kiosk.FaceConsentCmd(
            session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=False),
            harness.deps)
    assert harness.committed.consents == {}


def test_consent_against_a_superseded_notice_is_refused(harness: Harness) -> None:
    session, old = harness.start()
    office = harness.committed.offices[harness.office_id]
    publish_notice(default_notice(office, entity(pi_name="新负责人"), "zh-CN"), harness.deps)
    with pytest.raises(NoticeMismatch):
        harness.consent_face(session.id, old.content_hash)


def test_face_consent_is_refused_with_the_face_module_off() -> None:
    faceless = make_harness(engine_on=False)
    session, notice = faceless.start()
    with pytest.raises(FaceModuleDisabled):
        faceless.consent_face(session.id, notice.content_hash)


def test_face_consent_is_refused_without_an_impact_assessment() -> None:
    unassessed = make_harness(with_pia=False)
    session, notice = unassessed.start()
    with pytest.raises(ImpactAssessmentMissing):
        unassessed.consent_face(session.id, notice.content_hash)


def test_changed_face_settings_make_the_assessment_stale(harness: Harness) -> None:
    session, notice = harness.start()
    stricter = FaceSettings(min_face_px=100)
    deps = dataclasses.replace(harness.deps, face=stricter)
    with pytest.raises(ImpactAssessmentStale):
        kiosk.consent_to_face(kiosk.FaceConsentCmd(
            session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True), deps)
