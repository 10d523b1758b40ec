"""扫码带访 (QR escort): an agent's one-time pass for one of its channel's registrations, and
reception's scan (or typed code) that confirms the escorted visit through the one 到访确认
(`registration.record_confirmation`), in the same transaction that uses the pass up.

The pass row is read locked (`uow.escort_passes.lock`): of parallel scans of one pass, on
SQLite and PostgreSQL alike, exactly one confirms; the others see it used (`EscortPassUsed`).
A refused scan (forged, replayed, expired, another office's) is audited in a unit of work of its
own, since the refused one commits nothing. Nothing biometric is read or written here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from keyuan.domain.attribution.adjudication import Decision
from keyuan.domain.attribution.escort import (
    EscortFact,
    EscortPass,
    EscortVia,
    check_token,
    format_code,
    new_code,
    parse_code,
    read_token,
    require_escortable,
)
from keyuan.domain.attribution.registration import Registration
from keyuan.domain.checkin.visit import Visit, VisitMethod
from keyuan.domain.errors import (
    EscortCodeUnknown,
    EscortInputInvalid,
    EscortPassExpired,
    EscortPassForged,
    EscortPassOtherOffice,
    EscortPassUsed,
    EscortRegistrationInvalid,
    InvalidRegistration,
    KeyuanError,
)
from keyuan.domain.mobile import normalize_mobile
from keyuan.services.attribution import teams
from keyuan.services.attribution.registration import confirmation_of, record_confirmation
from keyuan.services.ports import Deps, UnitOfWork

SEAL = "escort_pass"
_AUDITED_REFUSALS = (EscortPassForged, EscortCodeUnknown, EscortPassUsed, EscortPassExpired,
                     EscortPassOtherOffice, EscortRegistrationInvalid)


@dataclass(frozen=True)
class IssuePassCmd:
    channel_id: str
    registration_id: str
    actor: str  # the agent's (or distributor's) account, e.g. "agent:li-si"


@dataclass(frozen=True)
class IssuedPass:
    """What the agent's phone shows: the QR code's token and the short code, once."""

    escort: EscortPass
    token: str
    code: str  # formatted, XXXX-XXXX
    registration: Registration


def issue_pass(cmd: IssuePassCmd, deps: Deps) -> IssuedPass:
    """A pass for one of the channel's own registrations that an escorted visit can still
    validate (`require_escortable`); another channel's registration is unknown here."""
    with deps.uow() as uow:
        registration = uow.attribution.registration(cmd.registration_id)
        if registration is None or registration.channel_id != cmd.channel_id:
            raise InvalidRegistration("No such registration of this channel.")
        now = deps.clock.now()
        _require_escortable(uow, registration, now=now)
        code = new_code()
        escort = uow.escort_passes.add(EscortPass.issue(
            registration=registration, issued_by=cmd.actor, now=now,
            code_hash=deps.hasher.escort_code(code)))
        uow.audit.append(at=now, actor=cmd.actor, action="escort_pass_issued",
                         subject=registration.id,
                         detail={"pass": escort.id, "office_id": escort.office_id,
                                 "expires_at": escort.expires_at.isoformat()})
        uow.commit()
        return IssuedPass(escort, escort.token(deps.hasher.seal(SEAL, escort.binding())),
                          format_code(code), registration)


def pass_token(channel_id: str, pass_id: str, deps: Deps) -> str:
    """The QR code's token of the channel's own pass, signed again (the signature is never
    stored): for drawing the QR code the portal shows. Only while the pass can be scanned."""
    with deps.uow() as uow:
        escort = uow.escort_passes.lock(pass_id)
        if escort is None or escort.channel_id != channel_id:
            raise EscortPassForged()
        escort.require_usable(office_id=escort.office_id, now=deps.clock.now())
        return escort.token(deps.hasher.seal(SEAL, escort.binding()))


