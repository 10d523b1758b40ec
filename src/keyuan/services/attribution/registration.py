"""Channels, 报备 (registration) and 到访确认 (escorted visit confirmation), and the status a
channel may see of its own claims — never any biometric field (C21)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from keyuan.domain.attribution import adjudication as rules_of
from keyuan.domain.attribution.adjudication import (
    Signing,
    VisitCorrection,
    VisitFact,
    judge_claim,
)
from keyuan.domain.attribution.channels import Agent, Channel, ChannelKind
from keyuan.domain.attribution.commission import Statement
from keyuan.domain.attribution.registration import (
    DUPLICATE,
    KNOWN,
    AttributionRules,
    ConflictPolicy,
    Registration,
    conflict_of,
    parse_claimed_mobile,
)
from keyuan.domain.checkin.person import Person
from keyuan.domain.checkin.visit import Visit, VisitMethod
from keyuan.domain.errors import (
    ChannelInactive,
    InvalidRegistration,
    KeyuanError,
    RegistrationCustomerKnown,
    RegistrationDuplicate,
    RegistrationProtectedElsewhere,
    UnknownChannel,
    UnknownOffice,
    UnknownVisit,
    VisitAlreadyConfirmed,
)
from keyuan.domain.mobile import mask_mobile, normalize_mobile
from keyuan.services.attribution import teams
from keyuan.services.ports import Deps, UnitOfWork

LOST = "lost"
OVERRIDDEN_ON_REVIEW = "overridden_on_review"


def _office(uow: UnitOfWork, office_id: str) -> None:
    if uow.offices.get(office_id) is None:
        raise UnknownOffice()


def _channel(uow: UnitOfWork, channel_id: str) -> Channel:
    channel = uow.attribution.channel(channel_id)
    if channel is None:
        raise UnknownChannel()
    return channel


def create_channel(
    office_id: str, kind: ChannelKind, name: str, deps: Deps, *, contract_ref: str | None = None,
    actor: str = "system",
) -> Channel:
    """A new channel, audited with who added it (it may be paid commission)."""
    with deps.uow() as uow:
        _office(uow, office_id)
        channel = Channel.new(office_id=office_id, kind=kind, name=name, now=deps.clock.now(),
                              contract_ref=contract_ref)
        uow.attribution.add(channel)
        uow.audit.append(at=deps.clock.now(), actor=actor, action="channel_added",
                         subject=channel.id, detail={"office_id": office_id,
                                                     "kind": str(kind)})
        uow.commit()
        return channel


def add_agent(channel_id: str, name: str, deps: Deps, *, actor: str = "system") -> Agent:
    """A new agent of an active channel, audited with who added it."""
    with deps.uow() as uow:
        channel = _channel(uow, channel_id)
        if not channel.active:
            raise ChannelInactive()
        agent = Agent.new(channel=channel, name=name, now=deps.clock.now())
        uow.attribution.add(agent)
        uow.audit.append(at=deps.clock.now(), actor=actor, action="agent_added",
                         subject=agent.id, detail={"channel_id": channel_id})
        uow.commit()
        return agent


def set_rules(office_id: str, rules: AttributionRules, deps: Deps, *, actor: str) -> None:
    """Per-project rules; the change is audited because it moves money."""
    with deps.uow() as uow:
        _office(uow, office_id)
        uow.attribution.set_rules(office_id, rules)
        uow.audit.append(at=deps.clock.now(), actor=actor, action="attribution_rules_set",
                         subject=office_id,
                         detail={**vars(rules), "conflict_policy": rules.conflict_policy.value})
        uow.commit()


def get_rules(office_id: str, deps: Deps) -> AttributionRules:
    with deps.uow() as uow:
        return uow.attribution.rules(office_id)


@dataclass(frozen=True)
class RegisterCmd:
    channel_id: str
    customer_name: str
    mobile: str
    expected_visit_at: datetime | None = None
    agent_id: str | None = None


def register(cmd: RegisterCmd, deps: Deps) -> Registration:
    """报备, answered at once (`domain.attribution.registration.conflict_of`): the channel's
    second claim on a customer is refused with its first; a claim that cannot win (customer
    known to the office, or protected for another channel) is refused, or recorded with its
    mark when the office's `conflict_policy` is `mark`. Registrations of one 前三后四 at one
    office pass one at a time (`lock_customer`), so parallel duplicates store exactly one.
    Every recorded claim is judged again at the signing, with reasons."""
    claimed = parse_claimed_mobile(cmd.mobile)
    with deps.uow() as uow:
        channel = _channel(uow, cmd.channel_id)
        if not channel.active:
            raise ChannelInactive()
        team_id = None
        if cmd.agent_id is not None:
            agent = uow.attribution.agent(cmd.agent_id)
            if agent is None or agent.channel_id != channel.id:
                raise InvalidRegistration("That agent does not belong to this channel.")
            if not agent.active:
                raise ChannelInactive("This agent is deactivated: it takes no new registrations.")
            team_id = agent.team_id  # the claim keeps the team it was made in
        now = deps.clock.now()
        registration = Registration.claim(
            channel=channel, customer_name=cmd.customer_name, mobile=claimed,
            mobile_hash=deps.hasher.mobile(claimed.full) if claimed.full else None,
            now=now, expected_visit_at=cmd.expected_visit_at, agent_id=cmd.agent_id,
            team_id=team_id,
        )
        uow.attribution.lock_customer(channel.office_id, claimed.prefix, claimed.suffix)
        rules = uow.attribution.rules(channel.office_id)
        same = [c for c in uow.attribution.registrations_masked_as(
            channel.office_id, claimed.prefix, claimed.suffix) if c.same_customer(registration)]
        own_rules = teams.own_rules(uow, rules, same)
        standing = [(c, _status(uow, c, own_rules[c.id], now, _won(uow, c),
                                channel.office_id).status) for c in same]
        conflict = conflict_of(registration, standing=standing,
                               known=_known(uow, registration, rules, now))
        if conflict is not None and (conflict.code == DUPLICATE
                                     or rules.conflict_policy is ConflictPolicy.REFUSE):
            raise _refusal(conflict.code, conflict.existing)
        registration.conflict = conflict.code if conflict is not None else None
        uow.attribution.add(registration)
        uow.commit()
        return registration


def _refusal(code: str, existing: Registration | None) -> KeyuanError:
    """The 409 for a claim refused at once. Only a duplicate names a registration — the
    channel's own earlier one; the others say known / protected and nothing more."""
    if code == DUPLICATE and existing is not None:
        return RegistrationDuplicate(registration_id=existing.id,
                                     created_at=existing.created_at.isoformat())
    if code == KNOWN:
        return RegistrationCustomerKnown()
    return RegistrationProtectedElsewhere()


