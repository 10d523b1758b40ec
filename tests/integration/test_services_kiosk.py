"""Kiosk sessions and notices on SQLite: consent counts only against the current notice (C3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.errors import (
    ControllerIncomplete,
    NoActiveNotice,
    NoticeIncomplete,
    NoticeMismatch,
    UnknownOffice,
    UnknownSession,
)
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.checkin import offices as svc
from keyuan.services.checkin import phone
from keyuan.services.checkin.offices import ensure_office
from keyuan.services.checkin.setup import default_notice, publish_notice
from support.offices import entity

if TYPE_CHECKING:
    from .conftest import Kiosk

MOBILE = "13612345678"


def office(k: Kiosk):
    with k.deps.uow() as uow:
        found = uow.offices.get(k.office_id)
    assert found is not None
    return found


def republish(k: Kiosk, language: str = "zh-CN", **changes: str) -> object:
    notice = default_notice(office(k), entity(pi_name="新负责人"), language)
    for field, value in changes.items():
        setattr(notice, field, value)
    return publish_notice(notice, k.deps)


def test_the_default_office_has_published_chinese_and_english_notices(kiosk: Kiosk) -> None:
    with kiosk.deps.uow() as uow:
        zh = uow.notices.active(kiosk.office_id, "zh-CN")
        en = uow.notices.active(kiosk.office_id, "en")
    assert zh is not None and en is not None
    assert zh.version == en.version == 1
    assert zh.content_hash != en.content_hash
    assert zh.problems() == [] and en.problems() == []


def test_ensure_office_is_idempotent(kiosk: Kiosk) -> None:
    assert not ensure_office(office(kiosk), entity(), kiosk.deps)

    with kiosk.deps.uow() as uow:
        assert uow.notices.latest_version(kiosk.office_id, "zh-CN") == 1


def test_a_session_starts_with_the_current_notice(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()

    assert session.office_id == kiosk.office_id
    assert notice.language == "zh-CN" and notice.is_published


def test_a_session_for_an_unknown_office_is_refused(kiosk: Kiosk) -> None:
    with pytest.raises(UnknownOffice):
        kiosk_service.start_session("no-such-office", kiosk.deps)


def test_an_unknown_session_is_refused(kiosk: Kiosk) -> None:
    with pytest.raises(UnknownSession):
        kiosk_service.decline_face("0" * 32, kiosk.deps)


def test_an_office_without_a_published_notice_cannot_start_sessions(kiosk: Kiosk) -> None:
    from keyuan.domain.checkin.person import Office

    with kiosk.deps.uow() as uow:
        [controller] = uow.legal_entities.all()
        uow.offices.add(Office(id="bare", name="空售楼处", legal_entity=controller.name,
                               legal_entity_id=controller.id))
        uow.commit()

    with pytest.raises(NoActiveNotice):
        kiosk_service.start_session("bare", kiosk.deps)


def test_an_office_without_a_complete_controller_cannot_start_sessions(kiosk: Kiosk) -> None:
    """Stored before the controller was complete, or emptied later: no session either way."""
    from keyuan.domain.checkin.person import Office

    with kiosk.deps.uow() as uow:
        uow.offices.add(Office(id="bare", name="空售楼处", legal_entity="某公司"))
        uow.commit()
    with pytest.raises(ControllerIncomplete):
        kiosk_service.start_session("bare", kiosk.deps)
    svc.edit_legal_entity(1, svc.EntityFields(pi_contact=""), kiosk.deps, actor="admin")
    with pytest.raises(ControllerIncomplete):
        kiosk_service.start_session(kiosk.office_id, kiosk.deps)


def test_c3_an_incomplete_notice_is_not_published_and_nothing_is_stored(kiosk: Kiosk) -> None:
    with kiosk.deps.uow() as uow:
        before = len(uow.audit.all())

    with pytest.raises(NoticeIncomplete, match="retention"):
        republish(kiosk, retention="")

    with kiosk.deps.uow() as uow:
        assert uow.notices.latest_version(kiosk.office_id, "zh-CN") == 1
        assert len(uow.audit.all()) == before


def test_c9_a_notice_claiming_a_perpetual_licence_is_not_published(kiosk: Kiosk) -> None:
    with pytest.raises(NoticeIncomplete):
        republish(kiosk, rights="您授予我们永久、不可撤销的许可。")

    with kiosk.deps.uow() as uow:
        assert uow.notices.latest_version(kiosk.office_id, "zh-CN") == 1


def test_publishing_a_new_version_is_audited_with_its_hash(kiosk: Kiosk) -> None:
    notice = republish(kiosk)

    with kiosk.deps.uow() as uow:
        event = uow.audit.all()[-1]
    assert notice.version == 2  # type: ignore[attr-defined]
    assert event.action == "notice_published"
    assert event.detail["hash"] == notice.content_hash  # type: ignore[attr-defined]


def test_c3_face_consent_against_a_stale_notice_is_refused(kiosk: Kiosk) -> None:
    session, shown = kiosk.start()
    republish(kiosk)

    with pytest.raises(NoticeMismatch):
        kiosk.consent_face(session.id, shown.content_hash)

    with kiosk.deps.uow() as uow:
        assert uow.sessions.get(session.id).person_id is None  # type: ignore[union-attr]


def test_c3_phone_consent_against_a_stale_notice_is_refused(kiosk: Kiosk) -> None:
    session, shown = kiosk.start()
    phone.request_code(session.id, MOBILE, kiosk.deps)
    republish(kiosk)

    with pytest.raises(NoticeMismatch):
        phone.phone_check_in(phone.PhoneCheckInCmd(
            session_id=session.id, mobile=MOBILE, code=kiosk.last_code(),
            notice_hash=shown.content_hash, agree=True,
        ), kiosk.deps)


def test_c3_consent_against_an_unknown_notice_hash_is_refused(kiosk: Kiosk) -> None:
    session, _ = kiosk.start()

    with pytest.raises(NoticeMismatch):
        kiosk.consent_face(session.id, "f" * 64)


def test_c3_consent_against_the_current_notice_records_its_version_and_hash(kiosk: Kiosk) -> None:
    republish(kiosk)
    session, current = kiosk.start()

    consent = kiosk.consent_face(session.id, current.content_hash)

    assert current.version == 2
    assert (consent.notice_version, consent.notice_hash) == (2, current.content_hash)
    assert consent.scope is ConsentScope.FACE


def test_consent_against_the_current_english_notice_is_accepted(kiosk: Kiosk) -> None:
    session, _ = kiosk.start()
    with kiosk.deps.uow() as uow:
        english = uow.notices.active(kiosk.office_id, "en")
    assert english is not None

    consent = kiosk.consent_face(session.id, english.content_hash)

    assert consent.receipt["language"] == "en"


def test_c2_declining_is_remembered_by_the_session(kiosk: Kiosk) -> None:
    session, _ = kiosk.start()

    declined = kiosk_service.decline_face(session.id, kiosk.deps)

    assert declined.face_declined
    with kiosk.deps.uow() as uow:
        stored = uow.sessions.get(session.id)
    assert stored is not None and stored.face_declined and stored.person_id is None


def test_c3_consent_against_another_offices_notice_is_refused(kiosk: Kiosk) -> None:
    from keyuan.domain.checkin.person import Office

    other = Office(id="other-office", name="另一售楼处", legal_entity="另一置业有限公司")
    ensure_office(other, entity(other.legal_entity), kiosk.deps)
    with kiosk.deps.uow() as uow:
        theirs = uow.notices.active(other.id, "zh-CN")
    assert theirs is not None
    session, _ = kiosk.start()

    with pytest.raises(NoticeMismatch):
        kiosk.consent_face(session.id, theirs.content_hash)