def _require_escortable(uow: UnitOfWork, registration: Registration, *, now: datetime,
                        check_confirmed: bool = True) -> None:
    """The claim's own rules (its team's or company's where set, `teams.claim_rules`), the
    channel and agent still active, and (when issuing) no 到访确认 of it yet."""
    channel = uow.attribution.channel(registration.channel_id)
    agent = uow.attribution.agent(registration.agent_id) if registration.agent_id else None
    confirmed = check_confirmed and confirmation_of(uow, registration.id) is not None
    rules = teams.own_rules(uow, uow.attribution.rules(registration.office_id),
                            [registration])[registration.id]
    active = bool(channel and channel.active and (agent is None or agent.active))
    require_escortable(registration, rules, now=now, channel_active=active, confirmed=confirmed)


@dataclass(frozen=True)
class EscortCmd:
    """Reception's scan: the QR code's text (`token`) or the typed short code (`code`), and the
    mobile the customer states (the visit is theirs: the pass proves the agent, the number the
    customer, as at every 到访确认)."""

    office_id: str
    mobile: str
    staff: str
    token: str | None = None
    code: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class EscortDone:
    visit: Visit
    escort: EscortPass
    registration: Registration
    channel_name: str
    agent_name: str | None


def confirm_escort(cmd: EscortCmd, deps: Deps) -> EscortDone:
    """The escorted visit at this moment, confirmed once for the pass's registration; refused
    for a forged or unknown pass, another office's, a used one (replay), an expired one, or a
    registration an escort can no longer validate."""
    if (cmd.token is None) == (cmd.code is None):
        raise EscortInputInvalid()
    mobile = normalize_mobile(cmd.mobile)
    try:
        return _confirm(cmd, mobile, deps)
    except _AUDITED_REFUSALS as refused:
        _audit_refusal(cmd, refused, deps)
        raise


def _confirm(cmd: EscortCmd, mobile: str, deps: Deps) -> EscortDone:
    with deps.uow() as uow:
        escort, via = _find(uow, cmd, deps)
        now = deps.clock.now()
        escort.require_usable(office_id=cmd.office_id, now=now)
        registration = uow.attribution.registration(escort.registration_id)
        if registration is None:
            raise EscortPassForged()
        _require_escortable(uow, registration, now=now, check_confirmed=False)
        channel = uow.attribution.channel(registration.channel_id)
        agent = uow.attribution.agent(escort.agent_id) if escort.agent_id else None
        visit = record_confirmation(
            uow, registration, mobile, deps, staff=cmd.staff, name=cmd.name,
            escort={"pass": escort.id, "via": via.value, "agent": escort.issued_by,
                    "agent_name": agent.name if agent else "",
                    "issued_at": escort.issued_at.isoformat()})
        escort.use(now=visit.at, by=cmd.staff, visit_id=visit.id)
        uow.commit()
        return EscortDone(visit, escort, registration, channel.name if channel else "",
                          agent.name if agent else None)


def _find(uow: UnitOfWork, cmd: EscortCmd, deps: Deps) -> tuple[EscortPass, EscortVia]:
    if cmd.token is not None:
        token = read_token(cmd.token)
        found = uow.escort_passes.lock(token.pass_id)
        signature = deps.hasher.seal(SEAL, found.binding()) if found is not None else ""
        return check_token(token, found, signature), EscortVia.QR
    escort = uow.escort_passes.lock_by_code(deps.hasher.escort_code(parse_code(cmd.code or "")))
    if escort is None:
        raise EscortCodeUnknown()
    return escort, EscortVia.CODE


def _audit_refusal(cmd: EscortCmd, refused: KeyuanError, deps: Deps) -> None:
    with deps.uow() as uow:
        uow.audit.append(at=deps.clock.now(), actor=cmd.staff, action="escort_pass_refused",
                         subject=cmd.office_id,
                         detail={"error": refused.code,
                                 "via": (EscortVia.QR if cmd.token is not None
                                         else EscortVia.CODE).value})
        uow.commit()


def escorts_of(uow: UnitOfWork, decision: Decision) -> list[EscortFact]:
    """The escorts behind the 到访确认 visits a decision cites, oldest first (only those visits'
    rows are read: the decision's evidence names them)."""
    found = []
    for cited in decision.evidence.visits:
        if cited.method != VisitMethod.STAFF.value:
            continue
        visit = uow.visits.get(cited.id)
        fact = EscortFact.of(cited.id, visit.evidence) if visit is not None else None
        if fact is not None:
            found.append(fact)
    return found