def _won(uow: UnitOfWork, claim: Registration) -> bool:
    return any(s.is_final for s in uow.attribution.signings_of_registrations([claim.id]))


def _known(uow: UnitOfWork, claim: Registration, rules: AttributionRules, now: datetime) -> bool:
    """Whether the customer (by mobile, never by face) visited the claim's office within the
    rules' lookback before now — what the signing's decision would call `customer_known`."""
    since = now - rules.known_lookback
    same = [c.id for c in uow.attribution.registrations_masked_as(
        claim.office_id, claim.mobile_prefix, claim.mobile_suffix) if c.same_customer(claim)]
    visits = [*uow.attribution.visits_of([p.id for p in _persons(uow, claim)]),
              *uow.visits.escorts_of(same)]  # escorted on another claim: known all the same
    return any(v.office_id == claim.office_id and since <= v.at < now for v in visits)


@dataclass(frozen=True)
class ClaimStatus:
    """What a channel sees of its own claim: no visit details beyond the validating time, no
    other channel, nothing biometric."""

    registration: Registration
    status: str
    visited_at: datetime | None
    outcome: str | None  # "won" / "lost" once a final signing of the customer decides it
    lost_reason: str | None = None  # this claim's own reason code from that decision
    visit_by: datetime | None = None  # awaiting a visit: the claim lapses after this
    protected_until: datetime | None = None  # valid: the visit protects the claim until then


def claim_statuses(channel_id: str, deps: Deps, *,
                   only: Callable[[Registration], bool] | None = None) -> list[ClaimStatus]:
    """The channel's claims judged now against mobile-linked visits only (face links are never
    shown to a channel), and only those of the channel's own office, like the signing decision:
    a visit to another office (another controller, PIPL 23) never decides a claim here.
    `only`: judge just the claims it keeps (the portal's search, `portal_search`)."""
    now = deps.clock.now()
    with deps.uow() as uow:
        channel = _channel(uow, channel_id)
        rules = uow.attribution.rules(channel.office_id)
        claims = [c for c in uow.attribution.registrations_of_channel(channel_id)
                  if only is None or only(c)]
        won = {s.registration_id for s in uow.attribution.signings_of_registrations(
            [c.id for c in claims]) if s.is_final}
        own_rules = teams.own_rules(uow, rules, claims)
        return [_status(uow, c, own_rules[c.id], now, c.id in won, channel.office_id)
                for c in claims]


