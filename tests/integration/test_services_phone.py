"""Mobile check-in on SQLite: one-time codes (wrong, too many, expired, throttled), the decliner's
path (C2), and the whole product with the face module switched off (C10)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.errors import (
    CodeExpired,
    CodeInvalid,
    CodeRateLimited,
    ConsentMissing,
    FaceDeclinedThisVisit,
    FaceModuleDisabled,
    InvalidMobile,
    TooManyAttempts,
)
from keyuan.services.checkin import face, phone
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.faces.engine import TEMPLATE_DIM
from support.sequences import fake_shots

if TYPE_CHECKING:
    from .conftest import Kiosk

MOBILE = "13800138000"
OTHER_MOBILE = "15912345678"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def check_in(k: Kiosk, session_id: str, notice_hash: str, code: str, *,
             mobile: str = MOBILE) -> phone.CheckInResult:
    return phone.phone_check_in(phone.PhoneCheckInCmd(
        session_id=session_id, mobile=mobile, code=code, notice_hash=notice_hash, agree=True,
    ), k.deps)


def attempts(k: Kiosk, session_id: str, mobile: str = MOBILE) -> int:
    with k.deps.uow() as uow:
        otp = uow.codes.latest(session_id, k.deps.hasher.mobile(mobile))
        assert otp is not None
        return otp.attempts


def visit_count(k: Kiosk) -> int:
    with k.deps.uow() as uow:
        return len(uow.visits.for_office(k.office_id))


# --- codes ---------------------------------------------------------------------------------------

def test_a_code_is_sent_to_the_normalised_number_and_only_its_hash_is_stored(kiosk: Kiosk) -> None:
    session, _ = kiosk.start()

    sent = phone.request_code(session.id, "+86 138-0013-8000", kiosk.deps)

    assert sent.masked_mobile == "138****8000"
    assert (sent.expires_at - kiosk.clock.now()).total_seconds() == kiosk.deps.otp_ttl_seconds
    [(to, _text)] = kiosk.sender.sent
    assert to == MOBILE
    code = kiosk.last_code()
    with kiosk.deps.uow() as uow:
        otp = uow.codes.latest(session.id, kiosk.deps.hasher.mobile(MOBILE))
    assert otp is not None
    assert code not in otp.code_hash
    assert MOBILE not in otp.mobile_hash
    assert otp.expires_at == sent.expires_at


def test_the_right_code_checks_in_with_a_phone_visit_and_a_phone_receipt(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)

    result = check_in(kiosk, session.id, notice.content_hash, kiosk.last_code())

    assert result.visit.method is VisitMethod.PHONE
    assert result.evidence == {"mobile_verified": "138****8000", "consent": result.consent.id}
    assert result.consent.scope is ConsentScope.PHONE
    assert result.consent.receipt["sensitive"] is False
    with kiosk.deps.uow() as uow:
        person = uow.persons.get(result.visit.person_id)
        assert person is not None and person.mobile == MOBILE
        assert uow.vault.count() == 0


def test_a_wrong_code_is_refused_and_the_attempt_is_persisted(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)

    with pytest.raises(CodeInvalid):
        check_in(kiosk, session.id, notice.content_hash, wrong(kiosk.last_code()))

    assert attempts(kiosk, session.id) == 1
    assert visit_count(kiosk) == 0


def test_after_the_maximum_wrong_codes_even_the_right_code_is_refused(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)
    code = kiosk.last_code()
    limit = kiosk.deps.otp_max_attempts
    for _ in range(limit - 1):
        with pytest.raises(CodeInvalid):
            check_in(kiosk, session.id, notice.content_hash, wrong(code))

    with pytest.raises(TooManyAttempts):
        check_in(kiosk, session.id, notice.content_hash, wrong(code))
    with pytest.raises(TooManyAttempts):
        check_in(kiosk, session.id, notice.content_hash, code)

    assert attempts(kiosk, session.id) == limit
    assert visit_count(kiosk) == 0


def test_an_expired_code_is_refused(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)
    kiosk.clock.advance(seconds=kiosk.deps.otp_ttl_seconds)

    with pytest.raises(CodeExpired):
        check_in(kiosk, session.id, notice.content_hash, kiosk.last_code())

    assert visit_count(kiosk) == 0


def test_a_code_just_before_expiry_still_works(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)
    kiosk.clock.advance(seconds=kiosk.deps.otp_ttl_seconds - 1)

    check_in(kiosk, session.id, notice.content_hash, kiosk.last_code())

    assert visit_count(kiosk) == 1


def test_a_used_code_cannot_check_in_twice(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)
    check_in(kiosk, session.id, notice.content_hash, kiosk.last_code())

    with pytest.raises(CodeExpired):
        check_in(kiosk, session.id, notice.content_hash, kiosk.last_code())

    assert visit_count(kiosk) == 1


def test_a_code_is_valid_only_for_the_number_and_session_it_was_sent_for(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    other, _ = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)
    code = kiosk.last_code()

    with pytest.raises(CodeExpired):
        check_in(kiosk, session.id, notice.content_hash, code, mobile=OTHER_MOBILE)
    with pytest.raises(CodeExpired):
        check_in(kiosk, other.id, notice.content_hash, code)

    assert visit_count(kiosk) == 0


def test_a_resend_within_the_gap_is_throttled_and_sends_nothing(kiosk: Kiosk) -> None:
    session, _ = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)
    kiosk.clock.advance(seconds=kiosk.deps.otp_resend_seconds - 1)

    with pytest.raises(CodeRateLimited):
        phone.request_code(session.id, MOBILE, kiosk.deps)

    assert len(kiosk.sender.sent) == 1
    kiosk.clock.advance(seconds=1)
    phone.request_code(session.id, MOBILE, kiosk.deps)
    assert len(kiosk.sender.sent) == 2


def test_after_a_resend_only_the_new_code_works(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)
    old = kiosk.last_code()
    kiosk.clock.advance(seconds=kiosk.deps.otp_resend_seconds)
    phone.request_code(session.id, MOBILE, kiosk.deps)
    new = kiosk.last_code()
    if old != new:
        with pytest.raises(CodeInvalid):
            check_in(kiosk, session.id, notice.content_hash, old)

    check_in(kiosk, session.id, notice.content_hash, new)

    assert visit_count(kiosk) == 1


def test_an_invalid_mobile_is_refused_before_any_code_is_sent(kiosk: Kiosk) -> None:
    session, _ = kiosk.start()

    with pytest.raises(InvalidMobile):
        phone.request_code(session.id, "1234", kiosk.deps)

    assert kiosk.sender.sent == []


def test_mobile_check_in_without_agreeing_to_the_notice_is_refused(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)

    with pytest.raises(ConsentMissing):
        phone.phone_check_in(phone.PhoneCheckInCmd(
            session_id=session.id, mobile=MOBILE, code=kiosk.last_code(),
            notice_hash=notice.content_hash, agree=False,
        ), kiosk.deps)

    assert visit_count(kiosk) == 0


def test_a_returning_phone_visitor_is_the_same_person_with_one_phone_consent(kiosk: Kiosk) -> None:
    first, notice = kiosk.start()
    before = kiosk.check_in_by_phone(first.id, notice.content_hash, MOBILE)
    kiosk.clock.advance(days=5)
    later, _ = kiosk.start()

    after = kiosk.check_in_by_phone(later.id, notice.content_hash, "138 0013 8000")

    assert after.visit.person_id == before.visit.person_id
    assert after.consent.id == before.consent.id
    assert visit_count(kiosk) == 2


# --- C2: declining face costs nothing ------------------------------------------------------------

def test_c2_a_decliner_is_not_asked_again_and_checks_in_by_phone_with_a_receipt(
    kiosk: Kiosk,
) -> None:
    session, notice = kiosk.start()

    kiosk_service.decline_face(session.id, kiosk.deps)
    with pytest.raises(FaceDeclinedThisVisit):
        kiosk.consent_face(session.id, notice.content_hash)
    result = kiosk.check_in_by_phone(session.id, notice.content_hash, MOBILE)

    assert result.visit.method is VisitMethod.PHONE
    assert result.consent.scope is ConsentScope.PHONE
    assert result.consent.receipt["consentReceiptID"] == result.consent.id
    assert result.consent.receipt["spiCat"] == []
    with kiosk.deps.uow() as uow:
        assert uow.vault.count() == 0
        assert uow.consents.active_for(result.visit.person_id, ConsentScope.FACE) is None
        assert uow.sessions.get(session.id).face_declined  # type: ignore[union-attr]
        stored = uow.consents.get(result.consent.id)
    assert stored is not None and stored.receipt_hash == result.consent.receipt_hash


def test_c2_declining_in_one_visit_does_not_block_face_in_the_next(kiosk: Kiosk) -> None:
    declined, notice = kiosk.start()
    kiosk_service.decline_face(declined.id, kiosk.deps)
    later, _ = kiosk.start()

    consent = kiosk.consent_face(later.id, notice.content_hash)

    assert consent.scope is ConsentScope.FACE


# --- C10: face module off -----------------------------------------------------------------------

def _frames() -> dict[str, Any]:
    return fake_shots((200, 150, 120)).cmd()


def test_c10_with_the_face_module_off_face_calls_refuse_and_phone_check_in_works(
    faceless_kiosk: Kiosk,
) -> None:
    k = faceless_kiosk
    assert k.deps.engine is None
    session, notice = k.start()

    with pytest.raises(FaceModuleDisabled):
        k.consent_face(session.id, notice.content_hash)
    with pytest.raises(FaceModuleDisabled):
        face.enroll_face(face.EnrollCmd(session.id, "0" * 32, **_frames()), k.deps)
    with pytest.raises(FaceModuleDisabled):
        face.return_with_face(face.ReturnCmd(session.id, **_frames(), mobile=MOBILE), k.deps)
    with pytest.raises(FaceModuleDisabled):
        face.identify(np.zeros(TEMPLATE_DIM, dtype=np.float32), k.deps, actor="staff",
                      reason="test")

    result = k.check_in_by_phone(session.id, notice.content_hash, MOBILE)

    assert result.visit.method is VisitMethod.PHONE
    with k.deps.uow() as uow:
        assert uow.vault.count() == 0
        assert [c.scope for c in uow.consents.for_person(result.visit.person_id)] == [
            ConsentScope.PHONE
        ]
