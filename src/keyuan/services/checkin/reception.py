"""前台代登记: reception checks a visitor in by the mobile the visitor states, when they have no
phone at hand or the SMS code did not arrive (the gateway is down). The visitor reads the
office's notice in force on the reception screen and agrees; only then is anything about them
stored: the consent (scope phone, collected by reception, the reason in its method), and a
visit of its own method (`VisitMethod.RECEPTION`) whose evidence names the member of staff and
the reason. Audited. No code is sent: the member of staff vouches for the person in front of
them, and the record says so, so attribution can weigh it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from keyuan.domain.checkin.consent import Consent, ConsentScope
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.visit import OnBehalfReason, Visit, VisitMethod
from keyuan.domain.errors import ConsentMissing, NoActiveNotice, UnknownOffice
from keyuan.domain.mobile import mask_mobile, normalize_mobile
from keyuan.services.checkin.face import CheckInResult
from keyuan.services.checkin.kiosk import active_notice, require_current_notice
from keyuan.services.checkin.offices import require_controller
from keyuan.services.checkin.persons import person_for_mobile
from keyuan.services.checkin.receipts import record_consent
from keyuan.services.checkin.visits import record_visit
from keyuan.services.ports import Deps

CONSENT_METHOD = "reception_{reason}"  # the consent's collection method, e.g. reception_no_phone


@dataclass(frozen=True)
class OnBehalfCmd:
    office_id: str
    mobile: str
    notice_hash: str  # the notice shown on the reception screen (C3: consent counts against it)
    agree: bool
    reason: OnBehalfReason
    staff: str  # the audit identity of the logged-in member of staff, e.g. "reception:li-na"
    name: str | None = None


def check_in_on_behalf(cmd: OnBehalfCmd, deps: Deps) -> OnBehalfResult:
    """Agreement first (`ConsentMissing` before anything is read or stored); the notice must be
    the office's one in force (`NoticeMismatch`). A repeat within `visit_repeat_seconds` (a
    double click, parallel requests) is the same visit and the same consent."""
    if not cmd.agree:
        raise ConsentMissing("Reception check-in needs the visitor's agreement to the notice.")
    mobile = normalize_mobile(cmd.mobile)
    mobile_hash = deps.hasher.mobile(mobile)
    with deps.uow() as uow:
        office = uow.offices.get(cmd.office_id)
        if office is None:
            raise UnknownOffice(f"No office '{cmd.office_id}'.")
        require_controller(uow, office)
        notice = require_current_notice(uow, cmd.office_id, cmd.notice_hash)
        now = deps.clock.now()
        person = person_for_mobile(uow, mobile, mobile_hash, name=cmd.name, now=now)
        uow.persons.lock(person.id)  # parallel requests for one number queue here
        consent = uow.consents.active_for(person.id, ConsentScope.PHONE)
        if consent is None:
            consent = record_consent(uow, Consent.give(
                person_id=person.id, office_id=cmd.office_id, scope=ConsentScope.PHONE,
                notice=notice, method=CONSENT_METHOD.format(reason=cmd.reason.value), now=now,
                controller_name=office.legal_entity, policy_url=deps.policy_url), deps)
            uow.audit.append(at=now, actor=cmd.staff, action="consent_given", subject=person.id,
                             detail={"consent": consent.id, "scope": "phone",
                                     "collected_by": "reception"})
        evidence = {"mobile_stated": mask_mobile(mobile), "consent": consent.id,
                    "by": cmd.staff, "reason": cmd.reason.value}
        wanted = Visit.record(person_id=person.id, office_id=cmd.office_id, at=now,
                              method=VisitMethod.RECEPTION, evidence=evidence)
        visit = record_visit(uow, deps, wanted)
        if visit.id == wanted.id:
            uow.audit.append(at=now, actor=cmd.staff, action="visit_checked_in_by_reception",
                             subject=person.id, detail={"visit": visit.id,
                                                        "reason": cmd.reason.value})
        uow.commit()
        return OnBehalfResult(visit=visit, consent=consent, evidence=visit.evidence,
                              receipt_here=_given_here(consent, cmd.office_id, now, deps))


@dataclass(frozen=True)
class OnBehalfResult(CheckInResult):
    receipt_here: bool = False
    """The consent was given by this check-in (or its double click): reception may print its
    receipt. An older consent's receipt (its code opens and withdraws it) is never handed to
    whoever states the number at the desk, which no SMS code proves."""


def _given_here(consent: Consent, office_id: str, now: datetime, deps: Deps) -> bool:
    return (consent.method.startswith("reception_") and consent.office_id == office_id
            and now - consent.given_at <= timedelta(seconds=deps.visit_repeat_seconds))


def notice_to_show(office_id: str, language: str, deps: Deps) -> Notice | None:
    """The notice the visitor reads on the reception screen before agreeing (in `language`,
    else zh-CN); None while the office has none in force (then nobody can be checked in)."""
    with deps.uow() as uow:
        try:
            return active_notice(uow, office_id, language)
        except NoActiveNotice:
            return None