def _persons(uow: UnitOfWork, claim: Registration) -> list[Person]:
    """The customers this claim is about, linked by mobile only (never by face)."""
    if claim.mobile_hash is not None:
        person = uow.persons.by_mobile_hash(claim.mobile_hash)
        return [person] if person else []
    return [p for p in uow.attribution.persons_matching_mask(
        claim.mobile_prefix, claim.mobile_suffix)
        if claim.may_be(name=p.name, mobile=p.mobile, mobile_hash=p.mobile_hash)]


def lost_reason(
    claim: Registration, signings: list[Signing], visits: list[VisitFact], rules: AttributionRules,
) -> str | None:
    """If a final signing of this customer credited somebody else (another channel or natural):
    this claim's own reason code from that decision — never the winner's identity. The signing
    that judged this claim counts; one that never saw it (the buyer was not on file yet) is
    judged here the same way, at its signing time, on mobile-linked visits."""
    if not signings:
        return None
    judged = [v for s in signings if (v := s.decision.verdict_for(claim.id)) is not None]
    if judged:
        reason = judged[0].reason
    else:
        fact = rules_of.ClaimFact(claim.id, claim.channel_id, "", claim.created_at,
                                  claim.conflict)
        signed_at = signings[0].signed_at
        reason = judge_claim(fact, [v for v in visits if v.at <= signed_at],
                             signed_at=signed_at, rules=rules).reason
    return OVERRIDDEN_ON_REVIEW if reason == rules_of.VALID else reason


def _status(
    uow: UnitOfWork, claim: Registration, rules: AttributionRules, now: datetime, won: bool,
    office_id: str,
) -> ClaimStatus:
    persons = _persons(uow, claim)
    own = {v.id: v for v in [*uow.attribution.visits_of([p.id for p in persons]),
                             *uow.visits.escorts_of([claim.id])]}  # its escort: on the claim
    visits = sorted((VisitFact(v.id, v.at, v.method.value) for v in own.values()
                     if v.at <= now and v.office_id == office_id),
                    key=lambda v: (v.at, v.id))
    signings = [s for s in uow.attribution.final_signings_of_persons(
        [p.id for p in persons], now) if s.office_id == office_id]
    lost = None if won else lost_reason(claim, signings, visits, rules)
    if lost is not None:
        return ClaimStatus(claim, LOST, visited_at=None, outcome=LOST, lost_reason=lost)
    if claim.conflict is not None and not won:  # marked at once: it stays so until decided
        return ClaimStatus(claim, claim.conflict, visited_at=None, outcome=None)
    fact = rules_of.ClaimFact(claim.id, claim.channel_id, "", claim.created_at,
                                  claim.conflict)
    verdict = judge_claim(fact, visits, signed_at=now, rules=rules)
    status = verdict.reason
    if status == rules_of.NO_VISIT:
        in_time = now <= claim.created_at + rules.registration_valid
        status = "awaiting_visit" if in_time else rules_of.EXPIRED_BEFORE_VISIT
    visited = next((v.at for v in visits if v.id == verdict.visit_id), None)
    return ClaimStatus(registration=claim, status=status,
                       visited_at=visited if verdict.valid else None,
                       outcome="won" if won else None,
                       visit_by=claim.created_at + rules.registration_valid
                       if status == "awaiting_visit" else None,
                       protected_until=visited + rules.protection
                       if verdict.valid and visited is not None else None)


def statements_of_channel(channel_id: str, deps: Deps) -> list[Statement]:
    """The channel's own settlement statements, oldest period first (the portal's list)."""
    with deps.uow() as uow:
        _channel(uow, channel_id)
        return uow.attribution.statements_of(channel_id)


@dataclass(frozen=True)
class ConfirmVisitCmd:
    """到访确认: reception checks the escorted customer's mobile against the registration."""

    registration_id: str
    mobile: str
    staff: str
    name: str | None = None


