"""Services wired to fakes only: the in-memory unit of work, a fake clock, the fake face engine
and an in-memory SMS sender. No database, no dlib, no network. Fixtures are in conftest.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keyuan.adapters.biometrics.fake import FakeEngine, FakeLandmarker, solid_face
from keyuan.adapters.clock import FakeClock
from keyuan.adapters.sms.outbox import MemorySender
from keyuan.config.face import FaceSettings
from keyuan.domain.checkin.consent import Consent
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.person import Office
from keyuan.domain.keyed_hash import Hasher
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.checkin import phone as phone_service
from keyuan.services.checkin.face import CheckInResult
from keyuan.services.faces.gallery import Gallery
from keyuan.services.fakes.store import Tables
from keyuan.services.fakes.uow import FakeUnitOfWork, fake_uow_factory
from keyuan.services.ports import Deps
from support.challenge import liveness_settings
from support.images import encode
from support.offices import set_up_office
from support.pia import record_office_pia
from support.sequences import fake_shots

START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
SECRET = "unit-test-secret-key"
FRAME_SIZE = (160, 160)
ALICE = (200, 120, 90)
"""A person, as the fake engine sees one: a colour (adapters/biometrics/fake.py)."""
BOB = (90, 160, 200)
MOBILE = "13800138000"


def office() -> Office:
    return Office(id="office-1", name="翠湖售楼处", legal_entity="翠湖置业有限公司")


def png(rgb: tuple[int, int, int]) -> bytes:
    """One kiosk frame showing the person `rgb` (black shows no face)."""
    return encode(solid_face(rgb, FRAME_SIZE), "PNG")


def make_deps(fake: FakeUnitOfWork, clock: FakeClock, sender: MemorySender, *,
              face: FaceSettings | None = None, engine_on: bool = True,
              **overrides: Any) -> Deps:
    face = face or FaceSettings.model_validate({})
    overrides.setdefault("landmarker", FakeLandmarker() if engine_on else None)
    overrides.setdefault("liveness", liveness_settings())
    return Deps(uow=fake_uow_factory(fake), clock=clock, hasher=Hasher(SECRET), sender=sender,
                face=face, engine=FakeEngine(face) if engine_on else None, gallery=Gallery(),
                **overrides)


@dataclass
class Harness:
    """The deps a test calls services with, and the fakes behind them."""

    deps: Deps
    fake: FakeUnitOfWork
    clock: FakeClock
    sender: MemorySender
    office_id: str

    @property
    def committed(self) -> Tables:
        """The rows as the next unit of work will see them."""
        return self.fake.store.committed

    def start(self) -> tuple[KioskSession, Notice]:
        return kiosk_service.start_session(self.office_id, self.deps)

    def consent_face(self, session_id: str, notice_hash: str) -> Consent:
        return kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
            session_id=session_id, notice_hash=notice_hash, age_14_or_over=True), self.deps)

    def enroll(self, session_id: str, consent_id: str,
               rgb: tuple[int, int, int] = ALICE) -> CheckInResult:
        return face_service.enroll_face(
            face_service.EnrollCmd(session_id, consent_id, **fake_shots(rgb).cmd()), self.deps)

    def new_face_visitor(self, rgb: tuple[int, int, int] = ALICE) -> CheckInResult:
        session, notice = self.start()
        consent = self.consent_face(session.id, notice.content_hash)
        return self.enroll(session.id, consent.id, rgb)

    def last_code(self) -> str:
        found = re.search(r"(?<!\d)\d{6}(?!\d)", self.sender.sent[-1][1])
        assert found is not None, "no code in the last message"
        return found.group(0)

    def check_in_by_phone(self, mobile: str = MOBILE) -> CheckInResult:
        session, notice = self.start()
        phone_service.request_code(session.id, mobile, self.deps)
        return phone_service.phone_check_in(phone_service.PhoneCheckInCmd(
            session_id=session.id, mobile=mobile, code=self.last_code(),
            notice_hash=notice.content_hash, agree=True), self.deps)

    def face_and_phone_visitor(self) -> tuple[Consent, CheckInResult]:
        """One person, checked in by mobile and then enrolled by face in the same session (a
        number new to the store cannot join a face already checked in: the other order is
        refused)."""
        session, notice = self.start()
        phone_service.request_code(session.id, MOBILE, self.deps)
        by_phone = phone_service.phone_check_in(phone_service.PhoneCheckInCmd(
            session_id=session.id, mobile=MOBILE, code=self.last_code(),
            notice_hash=notice.content_hash, agree=True), self.deps)
        face_consent = self.consent_face(session.id, notice.content_hash)
        self.enroll(session.id, face_consent.id)
        return face_consent, by_phone

    def actions(self) -> list[str]:
        return [event.action for event in self.committed.audit]


def make_harness(*, with_office: bool = True, with_pia: bool = True,
                 **deps_args: Any) -> Harness:
    """An office with its default notices and a demo impact assessment (C23), unless told
    otherwise; keyword arguments go to `make_deps`."""
    fake, clock, sender = FakeUnitOfWork(), FakeClock(START), MemorySender()
    deps = make_deps(fake, clock, sender, **deps_args)
    if with_office:
        set_up_office(deps, office().id, office().name, office().legal_entity)
    if with_pia:
        record_office_pia(deps)
    return Harness(deps=deps, fake=fake, clock=clock, sender=sender, office_id=office().id)
