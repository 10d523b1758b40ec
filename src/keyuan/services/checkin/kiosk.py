"""Kiosk use cases: start a visit's session, read the notice, decline face, consent to face."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from keyuan.domain.checkin.consent import Consent, ConsentScope
from keyuan.domain.checkin.devices import KioskDevice
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.person import Person
from keyuan.domain.errors import (
    DeviceOtherOffice,
    MinorNotEligible,
    NoActiveNotice,
    NoticeMismatch,
    SessionsThrottled,
    UnknownOffice,
    UnknownSession,
)
from keyuan.services import throttle
from keyuan.services.checkin.face_gate import face_available, face_engine
from keyuan.services.checkin.offices import require_controller
from keyuan.services.checkin.receipts import record_consent
from keyuan.services.checkin.setup import office_or_first
from keyuan.services.ports import Deps, UnitOfWork


def active_notice(uow: UnitOfWork, office_id: str, language: str = "zh-CN") -> Notice:
    if uow.offices.get(office_id) is None:
        raise UnknownOffice(f"No office '{office_id}'.")
    notice = uow.notices.active(office_id, language) or uow.notices.active(office_id, "zh-CN")
    if notice is None:
        raise NoActiveNotice()
    return notice


def notice_of(office_id: str, language: str, deps: Deps) -> Notice:
    """The notice in force for the office in `language` (else zh-CN)."""
    with deps.uow() as uow:
        return active_notice(uow, office_id, language)


@dataclass(frozen=True)
class KioskPage:
    """What the reception tablet shows before any choice: the office, its notice in force, and
    whether face check-in is offered (only when it works: C10, C23), and whether codes go to
    the demo/offline outbox (reception reads them) rather than to the phone."""

    office_id: str
    office_name: str
    notice: Notice
    face_on: bool
    sms_offline: bool = False


def installation_office(deps: Deps) -> str:
    """The office a tablet that bookmarked /kiosk opens: the installation's first."""
    with deps.uow() as uow:
        return office_or_first(uow, None).id


def kiosk_page(office_id: str, language: str, deps: Deps) -> KioskPage:
    """`ControllerIncomplete` while the office's legal entity lacks a controller detail."""
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)  # UnknownOffice first
        require_controller(uow, office)
        notice = active_notice(uow, office_id, language)
    return KioskPage(office_id=office.id, office_name=office.name, notice=notice,
                     face_on=face_available(deps), sms_offline=deps.sender.offline)


def get_session(uow: UnitOfWork, session_id: str) -> KioskSession:
    session = uow.sessions.get(session_id)
    if session is None:
        raise UnknownSession()
    return session


def checked_in(uow: UnitOfWork, session: KioskSession) -> bool:
    """Whether the session's person has a visit recorded since the session started."""
    return session.person_id is not None and uow.visits.latest_since(
        session.person_id, session.office_id, session.started_at) is not None


def bind_session(uow: UnitOfWork, session: KioskSession, person_id: str) -> None:
    """The session is `person_id`'s, or `SessionPersonMismatch` (`KioskSession.belongs_to`)."""
    session.belongs_to(person_id, checked_in=checked_in(uow, session))


def require_current_notice(uow: UnitOfWork, office_id: str, notice_hash: str) -> Notice:
    """Consent only counts against the notice the visitor was actually shown (C3)."""
    notice = uow.notices.by_hash(notice_hash)
    current = active_notice(uow, office_id, notice.language if notice else "zh-CN")
    if notice is None or notice.office_id != office_id or notice.id != current.id:
        raise NoticeMismatch()
    return notice


SESSIONS_PURGED_PER_START = 200


def start_session(office_id: str, deps: Deps, *, client: str | None = None,
                  device: KioskDevice | None = None) -> tuple[KioskSession, Notice]:
    """A new visit at the tablet `device` (the paired device the API saw; None from the CLI,
    demos and tests of services), which alone may continue it; refused for another office's
    device (`DeviceOtherOffice`). Limited per device and per client address
    (`SessionsThrottled`). Empty sessions older than `kiosk_session_ttl_seconds` go at the
    same time, a batch at a time. Refused (`ControllerIncomplete`) while the office's
    controller details are incomplete: the notice could not name who is responsible for the
    visitor's data."""
    with deps.uow() as uow:
        now = deps.clock.now()
        require_controller(uow, office_or_first(uow, office_id))  # UnknownOffice first
        if device is not None and device.office_id != office_id:
            raise DeviceOtherOffice()
        device_id = device.id if device else None
        notice = active_notice(uow, office_id)
        throttle.take(uow, now, throttle.session_buckets(deps, client=client,
                                                         device_id=device_id), SessionsThrottled)
        expired = now - timedelta(seconds=deps.limits.kiosk_session_ttl_seconds)
        uow.sessions.purge(expired, empty_only=True, limit=SESSIONS_PURGED_PER_START)
        session = uow.sessions.add(KioskSession.start(office_id=office_id, now=now,
                                                      device_id=device_id))
        uow.commit()
        return session, notice


def decline_face(session_id: str, deps: Deps) -> KioskSession:
    """C2: one tap, no reason asked, nothing about the person stored, never asked again."""
    with deps.uow() as uow:
        session = get_session(uow, session_id)
        session.decline_face()
        uow.commit()
        return session


def remember_under_14(uow: UnitOfWork, session: KioskSession) -> None:
    """The visitor answered "under 14": kept with the session (committed), then refused."""
    session.answer_under_14()
    uow.commit()
    raise MinorNotEligible()


@dataclass(frozen=True)
class FaceConsentCmd:
    session_id: str
    notice_hash: str
    age_14_or_over: bool
    name: str | None = None
    method: str = "kiosk_touch"


def consent_to_face(cmd: FaceConsentCmd, deps: Deps) -> Consent:
    """单独同意 for the face template: its own step, after the notice, never pre-ticked (C1).
    An "under 14" answer is kept with the session: no face step again in this visit (C5)."""
    face_engine(deps)
    with deps.uow() as uow:
        session = get_session(uow, cmd.session_id)
        session.require_face_offerable()
        if not cmd.age_14_or_over:
            remember_under_14(uow, session)
        notice = require_current_notice(uow, session.office_id, cmd.notice_hash)
        now = deps.clock.now()
        person = uow.persons.get(session.person_id) if session.person_id else None
        if person is None:
            person = uow.persons.add(Person.new(now=now, name=cmd.name))
        session.person_id = person.id
        office = uow.offices.get(session.office_id)
        consent = record_consent(uow, Consent.give(
            person_id=person.id, office_id=session.office_id, scope=ConsentScope.FACE,
            notice=notice, method=cmd.method, now=now,
            controller_name=office.legal_entity if office else notice.controller,
            policy_url=deps.policy_url,
        ), deps)
        uow.audit.append(at=now, actor=f"kiosk:{session.office_id}", action="consent_given",
                         subject=person.id, detail={"consent": consent.id, "scope": "face"})
        uow.commit()
        return consent