def confirm_visit(cmd: ConfirmVisitCmd, deps: Deps) -> Visit:
    """The escorted visit, once per registration (`VisitAlreadyConfirmed` after that, also for
    a parallel repeat, and for a masked 报备 confirmed with another full number that fits the
    mask: confirmations of one customer queue on the registration's masked mobile before the
    check). Kept on the claim, never on a person (`record_confirmation`)."""
    mobile = normalize_mobile(cmd.mobile)
    with deps.uow() as uow:
        registration = uow.attribution.registration(cmd.registration_id)
        if registration is None:
            raise InvalidRegistration("No such registration.")
        visit = record_confirmation(uow, registration, mobile, deps, staff=cmd.staff,
                                    name=cmd.name)
        uow.commit()
        return visit


def confirmations(uow: UnitOfWork, registration_ids: Collection[str]) -> dict[str, Visit]:
    """Whether a claim is confirmed (到访确认, escorted or typed at reception), the one answer
    the pass, reception and the confirmation itself use: each claim's confirming visit, read by
    the visit's indexed claim column (`uow.visits.escorts_of`), never by scanning an office's
    visits. At most one per claim (`record_confirmation` refuses a second); the oldest wins."""
    found: dict[str, Visit] = {}
    for visit in uow.visits.escorts_of(registration_ids):
        if visit.registration_id is not None:
            found.setdefault(visit.registration_id, visit)
    return found


def confirmation_of(uow: UnitOfWork, registration_id: str) -> Visit | None:
    """The claim's 到访确认, if it has one (`confirmations`)."""
    return confirmations(uow, [registration_id]).get(registration_id)


def record_confirmation(
    uow: UnitOfWork, registration: Registration, mobile: str, deps: Deps, *, staff: str,
    name: str | None = None, escort: dict[str, str] | None = None,
) -> Visit:
    """到访确认 inside the caller's unit of work: the one way an escorted visit is recorded,
    typed at reception (`confirm_visit`) or by the agent's pass (扫码带访,
    `services.attribution.escort`, whose facts go into the visit's evidence as `escort`).
    `mobile` is normalised; the caller commits.

    The visit is recorded on the claim (`registration_id`) and on no person: the mobile a
    channel typed is not the customer's consent, and checking it at reception is none either,
    so nothing is stored about the customer beyond the claim itself and the masked number
    reception checked (PIPL 13, 14; C11). A person exists once the customer consents at the
    kiosk or the desk, or signs; the signing finds the claim, and its escort, by the buyer's
    own mobile."""
    mobile_hash = deps.hasher.mobile(mobile)
    if not registration.may_be(name=name or registration.customer_name, mobile=mobile,
                               mobile_hash=mobile_hash):
        raise InvalidRegistration("The customer's mobile does not match the registration.")
    now = deps.clock.now()
    uow.attribution.lock_customer(registration.office_id, registration.mobile_prefix,
                                  registration.mobile_suffix)  # the second sees the first
    earlier = confirmation_of(uow, registration.id)
    if earlier is not None:
        raise VisitAlreadyConfirmed(visit_id=earlier.id, at=earlier.at.isoformat())
    evidence: dict[str, object] = {"registration": registration.id, "confirmed_by": staff,
                                   "mobile_checked": mask_mobile(mobile)}
    detail: dict[str, object] = {"registration": registration.id}
    if escort is not None:
        evidence["escort"] = dict(escort)
        detail["escort"] = escort.get("pass")
    visit = uow.visits.add(Visit.record(
        person_id=None, registration_id=registration.id, office_id=registration.office_id,
        at=now, method=VisitMethod.STAFF, evidence=evidence))
    uow.audit.append(at=now, actor=staff, action="visit_confirmed", subject=registration.id,
                     detail={"visit": visit.id, **detail})
    return visit


def correct_visit_time(
    visit_id: str, corrected_at: datetime, reason: str, deps: Deps, *, actor: str,
) -> VisitCorrection:
    """A staff edit is appended and audited; the visit row and its original time stay as they
    were, and adjudication keeps using the original."""
    with deps.uow() as uow:
        visit = uow.visits.get(visit_id)
        if visit is None:
            raise UnknownVisit()
        now = deps.clock.now()
        correction = VisitCorrection.new(visit_id=visit.id, corrected_at=corrected_at,
                                          reason=reason, actor=actor, now=now)
        uow.attribution.add(correction)
        uow.audit.append(at=now, actor=actor, action="visit_time_corrected",
                         subject=visit.person_id or visit.registration_id,
                         detail={"visit": visit.id, "original": visit.at.isoformat(),
                                 "corrected": corrected_at.isoformat(),
                                 "reason": correction.reason})
        uow.commit()
        return correction
