"""置业顾问 API: reception's queue (轮排) and assignments (reception and admin), and a consultant's
own day (the `sales` role: assigned visits and "your customer is back"). Each route parses, calls
one service, renders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.consultants import (
    AssignIn,
    AssignmentPublic,
    AwayIn,
    ConsultantDayPublic,
    MemberPublic,
    PlaceIn,
    QueuePublic,
    ReassignIn,
    assignment_public,
    day_public,
    queue_public,
)
from keyuan.services.checkin import consultants

router = APIRouter(tags=["consultants"])


@router.get("/api/offices/{office_id}/consultants")
def queue(office_id: str, deps: ServiceDeps) -> QueuePublic:
    """The office's consultants in queue order, who is away today, and whose turn is next."""
    return queue_public(consultants.queue(office_id, deps))


@router.put("/api/offices/{office_id}/consultants/{consultant_id}/away")
def away(office_id: str, consultant_id: str, body: AwayIn, who: CurrentPrincipal,
         deps: ServiceDeps) -> MemberPublic:
    """Mark a consultant away for today, or available again."""
    member = consultants.set_away(consultants.AwayCmd(
        office_id=office_id, consultant_id=consultant_id, away=body.away, staff=who.actor), deps)
    return MemberPublic(consultant_id=member.user_id, username=member.username,
                        position=member.position, away_today=body.away)


@router.put("/api/offices/{office_id}/consultants/{consultant_id}/place")
def place(office_id: str, consultant_id: str, body: PlaceIn, who: CurrentPrincipal,
          deps: ServiceDeps) -> QueuePublic:
    """Move a consultant to a place in the queue (1: the head); the queue as it now stands."""
    return queue_public(consultants.move(consultants.MoveCmd(
        office_id=office_id, consultant_id=consultant_id, place=body.place, staff=who.actor),
        deps))


@router.post("/api/offices/{office_id}/visits/{visit_id}/consultant/reassign")
def reassign(office_id: str, visit_id: str, body: ReassignIn, who: CurrentPrincipal,
             deps: ServiceDeps) -> AssignmentPublic:
    """Give one of today's visits to another consultant, with the reason."""
    return assignment_public(consultants.reassign(consultants.ReassignCmd(
        office_id=office_id, visit_id=visit_id, consultant_id=body.consultant_id,
        reason=body.reason, staff=who.actor, from_consultant=body.from_consultant), deps))


@router.post("/api/offices/{office_id}/visits/{visit_id}/consultant", status_code=201)
def assign(office_id: str, visit_id: str, body: AssignIn, who: CurrentPrincipal,
           deps: ServiceDeps) -> AssignmentPublic:
    """Assign a consultant to one of today's visits: the next in the queue, or the one chosen."""
    return assignment_public(consultants.assign(consultants.AssignCmd(
        office_id=office_id, visit_id=visit_id, consultant_id=body.consultant_id,
        staff=who.actor), deps))


@router.get("/api/consultant/today")
def my_day(who: CurrentPrincipal, deps: ServiceDeps,
           office: Annotated[str | None, Query(max_length=64)] = None) -> ConsultantDayPublic:
    """The calling consultant's visits today and their customers back today (by mobile)."""
    return day_public(consultants.consultant_day(who.user_id, office, deps))
