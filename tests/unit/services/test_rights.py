"""Visitor rights (C19, C6) on the fake: a code to the mobile on file, counted wrong tries, a
short-lived token, corrections (a new mobile waits for staff), withdrawing everything."""

from __future__ import annotations

import pytest

from keyuan.domain.compliance.rights import RequestStatus
from keyuan.domain.errors import CodeInvalid, NoMobileOnFile, RightsAccessDenied
from keyuan.services.compliance import rights
from unit.services.harness import MOBILE, Harness

NEW_MOBILE = "13900139000"


def _token(harness: Harness, receipt_id: str) -> str:
    rights.request_access_code(receipt_id, harness.deps)
    return rights.verify_access_code(receipt_id, harness.last_code(), harness.deps).token


def test_the_code_goes_to_the_mobile_on_file_only(harness: Harness) -> None:
    face_consent, _ = harness.face_and_phone_visitor()
    sent = rights.request_access_code(face_consent.id, harness.deps)
    assert harness.sender.sent[-1][0] == MOBILE
    assert sent.masked_mobile.endswith(MOBILE[-4:])


def test_a_person_without_a_mobile_gets_no_code(harness: Harness) -> None:
    enrolled = harness.new_face_visitor()
    with pytest.raises(NoMobileOnFile):
        rights.request_access_code(enrolled.consent.id, harness.deps)


def test_a_wrong_code_is_counted_and_gives_no_token(harness: Harness) -> None:
    face_consent, _ = harness.face_and_phone_visitor()
    rights.request_access_code(face_consent.id, harness.deps)
    wrong = f"{(int(harness.last_code()) + 1) % 1_000_000:06d}"
    with pytest.raises(CodeInvalid):
        rights.verify_access_code(face_consent.id, wrong, harness.deps)
    (access,) = harness.committed.rights_access.values()
    assert access.code.attempts == 1 and access.token_hash is None


def test_the_token_opens_the_persons_records_until_it_expires(harness: Harness) -> None:
    face_consent, _ = harness.face_and_phone_visitor()
    token = _token(harness, face_consent.id)
    request = rights.correct(token, rights.CorrectCmd(name="王芳"), harness.deps)
    assert request.status is RequestStatus.DONE
    assert harness.committed.persons[face_consent.person_id].name == "王芳"
    harness.clock.advance(seconds=rights.ACCESS_TTL.total_seconds())
    with pytest.raises(RightsAccessDenied):
        rights.correct(token, rights.CorrectCmd(name="王小芳"), harness.deps)


def test_a_new_mobile_waits_for_staff_and_applies_when_approved(harness: Harness) -> None:
    face_consent, _ = harness.face_and_phone_visitor()
    token = _token(harness, face_consent.id)
    queued = rights.correct(token, rights.CorrectCmd(mobile=NEW_MOBILE), harness.deps)
    assert [r.id for r in rights.staff_queue(harness.deps)] == [queued.id]
    person = harness.committed.persons[face_consent.person_id]
    assert person.mobile == MOBILE
    rights.close_request(queued.id, approve=True, outcome="checked ID", actor="compliance:li",
                         deps=harness.deps)
    person = harness.committed.persons[face_consent.person_id]
    assert (person.mobile, person.mobile_hash) == (NEW_MOBILE, harness.deps.hasher.mobile(
        NEW_MOBILE))
    assert rights.staff_queue(harness.deps) == []


def test_withdrawing_everything_ends_every_consent_and_deletes_the_template(
        harness: Harness) -> None:
    face_consent, by_phone = harness.face_and_phone_visitor()
    token = _token(harness, face_consent.id)
    request = rights.withdraw_all(token, harness.deps)
    assert sorted(request.detail["withdrawn"]) == sorted([face_consent.id, by_phone.consent.id])
    assert not any(c.is_active for c in harness.committed.consents.values())
    assert face_consent.person_id not in harness.committed.templates
    assert face_consent.person_id not in harness.deps.gallery
