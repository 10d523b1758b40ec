"""Mobile check-in (C2, C10): a code by SMS, stored only as a keyed hash; wrong codes counted
even though the call fails; the right code gives a phone consent and a visit."""

from __future__ import annotations

import dataclasses

import pytest

from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.errors import (
    CodeExpired,
    CodeInvalid,
    CodeRateLimited,
    ConsentMissing,
    SessionPersonMismatch,
    TooManyAttempts,
)
from keyuan.services.checkin import phone
from keyuan.services.checkin.face import CheckInResult
from keyuan.services.fakes.uow import FakeUnitOfWork, fake_uow_factory
from unit.services.harness import MOBILE, Harness, make_harness


def _check_in(harness: Harness, session_id: str, notice_hash: str, code: str,
              agree: bool = True) -> CheckInResult:
    return phone.phone_check_in(phone.PhoneCheckInCmd(
        session_id=session_id, mobile=MOBILE, code=code, notice_hash=notice_hash, agree=agree),
        harness.deps)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_requested_code_is_sent_by_sms_and_stored_only_as_a_hash(harness: Harness) -> None:
    session, _ = harness.start()
    sent = phone.request_code(session.id, MOBILE, harness.deps)
    assert sent.masked_mobile != MOBILE and sent.masked_mobile.endswith(MOBILE[-4:])
    assert [mobile for mobile, _ in harness.sender.sent] == [MOBILE]
    code = harness.last_code()
    (stored,) = harness.committed.codes.values()
    assert stored.mobile_hash == harness.deps.hasher.mobile(MOBILE)
    assert stored.code_hash == harness.deps.hasher.code(stored.id, code) != code
    assert MOBILE not in {str(value) for value in vars(stored).values()}


def test_a_second_code_within_the_resend_gap_is_refused(harness: Harness) -> None:
    session, _ = harness.start()
    phone.request_code(session.id, MOBILE, harness.deps)
    harness.clock.advance(seconds=harness.deps.otp_resend_seconds - 1)
    with pytest.raises(CodeRateLimited):
        phone.request_code(session.id, MOBILE, harness.deps)
    harness.clock.advance(seconds=1)
    phone.request_code(session.id, MOBILE, harness.deps)
    assert len(harness.sender.sent) == 2


def test_no_sms_goes_out_when_the_code_could_not_be_stored(harness: Harness) -> None:
    class CommitFails(FakeUnitOfWork):
        def commit(self) -> None:
            raise ConnectionError("the store went away")

    session, _ = harness.start()
    deps = dataclasses.replace(harness.deps, uow=fake_uow_factory(CommitFails(harness.fake.store)))
    with pytest.raises(ConnectionError):
        phone.request_code(session.id, MOBILE, deps)
    assert harness.sender.sent == []


def test_a_wrong_code_is_counted_and_the_count_survives_the_failure(harness: Harness) -> None:
    session, notice = harness.start()
    phone.request_code(session.id, MOBILE, harness.deps)
    with pytest.raises(CodeInvalid):
        _check_in(harness, session.id, notice.content_hash, _wrong(harness.last_code()))
    (stored,) = harness.committed.codes.values()
    assert stored.attempts == 1
    assert harness.committed.visits == {}


def test_after_too_many_wrong_codes_even_the_right_one_is_refused(harness: Harness) -> None:
    session, notice = harness.start()
    phone.request_code(session.id, MOBILE, harness.deps)
    right = harness.last_code()
    for _ in range(harness.deps.otp_max_attempts - 1):
        with pytest.raises(CodeInvalid):
            _check_in(harness, session.id, notice.content_hash, _wrong(right))
    with pytest.raises(TooManyAttempts):
        _check_in(harness, session.id, notice.content_hash, _wrong(right))
    with pytest.raises(TooManyAttempts):
        _check_in(harness, session.id, notice.content_hash, right)


def test_an_expired_code_is_refused(harness: Harness) -> None:
    session, notice = harness.start()
    phone.request_code(session.id, MOBILE, harness.deps)
    harness.clock.advance(seconds=harness.deps.otp_ttl_seconds)
    with pytest.raises(CodeExpired):
        _check_in(harness, session.id, notice.content_hash, harness.last_code())


def test_the_right_code_records_phone_consent_and_a_visit(harness: Harness) -> None:
    session, notice = harness.start()
    phone.request_code(session.id, MOBILE, harness.deps)
    result = _check_in(harness, session.id, notice.content_hash, harness.last_code())
    visit = harness.committed.visits[result.visit.id]
    assert visit.method is VisitMethod.PHONE and visit.office_id == harness.office_id
    assert harness.committed.consents[result.consent.id].scope is ConsentScope.PHONE
    person = harness.committed.persons[visit.person_id]
    assert person.mobile_hash == harness.deps.hasher.mobile(MOBILE)
    assert MOBILE not in str(result.evidence)


def test_a_used_code_cannot_check_in_twice(harness: Harness) -> None:
    session, notice = harness.start()
    phone.request_code(session.id, MOBILE, harness.deps)
    code = harness.last_code()
    _check_in(harness, session.id, notice.content_hash, code)
    with pytest.raises(CodeExpired):
        _check_in(harness, session.id, notice.content_hash, code)


def test_a_returning_number_is_the_same_person_with_one_phone_consent(harness: Harness) -> None:
    first = harness.check_in_by_phone()
    harness.clock.advance(days=3)
    second = harness.check_in_by_phone()
    assert second.visit.person_id == first.visit.person_id
    assert second.consent.id == first.consent.id
    assert len(harness.committed.visits) == 2


def test_mobile_check_in_needs_agreement_to_the_notice(harness: Harness) -> None:
    session, notice = harness.start()
    phone.request_code(session.id, MOBILE, harness.deps)
    with pytest.raises(ConsentMissing):
        _check_in(harness, session.id, notice.content_hash, harness.last_code(), agree=False)
    assert harness.committed.consents == {}


def test_mobile_check_in_works_with_the_face_module_off() -> None:
    faceless = make_harness(engine_on=False, with_pia=False)
    result = faceless.check_in_by_phone()
    assert result.visit.method is VisitMethod.PHONE


def test_check_ins_of_one_person_within_the_repeat_window_are_one_visit(harness: Harness) -> None:
    first = harness.check_in_by_phone()
    harness.clock.advance(seconds=harness.deps.visit_repeat_seconds - 1)
    again = harness.check_in_by_phone()
    harness.clock.advance(seconds=2)
    later = harness.check_in_by_phone()

    assert again.visit.id == first.visit.id
    assert later.visit.id != first.visit.id
    assert len(harness.committed.visits) == 2


def test_a_new_number_in_a_session_that_checked_a_face_in_is_refused(harness: Harness) -> None:
    session, notice = harness.start()
    consent = harness.consent_face(session.id, notice.content_hash)
    harness.enroll(session.id, consent.id)
    phone.request_code(session.id, MOBILE, harness.deps)

    with pytest.raises(SessionPersonMismatch):
        _check_in(harness, session.id, notice.content_hash, harness.last_code())
    assert harness.committed.persons[consent.person_id].mobile is None
