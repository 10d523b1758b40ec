"""置业顾问 use cases: reception's queue (轮排) and assignments, and the consultant's own day.

Consultants are the enabled accounts of the `sales` role (read through `uow.consultants`, so
check-in needs nothing of the accounts area). Each office keeps its own queue order and cursor
in the store, so the order and whose turn is next survive a restart. Every change of an
office's queue or assignments takes the office's cursor lock first (`ConsultantStore.
lock_office`): two receptionists pressing "next in queue" at once get two consecutive turns,
never the same one twice and never a skipped one.

The consultant's page shows masked mobiles and visit times only — never how a visit was
established (a face check-in is a biometric fact, C17) — and alerts a consultant of a customer's
return only for returns proven by mobile (`domain.checkin.consultants.ALERTING_METHODS`), and only
while every notice in force tells visitors so (`alerts_told`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from keyuan.domain.checkin.consultants import (
    AssignedBy,
    Assignment,
    Cursor,
    QueueMember,
    ReassignReason,
    alerts_consultant,
    alerts_told,
    cursor_after_move,
    moved,
    next_in_queue,
    up_next,
    with_newcomers,
)
from keyuan.domain.checkin.person import Person
from keyuan.domain.checkin.visit import Visit
from keyuan.domain.display import Window
from keyuan.domain.errors import (
    ConsultantAlreadyAssigned,
    ConsultantAway,
    ConsultantChanged,
    ConsultantNotAssigned,
    UnknownConsultant,
    UnknownVisit,
    VisitNotToday,
)
from keyuan.domain.mobile import mask_mobile
from keyuan.services.checkin.face_uses import notices_in_force
from keyuan.services.checkin.setup import office_or_first
from keyuan.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class Queue:
    office_id: str
    today: date
    members: list[QueueMember]
    up_next: QueueMember | None
    turns: int


@dataclass(frozen=True)
class AssignCmd:
    """`consultant_id` None: the next in the queue (轮排); else that consultant (chosen)."""

    office_id: str
    visit_id: str
    consultant_id: str | None
    staff: str


@dataclass(frozen=True)
class AwayCmd:
    office_id: str
    consultant_id: str
    away: bool
    staff: str


@dataclass(frozen=True)
class MoveCmd:
    """Put a consultant at `place` in the office's queue (1: the head)."""

    office_id: str
    consultant_id: str
    place: int
    staff: str


@dataclass(frozen=True)
class ReassignCmd:
    """Give one of today's visits to another consultant, for `reason`."""

    office_id: str
    visit_id: str
    consultant_id: str
    reason: ReassignReason
    staff: str
    from_consultant: str | None = None
    """The username the page showed on the visit: refused (`ConsultantChanged`) when someone
    gave it to another consultant since, so two different reassignments never both succeed."""


def queue(office_id: str, deps: Deps) -> Queue:
    """The office's queue as it stands (newly added sales accounts at the end)."""
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)
        members, cursor = _members(uow, office.id), uow.consultants.cursor(office.id)
        return _queue(office.id, members, cursor, deps)


def _queue(office_id: str, members: list[QueueMember], cursor: Cursor, deps: Deps) -> Queue:
    today = _today(deps)
    return Queue(office_id, today, members, up_next(members, cursor, today), cursor.turns)


def move(cmd: MoveCmd, deps: Deps) -> Queue:
    """Reorder the office's queue: the consultant to `place`, everyone renumbered; the turn goes
    on round from whoever took the last one (when it is they who move, whoever was next stays
    next). A place they hold already changes nothing (a second
    press of the same move, or a parallel one, moves them once); audited when it moves them."""
    with deps.uow() as uow:
        office = office_or_first(uow, cmd.office_id)
        cursor = uow.consultants.lock_office(office.id)
        members = _synced(uow, office.id)
        member = _member(members, cmd.consultant_id)
        after = moved(members, member.user_id, cmd.place)  # QueuePlaceInvalid
        if [m.user_id for m in after] == [m.user_id for m in members]:
            return _queue(office.id, members, cursor, deps)
        for m in after:
            uow.consultants.put_member(office.id, m)
        # rows of accounts no longer in the queue (disabled, another role) go after everyone,
        # so one coming back never shares a place with a member and loses every turn
        live = {m.user_id for m in after}
        gone = [m for m in uow.consultants.members(office.id) if m.user_id not in live]
        for i, m in enumerate(gone, len(after) + 1):
            uow.consultants.put_member(office.id, replace(m, position=i))
        cursor = cursor_after_move(members, after, cursor, member.user_id)
        uow.consultants.advance(office.id, cursor)
        uow.audit.append(at=deps.clock.now(), actor=cmd.staff, action="consultant_queue_moved",
                         subject=office.id, detail={
                             "consultant": member.username,
                             "from": members.index(member) + 1, "to": cmd.place})
        uow.commit()
        return _queue(office.id, after, cursor, deps)


