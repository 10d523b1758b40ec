"""Mobile check-in: the path with no biometric, equal for attribution (C2, C10)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from keyuan.domain.checkin.consent import Consent, ConsentScope
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.checkin.person import Person
from keyuan.domain.checkin.visit import Visit, VisitMethod
from keyuan.domain.errors import (
    CodeExpired,
    CodeInvalid,
    CodeLockedOut,
    CodeRateLimited,
    ConsentMissing,
    SmsThrottled,
    TooManyAttempts,
)
from keyuan.domain.mobile import mask_mobile, normalize_mobile
from keyuan.domain.sms import CodeMessage, CodePurpose
from keyuan.services import sms, throttle
from keyuan.services.checkin.face import CheckInResult
from keyuan.services.checkin.kiosk import (
    bind_session,
    checked_in,
    get_session,
    require_current_notice,
)
from keyuan.services.checkin.persons import new_person_with_mobile
from keyuan.services.checkin.receipts import record_consent
from keyuan.services.checkin.visits import record_visit, visit_number
from keyuan.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class CodeSent:
    masked_mobile: str
    expires_at: datetime


def request_code(session_id: str, mobile_raw: str, deps: Deps, *,
                 client: str | None = None) -> CodeSent:
    """Send a 6-digit code. Only its keyed hash is stored. Resends wait `otp_resend_seconds`;
    sends are limited per number (an hour and a day), per kiosk session, per paired device and
    per client address (`SmsThrottled`).
    The code is committed, then sent (`services.sms.deliver`): a gateway that fails raises its
    `SmsNotDelivered` (the code stays valid: a send that timed out may still arrive)."""
    mobile = normalize_mobile(mobile_raw)
    mobile_hash = deps.hasher.mobile(mobile)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with deps.uow() as uow:
        session = get_session(uow, session_id)
        now = deps.clock.now()
        previous = uow.codes.latest(session.id, mobile_hash)
        gap = timedelta(seconds=deps.otp_resend_seconds)
        if previous is not None and now - previous.created_at < gap:
            raise CodeRateLimited()
        throttle.require_room(uow, now, throttle.code_guess_buckets(  # no code it cannot use
            deps, mobile_hash=mobile_hash, client=None), CodeLockedOut)
        throttle.take(uow, now, throttle.sms_buckets(
            deps, mobile_hash=mobile_hash, session_id=session.id, client=client,
            device_id=session.device_id), SmsThrottled)
        otp = OneTimeCode(
            id=secrets.token_hex(12), session_id=session.id, mobile_hash=mobile_hash, code_hash="",
            created_at=now, expires_at=now + timedelta(seconds=deps.otp_ttl_seconds),
        )
        otp.code_hash = deps.hasher.code(otp.id, code)
        uow.codes.add(otp)
        uow.commit()
    sms.deliver(CodeMessage(CodePurpose.CHECK_IN, mobile, code, deps.otp_ttl_seconds // 60), deps)
    return CodeSent(masked_mobile=mask_mobile(mobile), expires_at=otp.expires_at)


def _person_with(uow: UnitOfWork, session: KioskSession, mobile: tuple[str, str],
                 name: str | None, now: datetime) -> Person:
    """Who holds the verified number: its person on file; else this session's record if it
    checked nothing in yet (a face consent whose enrollment did not happen); else a new
    person (an upsert: a parallel first check-in of the same number is the same person)."""
    number, mobile_hash = mobile
    person = uow.persons.by_mobile_hash(mobile_hash)
    if person is not None:
        return person
    shell = uow.persons.get(session.person_id) if session.person_id else None
    if shell is not None and shell.mobile_hash is None and not checked_in(uow, session):
        shell.mobile, shell.mobile_hash = number, mobile_hash
        return shell
    return new_person_with_mobile(uow, number, mobile_hash, name=name, now=now)


@dataclass(frozen=True)
class PhoneCheckInCmd:
    session_id: str
    mobile: str
    code: str
    notice_hash: str
    agree: bool
    name: str | None = None
    client: str | None = None  # the client address the throttles count


def phone_check_in(cmd: PhoneCheckInCmd, deps: Deps) -> CheckInResult:
    """Code right → consent (scope phone) recorded with the verified number → visit.

    A wrong code is counted and committed even though the call fails: against the code (it dies
    after `otp_max_attempts`), and against the number across every session and the client
    address and the session's device (`CodeLockedOut` once one is spent: even the right code is
    refused then)."""
    mobile = normalize_mobile(cmd.mobile)
    mobile_hash = deps.hasher.mobile(mobile)
    with deps.uow() as uow:
        session = get_session(uow, cmd.session_id)
        if not cmd.agree:
            raise ConsentMissing("Mobile check-in needs your agreement to the notice.")
        notice = require_current_notice(uow, session.office_id, cmd.notice_hash)
        otp = uow.codes.latest(session.id, mobile_hash)
        if otp is None:
            raise CodeExpired("No code was sent to that number in this session.")
        now = deps.clock.now()
        otp.require_usable(now=now, max_attempts=deps.otp_max_attempts)
        guesses = throttle.code_guess_buckets(deps, mobile_hash=mobile_hash, client=cmd.client,
                                              device_id=session.device_id)
        throttle.take(uow, now, guesses, CodeLockedOut)
        try:
            otp.verify(deps.hasher.code(otp.id, cmd.code.strip()), now=now,
                       max_attempts=deps.otp_max_attempts)
        except (CodeInvalid, TooManyAttempts):
            uow.commit()  # the attempt counters must survive the failed call
            raise
        throttle.give_back(uow, now, guesses)  # a right code is no failure
        person = _person_with(uow, session, (mobile, mobile_hash), cmd.name, now)
        bind_session(uow, session, person.id)  # a number new to the store cannot verify as
        # the person this session already checked in (their face): it may be someone's phone
        consent = uow.consents.active_for(person.id, ConsentScope.PHONE)
        if consent is None:
            office = uow.offices.get(session.office_id)
            consent = record_consent(uow, Consent.give(
                person_id=person.id, office_id=session.office_id, scope=ConsentScope.PHONE,
                notice=notice, method="kiosk_sms_code", now=now,
                controller_name=office.legal_entity if office else notice.controller,
                policy_url=deps.policy_url,
            ), deps)
            uow.audit.append(at=now, actor=f"kiosk:{session.office_id}", action="consent_given",
                             subject=person.id, detail={"consent": consent.id, "scope": "phone"})
        evidence = {"mobile_verified": mask_mobile(mobile), "consent": consent.id}
        visit = record_visit(uow, deps, Visit.record(
            person_id=person.id, office_id=session.office_id, at=now, method=VisitMethod.PHONE,
            evidence=evidence,
        ))
        number = visit_number(uow, person.id, session.office_id)
        uow.commit()
        return CheckInResult(visit=visit, consent=consent, evidence=evidence,
                             visit_number=number, mobile_on_file=True)


def outbox_messages(deps: Deps, limit: int = 20) -> list[dict[str, Any]]:
    """The latest messages the outbox SMS sender left for reception staff, newest first."""
    with deps.uow() as uow:
        return uow.outbox.recent(limit)
