"""Visitor self-service rights (C19, C6): verified by receipt id + a one-time code to the mobile
on file; see, export, correct, withdraw, delete. Each request gets a due date and a status;
what needs a person goes to the staff queue."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.checkin.person import Person
from keyuan.domain.compliance.retention import DealSource
from keyuan.domain.compliance.rights import (
    RequestKind,
    RequestStatus,
    RightsRequest,
    kept_after_deletion,
)
from keyuan.domain.errors import (
    CodeExpired,
    CodeInvalid,
    CodeRateLimited,
    NoMobileOnFile,
    RightsAccessDenied,
    RightsThrottled,
    TooManyAttempts,
    UnknownConsent,
    UnknownRightsRequest,
)
from keyuan.domain.mobile import mask_mobile, normalize_mobile
from keyuan.domain.sms import CodeMessage, CodePurpose
from keyuan.services import sms, throttle
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin.receipts import find_receipt
from keyuan.services.compliance.deals import SigningDeals
from keyuan.services.ports import Deps, UnitOfWork

ACCESS_TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class RightsCodeSent:
    masked_mobile: str
    expires_at: datetime


def request_access_code(receipt_id: str, deps: Deps, *,
                        client: str | None = None) -> RightsCodeSent:
    """A code to the mobile on file for the person of this receipt (回执编号, or an older
    receipt's long id; never to a number typed in here: whoever holds a receipt must also hold
    the phone). Limited per person and per client address (`RightsThrottled`); unknown receipt
    codes per address (`find_receipt`)."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    with deps.uow() as uow:
        person = person_of_receipt(uow, receipt_id, deps, client=client)
        if not person.mobile or not person.mobile_hash:
            raise NoMobileOnFile()
        now = deps.clock.now()
        previous = uow.compliance.latest_rights_code(person.id)
        if previous and now - previous.created_at < timedelta(seconds=deps.otp_resend_seconds):
            raise CodeRateLimited()
        throttle.take(uow, now, throttle.rights_code_buckets(
            deps, person_id=person.id, client=client), RightsThrottled)
        otp = OneTimeCode(id=secrets.token_hex(12), session_id=person.id,
                          mobile_hash=person.mobile_hash, code_hash="", created_at=now,
                          expires_at=now + timedelta(seconds=deps.otp_ttl_seconds))
        otp.code_hash = deps.hasher.code(otp.id, code)
        uow.compliance.add_rights_code(otp)
        mobile = person.mobile
        uow.commit()
    sms.deliver(CodeMessage(CodePurpose.RIGHTS, mobile, code, deps.otp_ttl_seconds // 60), deps)
    return RightsCodeSent(mask_mobile(mobile), otp.expires_at)


@dataclass(frozen=True)
class RightsAccess:
    token: str
    expires_at: datetime


def verify_access_code(receipt_id: str, code: str, deps: Deps, *,
                       client: str | None = None) -> RightsAccess:
    """Right code → a 30-minute access token, once per code. Wrong tries are counted and
    committed: against the code, and against the person and the client address over a window
    whatever code they guess (`RightsThrottled`), so asking for new codes buys no new tries."""
    with deps.uow() as uow:
        receipt_id, person = receipt_holder(uow, receipt_id, deps, client=client)
        otp = uow.compliance.latest_rights_code(person.id)
        if otp is None:
            raise CodeExpired("No code was requested for this receipt.")
        now = deps.clock.now()
        otp.require_usable(now=now, max_attempts=deps.otp_max_attempts)
        guesses = throttle.rights_guess_buckets(deps, person_id=person.id, client=client)
        throttle.take(uow, now, guesses, RightsThrottled)
        try:
            otp.verify(deps.hasher.code(otp.id, code), now=now,
                       max_attempts=deps.otp_max_attempts)
        except (CodeInvalid, TooManyAttempts):
            uow.compliance.save_rights_code(otp)
            uow.commit()
            raise
        throttle.give_back(uow, now, guesses)
        token, expires = secrets.token_urlsafe(24), now + ACCESS_TTL
        uow.compliance.save_rights_code(otp, token_hash=hash_token(deps, token),
                                        token_expires_at=expires)
        uow.audit.append(at=now, actor="visitor", action="rights_verified", subject=person.id,
                         detail={"receipt": receipt_id})
        uow.commit()
        return RightsAccess(token, expires)


def my_data(token: str, deps: Deps, *, export: bool = False) -> dict[str, Any]:
    """Everything held about the person — theirs only. `export` marks it as a copy (PIPL 45)."""
    kind = RequestKind.EXPORT if export else RequestKind.ACCESS
    with deps.uow() as uow:
        person = _authorised(uow, token, deps)
        data = _collect(uow, person)
        _record(uow, deps, RightsRequest(person.id, kind, deps.clock.now(), RequestStatus.DONE),
                action="data_exported" if export else "data_accessed")
        uow.commit()
        return data


@dataclass(frozen=True)
class CorrectCmd:
    name: str | None = None
    mobile: str | None = None


def correct(token: str, cmd: CorrectCmd, deps: Deps) -> RightsRequest:
    """A name is corrected at once; a new mobile waits for staff to confirm it (it becomes the
    key to the person's records), and the answer says so."""
    new_mobile = normalize_mobile(cmd.mobile) if cmd.mobile else None
    with deps.uow() as uow:
        person = _authorised(uow, token, deps)
        now, detail = deps.clock.now(), {}
        if cmd.name is not None:
            person.name = cmd.name.strip()[:100] or None
            detail["name"] = "corrected"
        if new_mobile:
            detail.update(mobile="awaiting staff confirmation", new_mobile=new_mobile)
        status = RequestStatus.NEEDS_STAFF if new_mobile else RequestStatus.DONE
        request = RightsRequest(person.id, RequestKind.CORRECT, now, status, detail)
        _record(uow, deps, request, action="data_corrected")
        uow.commit()
        return request


def withdraw_all(token: str, deps: Deps) -> RightsRequest:
    """Withdraw every active consent; a face template is deleted at once (C6)."""
    with deps.uow() as uow:
        person = _authorised(uow, token, deps)
        active = [c.id for c in uow.consents.for_person(person.id) if c.is_active]
    for consent_id in active:
        consent_service.withdraw(consent_id, deps, actor="visitor:rights")
    with deps.uow() as uow:
        request = RightsRequest(person.id, RequestKind.WITHDRAW, deps.clock.now(),
                                RequestStatus.DONE, {"withdrawn": active})
        _record(uow, deps, request, action="rights_withdrawn")
        uow.commit()
        return request


def delete_everything(token: str, deps: Deps, *, deals: DealSource | None = None,
                      ) -> RightsRequest:
    """Delete all that the law does not require to keep; the answer lists what stays and why.
    The access token dies with the data."""
    withdraw_all(token, deps)
    with deps.uow() as uow:
        person = _authorised(uow, token, deps)
        is_buyer = (deals or SigningDeals.load(uow)).status(person.id).is_buyer
        now = deps.clock.now()
        uow.vault.delete(person.id)
        if not is_buyer:
            uow.deals.delete_corrections(person.id, now + ACCESS_TTL)
        visits = 0 if is_buyer else uow.compliance.delete_visits(person.id, now + ACCESS_TTL)
        uow.compliance.forget_contact(person.id, person.mobile, person.mobile_hash)
        uow.compliance.erase_identity(person.id)
        request = RightsRequest(person.id, RequestKind.DELETE, now, RequestStatus.DONE, {
            "deleted": ["face template", "name", "mobile number and its hash",
                        *([f"{visits} visit records"] if not is_buyer else [])],
            "kept": kept_after_deletion(is_buyer)})
        _record(uow, deps, request, action="person_data_deleted")
        uow.commit()
        return request


def staff_queue(deps: Deps) -> list[RightsRequest]:
    """Requests that need a person, soonest due first."""
    with deps.uow() as uow:
        return uow.compliance.rights_requests(status=RequestStatus.NEEDS_STAFF)


def close_request(request_id: str, *, approve: bool, outcome: str, actor: str,
                  deps: Deps) -> RightsRequest:
    """Staff answer a queued request; a refusal carries its reason (PIPL 50). An approved mobile
    correction is applied here."""
    with deps.uow() as uow:
        request = uow.compliance.rights_request(request_id)
        if request is None or request.status is not RequestStatus.NEEDS_STAFF:
            raise UnknownRightsRequest()
        now = deps.clock.now()
        if approve and "new_mobile" in request.detail:
            _apply_mobile(uow, deps, request.person_id, str(request.detail["new_mobile"]))
        request.close(now=now, by=actor, outcome=outcome,
                      status=RequestStatus.DONE if approve else RequestStatus.REFUSED)
        uow.compliance.save_request(request)
        uow.audit.append(at=now, actor=actor[:64], action="rights_request_closed",
                         subject=request.person_id,
                         detail={"request": request.id, "status": request.status.value})
        uow.commit()
        return request


def _apply_mobile(uow: UnitOfWork, deps: Deps, person_id: str, mobile: str) -> None:
    person = uow.persons.get(person_id)
    mobile_hash = deps.hasher.mobile(mobile)
    if person is None or uow.persons.by_mobile_hash(mobile_hash) not in (None, person):
        raise UnknownRightsRequest("That number belongs to another record; refuse with a reason.")
    person.mobile, person.mobile_hash = mobile, mobile_hash


def _record(uow: UnitOfWork, deps: Deps, request: RightsRequest, *, action: str) -> None:
    uow.compliance.add_request(request)
    detail = {"request": request.id, "kind": request.kind.value, "status": request.status.value}
    uow.audit.append(at=request.received_at, actor="visitor", action=action,
                     subject=request.person_id, detail=detail)


def _collect(uow: UnitOfWork, person: Person) -> dict[str, Any]:
    """The machine-readable copy: times in UTC ISO 8601 to the second, each office by its id and
    name (`office_name`), codes as they are stored; the readable copy (print/my_data.html) puts
    these into words and Beijing time."""
    template_dates = uow.compliance.template_dates()
    consents = uow.consents.for_person(person.id)
    visits = uow.visits.for_person(person.id)
    decisions = _decisions(uow, person)
    names = _office_names(uow, {c.office_id for c in consents} | {v.office_id for v in visits}
                          | {d["office"] for d in decisions})
    for decision in decisions:
        decision["office_name"] = names[decision["office"]]
    return {
        "person": {"pseudonym": person.id, "name": person.name, "mobile": person.mobile,
                   "since": _iso(person.created_at)},
        "consents": [{"receipt_id": c.id, "scope": c.scope.value, "office": c.office_id,
                      "office_name": names[c.office_id], "given_at": _iso(c.given_at),
                      "withdrawn_at": _iso(c.withdrawn_at),
                      "receipt": c.receipt} for c in consents],
        "visits": [{"at": _iso(v.at), "office": v.office_id, "office_name": names[v.office_id],
                    "method": v.method.value, "evidence": v.evidence} for v in visits],
        "face_template": {"held": person.id in template_dates,
                          "since": _iso(template_dates.get(person.id)),
                          "note": "encrypted, no photo; not exported"},
        "attribution_decisions": decisions,
        "decisions_and_processing": [{**event, "at": _iso(event["at"])}
                                     for event in uow.compliance.audit_about(person.id)],
        "requests": [{"id": r.id, "kind": r.kind.value, "status": r.status.value,
                      "received_at": _iso(r.received_at),
                      "due_on": r.due_on.isoformat() if r.due_on else None}
                     for r in uow.compliance.rights_requests(person_id=person.id)],
    }


def _iso(at: datetime | str | None) -> str | None:
    """UTC ISO 8601 to the second (no microseconds): the machine copy's time format."""
    if not at:
        return None
    when = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    return when.astimezone(UTC).isoformat(timespec="seconds")


def _office_names(uow: UnitOfWork, office_ids: set[str]) -> dict[str, str]:
    """Each office id → the office's name (its id if the office is gone)."""
    return {office_id: office.name if (office := uow.offices.get(office_id)) else office_id
            for office_id in office_ids}


def _decisions(uow: UnitOfWork, person: Person) -> list[dict[str, Any]]:
    """判客 decisions about this buyer (PIPL 24: automated decisions explained): the channel
    credited, the reasons and the rule trace, and whether a person reviewed it. Nothing about
    commission, other customers or the channels' own accounts."""
    out = []
    for about in uow.deals.decisions_about(person.id):
        decision = about.decision
        out.append({
            "signing": about.signing_id, "office": about.office_id,
            "signed_at": _iso(about.signed_at), "id_number": about.id_masked,
            "credited_to": {"kind": about.channel_kind or "natural", "name": about.channel_name},
            "reason_codes": list(decision.reason_codes),
            "rule_trace": about.own_trace(),
            "review": {"status": about.status, "needed": decision.needs_review,
                       "reviewed_at": _iso(about.reviewed_at), "reason": about.review_reason},
        })
    return out


def person_of_receipt(uow: UnitOfWork, receipt_id: str, deps: Deps, *,
                      client: str | None = None) -> Person:
    """The person of a receipt named by its 回执编号 (or long id): call first in a unit of work
    (an unknown code's miss is committed, `find_receipt`)."""
    return receipt_holder(uow, receipt_id, deps, client=client)[1]


def receipt_holder(uow: UnitOfWork, reference: str, deps: Deps, *,
                   client: str | None = None) -> tuple[str, Person]:
    """The consent id (what the audit log records) and the person of a receipt reference."""
    consent = find_receipt(uow, reference, deps, client=client)
    person = uow.persons.get(consent.person_id)
    if person is None:
        raise UnknownConsent()
    return consent.id, person


def hash_token(deps: Deps, token: str) -> str:
    return deps.hasher.code("rights-token", token)


def _authorised(uow: UnitOfWork, token: str, deps: Deps) -> Person:
    person_id = uow.compliance.person_for_token(hash_token(deps, token), deps.clock.now())
    person = uow.persons.get(person_id) if person_id else None
    if person is None:
        raise RightsAccessDenied()
    return person