def reassign(cmd: ReassignCmd, deps: Deps) -> Assignment:
    """Give one of today's visits to another (available) consultant: the one who had it no
    longer sees it; when it is the customer's first visit here, their return alerts (and the
    signing decision's consultant of the first visit) follow the new one. Refused for a visit
    without a consultant (`ConsultantNotAssigned`) and, as a second press, for the one who has
    it (`ConsultantUnchanged`): parallel presses reassign once; two different reassignments of
    what the page showed, once (`ConsultantChanged`). Audited with the reason."""
    with deps.uow() as uow:
        office = office_or_first(uow, cmd.office_id)
        now = deps.clock.now()
        visit = _todays_visit(uow, office.id, cmd.visit_id, now)
        uow.consultants.lock_office(office.id)
        current = uow.consultants.of_visits([visit.id]).get(visit.id)
        if current is None:
            raise ConsultantNotAssigned()
        member = _member(_synced(uow, office.id), cmd.consultant_id)
        if not member.available(_today(deps)):
            raise ConsultantAway()
        if cmd.from_consultant is not None and cmd.from_consultant != current.consultant \
                and member.user_id != current.consultant_id:
            raise ConsultantChanged()
        done = current.reassigned(member, cmd.reason, at=now, by=cmd.staff)
        uow.consultants.reassign(done)
        uow.audit.append(at=now, actor=cmd.staff, action="consultant_reassigned",
                         subject=visit.id, detail={"from": current.consultant,
                                                   "consultant": member.username,
                                                   "reason": cmd.reason.value})
        uow.commit()
        return done


def set_away(cmd: AwayCmd, deps: Deps) -> QueueMember:
    """Mark a consultant away for today, or available again; audited."""
    with deps.uow() as uow:
        office = office_or_first(uow, cmd.office_id)
        uow.consultants.lock_office(office.id)
        member = _member(_synced(uow, office.id), cmd.consultant_id)
        changed = QueueMember(member.user_id, member.username, member.position,
                              _today(deps) if cmd.away else None)
        uow.consultants.put_member(office.id, changed)
        uow.audit.append(at=deps.clock.now(), actor=cmd.staff,
                         action="consultant_away" if cmd.away else "consultant_available",
                         subject=office.id, detail={"consultant": member.username})
        uow.commit()
        return changed


def assign(cmd: AssignCmd, deps: Deps) -> Assignment:
    """Assign a consultant to one of today's visits at the office, once; audited. A queue
    assignment takes the next turn and moves the cursor; a chosen one leaves the queue as it
    is."""
    with deps.uow() as uow:
        office = office_or_first(uow, cmd.office_id)
        now = deps.clock.now()
        visit = _todays_visit(uow, office.id, cmd.visit_id, now)
        cursor = uow.consultants.lock_office(office.id)
        if uow.consultants.of_visits([visit.id]):
            raise ConsultantAlreadyAssigned()
        members = _synced(uow, office.id)
        today = _today(deps)
        turn: int | None = None
        if cmd.consultant_id is None:
            member = next_in_queue(members, cursor, today)  # NoConsultantAvailable
            turn = cursor.turns + 1
            uow.consultants.advance(office.id, Cursor(member.position, turn))
        else:
            member = _member(members, cmd.consultant_id)
            if not member.available(today):
                raise ConsultantAway()
        done = Assignment(
            visit_id=visit.id, office_id=office.id, person_id=visit.person_id,
            consultant_id=member.user_id, consultant=member.username,
            how=AssignedBy.QUEUE if turn else AssignedBy.CHOSEN, turn=turn, at=now, by=cmd.staff)
        uow.consultants.add(done)
        uow.audit.append(at=now, actor=cmd.staff, action="consultant_assigned", subject=visit.id,
                         detail={"consultant": member.username, "how": done.how.value,
                                 "turn": turn})
        uow.commit()
        return done


