"""The signing desk asks first, on the fake unit of work with a spy engine: without the buyer's own
consent to the desk's face check, or for a buyer under 14 by their ID number, the face engine is
never called — no decode, no detection, no template (C1, C5, C22)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.display import DISPLAY_ZONE
from keyuan.domain.errors import (
    DeskConsentMissing,
    DeskConsentRefused,
    NoticeMismatch,
    NotVerified,
    UnderFourteenNoFace,
)
from keyuan.services.attribution import desk_consent, signing
from keyuan.services.compliance import notices
from support.sequences import fake_shots
from unit.services.harness import ALICE, BOB, Harness, make_harness, png


def id_born(born: date, serial: str = "123") -> str:
    first17 = f"110105{born:%Y%m%d}{serial}"
    return first17 + check_digit(first17)


ADULT = id_born(date(1990, 3, 7))


def today(h: Harness) -> date:
    return h.clock.now().astimezone(DISPLAY_ZONE).date()


def engine_calls(h: Harness) -> list[str]:
    assert isinstance(h.deps.engine, FakeEngine)
    return h.deps.engine.calls


def answer(h: Harness, given: bool, id_number: str = ADULT, language: str = "zh-CN") -> str:
    notice = desk_consent.desk_notice(h.office_id, language, h.deps)
    return desk_consent.record(desk_consent.DeskConsentCmd(
        office_id=h.office_id, id_number=id_number, notice_hash=notice.content_hash,
        given=given, actor="desk-1"), h.deps).id


def sign_with_faces(h: Harness, id_number: str = ADULT, consent_id: str | None = None,
                    chip: tuple[int, int, int] = BOB) -> signing.SigningResult:
    """A live photo of ALICE with a chip photo of `chip`: BOB does not match, so a signing
    that gets as far as the engine stops with NotVerified before any store of attribution."""
    return signing.sign(signing.SigningCmd(
        office_id=h.office_id, buyer_name="王芳", id_number=id_number, mobile="13800001111",
        contract_price_fen=100, actor="desk-1", **fake_shots(ALICE).desk_cmd(),
        chip_photo=png(chip), desk_consent_id=consent_id), h.deps)


def test_c1_without_the_desk_consent_the_engine_is_never_called(harness: Harness) -> None:
    with pytest.raises(DeskConsentMissing):
        sign_with_faces(harness)
    assert engine_calls(harness) == []


def test_c1_a_chip_photo_alone_or_a_face_receipt_alone_needs_the_desk_consent_too(
    harness: Harness,
) -> None:
    for kw in ({"chip_photo": png(ALICE)}, {"face_receipt_id": "some-receipt"}):
        with pytest.raises(DeskConsentMissing):
            signing.sign(signing.SigningCmd(
                office_id=harness.office_id, buyer_name="王芳", id_number=ADULT,
                mobile="13800001111", contract_price_fen=100, actor="desk-1",
                **kw), harness.deps)  # type: ignore[arg-type]
    assert engine_calls(harness) == []


def test_c1_a_refusal_is_recorded_without_biometric_data_and_stops_every_face_step(
    harness: Harness,
) -> None:
    refused = answer(harness, given=False)

    with pytest.raises(DeskConsentRefused):
        sign_with_faces(harness, consent_id=refused)

    assert engine_calls(harness) == []
    record = harness.committed.desk_consents[refused]
    assert record.given is False and record.signing_id is None
    assert harness.committed.templates == {}
    assert "desk_consent_refused" in harness.actions()


def test_c1_with_the_desk_consent_the_face_check_runs(harness: Harness) -> None:
    """The control: the same request with a "yes" reaches the engine (and the chip photo of
    someone else stops it), so the tests above fail if the gate goes."""
    given = answer(harness, given=True)

    with pytest.raises(NotVerified):
        sign_with_faces(harness, consent_id=given)

    assert "embed" in engine_calls(harness)
    assert harness.actions()[-2:] == ["desk_consent_given", "id_face_verified"]


def test_c1_another_buyers_consent_does_not_let_the_face_through(harness: Harness) -> None:
    someone_else = answer(harness, given=True, id_number=id_born(date(1985, 1, 2)))

    with pytest.raises(DeskConsentMissing):
        sign_with_faces(harness, consent_id=someone_else)

    assert engine_calls(harness) == []


def test_c1_a_consent_under_a_desk_notice_no_longer_in_force_is_asked_again(
    harness: Harness,
) -> None:
    given = answer(harness, given=True)
    notices.republish(harness.office_id, harness.deps, actor="dpo")  # a new notice in force

    with pytest.raises(NoticeMismatch):
        sign_with_faces(harness, consent_id=given)

    assert engine_calls(harness) == []


def test_c5_a_buyer_under_14_by_the_id_number_gets_no_face_processing(
    harness: Harness,
) -> None:
    thirteen = id_born(today(harness).replace(year=today(harness).year - 14) + timedelta(days=1))

    with pytest.raises(UnderFourteenNoFace):
        answer(harness, given=True, id_number=thirteen)
    with pytest.raises(UnderFourteenNoFace):
        sign_with_faces(harness, id_number=thirteen, consent_id=answer(harness, given=True))

    assert engine_calls(harness) == []
    assert not any(c.given for c in harness.committed.desk_consents.values()
                   if c.id_hash == harness.deps.hasher.id_number(thirteen))


def test_c5_a_buyer_who_turns_14_today_may_consent(harness: Harness) -> None:
    fourteen = id_born(today(harness).replace(year=today(harness).year - 14))

    consent_id = answer(harness, given=True, id_number=fourteen)

    assert harness.committed.desk_consents[consent_id].given


def test_c22_the_desk_notice_names_only_the_desks_face_uses_in_both_languages(
    harness: Harness,
) -> None:
    zh = desk_consent.desk_notice(harness.office_id, "zh-CN", harness.deps)
    en = desk_consent.desk_notice(harness.office_id, "en", harness.deps)

    assert zh.uses == en.uses == ("signing_id_check_1to1", "signing_link_1to1",
                                  "signing_search_1toN")
    assert "签约人证核验" in zh.processing and "ID check at signing" in en.processing
    assert "return_visit_1to1" not in zh.processing
    assert zh.content_hash != en.content_hash
    no_link = make_harness(face=FaceSettings.model_validate({"uses": {"signing_link": False}}))
    assert desk_consent.desk_notice(no_link.office_id, "en", no_link.deps).uses == (
        "signing_id_check_1to1", "signing_search_1toN")