def _today(deps: Deps) -> date:
    return Window.ending(deps.clock.now(), 1).today


def _todays_visit(uow: UnitOfWork, office_id: str, visit_id: str, now: datetime) -> Visit:
    visit = uow.visits.get(visit_id)
    if visit is None or visit.office_id != office_id:
        raise UnknownVisit()
    window = Window.ending(now, 1)
    if not window.start <= visit.at < window.end:
        raise VisitNotToday()
    return visit


def _members(uow: UnitOfWork, office_id: str) -> list[QueueMember]:
    return with_newcomers(uow.consultants.members(office_id), uow.consultants.sales_staff())


def _synced(uow: UnitOfWork, office_id: str) -> list[QueueMember]:
    """The queue with newcomers written in (under the office's lock), so positions stay put."""
    stored = {m.user_id for m in uow.consultants.members(office_id)}
    members = _members(uow, office_id)
    for member in members:
        if member.user_id not in stored:
            uow.consultants.put_member(office_id, member)
    return members


def _member(members: list[QueueMember], consultant_id: str) -> QueueMember:
    found = next((m for m in members if m.user_id == consultant_id), None)
    if found is None:
        raise UnknownConsultant()
    return found


# --- the consultant's own page ---
@dataclass(frozen=True)
class CustomerVisit:
    """A visit as a consultant sees it: when, the customer's name if given, the masked mobile,
    whether it is their first visit here. Never how the visit was established."""

    visit_id: str
    at: datetime
    name: str | None
    masked_mobile: str | None
    first_visit: bool


@dataclass(frozen=True)
class ConsultantDay:
    office_id: str
    office_name: str
    assigned: list[CustomerVisit]
    returns: list[CustomerVisit]
    """"Your customer is back": today's returns, proven by mobile, of customers whose first
    visit here this consultant received."""
    alerts_on: bool
    """Every notice in force tells visitors of these alerts (otherwise none are shown)."""


def consultant_day(consultant_id: str, office_id: str | None, deps: Deps) -> ConsultantDay:
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)
        window = Window.ending(deps.clock.now(), 1)
        todays = uow.visits.at_office_between(office.id, window.start, window.end)
        firsts = uow.visits.firsts_at_office(  # an escort has no person: never a return
            office.id, {v.person_id for v in todays if v.person_id is not None})
        first_ids = set(firsts.values())
        persons = {pid: uow.persons.get(pid) for pid in firsts}
        mine = uow.consultants.of_consultant(office.id, consultant_id, window.start, window.end)
        by_id = {v.id: v for v in todays}
        assigned = [_seen(by_id[a.visit_id], persons.get(a.person_id or ""), first_ids)
                    for a in mine if a.visit_id in by_id]
        told = alerts_told((n.language, n.purpose, n.processing)
                           for n in notices_in_force(uow, office.id))
        returns: list[CustomerVisit] = []
        if told:
            received = uow.consultants.of_visits(first_ids)
            back: set[str] = set()
            for v in reversed(todays):  # newest first: one line per customer, their latest
                if v.person_id is None:
                    continue
                if (v.person_id not in back and v.id not in first_ids
                        and alerts_consultant(v.method)
                        and _received_by(received, firsts.get(v.person_id), consultant_id)):
                    back.add(v.person_id)
                    returns.append(_seen(v, persons.get(v.person_id), first_ids))
        return ConsultantDay(office.id, office.name, list(reversed(assigned)), returns, told)


def _received_by(received: dict[str, Assignment], first_visit: str | None,
                 consultant_id: str) -> bool:
    assignment = received.get(first_visit or "")
    return assignment is not None and assignment.consultant_id == consultant_id


def _seen(visit: Visit, person: Person | None, first_ids: set[str]) -> CustomerVisit:
    mobile = person.mobile if person is not None else None
    return CustomerVisit(visit_id=visit.id, at=visit.at,
                         name=person.name if person is not None else None,
                         masked_mobile=mask_mobile(mobile) if mobile else None,
                         first_visit=visit.id in first_ids)
