"""置业顾问 wire shapes: an office's 轮排 queue, an assignment, and a consultant's own day. No face
image, template or score, and no visit method on the consultant's side (how a visit was
established is not a consultant's business, C17); mobiles masked 前三后四."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from keyuan.api.schemas.common import Strict
from keyuan.domain.checkin.consultants import Assignment, QueueMember, ReassignReason
from keyuan.services.checkin.consultants import ConsultantDay, CustomerVisit, Queue


class MemberPublic(BaseModel):
    consultant_id: str
    username: str
    position: int
    away_today: bool


class QueuePublic(BaseModel):
    office_id: str
    date: date
    consultants: list[MemberPublic] = Field(description="In queue order.")
    up_next: str | None = Field(description="Whose turn a press of 'next in queue' gives.")
    turns: int = Field(description="Queue turns given at this office so far.")


class AwayIn(Strict):
    away: bool = Field(description="True: away for today; false: available again.")


class AssignIn(Strict):
    """Exactly one of `queue` (the next in the queue, 轮排) or `consultant_id` (chosen)."""

    queue: bool = False
    consultant_id: str | None = Field(None, max_length=24)

    @model_validator(mode="after")
    def _one_way(self) -> AssignIn:
        if self.queue == (self.consultant_id is not None):
            raise ValueError("give either queue: true or a consultant_id")
        return self


class PlaceIn(Strict):
    place: int = Field(ge=1, le=1000, description="The consultant's new place (1: the head).")


class ReassignIn(Strict):
    consultant_id: str = Field(max_length=24, description="The consultant who takes the visit.")
    reason: ReassignReason = Field(description=(
        "customer_asked (the customer asked for their usual consultant), consultant_unavailable "
        "(the one assigned cannot receive them) or correction (assigned by mistake)."))
    from_consultant: str | None = Field(None, max_length=64, description=(
        "The username shown on the visit when the reassignment was chosen: refused with 409 "
        "consultant_changed when someone else reassigned it meanwhile (omit to skip the check)."))


class AssignmentPublic(BaseModel):
    visit_id: str
    consultant_id: str
    consultant: str
    how: str = Field(description="chosen, or queue (轮排): how the visit was first given")
    turn: int | None
    at: datetime
    reassigned_from: str | None = Field(None, description="Who had the visit before.")
    reason: str | None = Field(None, description="Why it was reassigned.")


class CustomerVisitPublic(BaseModel):
    visit_id: str
    at: datetime
    name: str | None
    masked_mobile: str | None
    first_visit: bool


class ConsultantDayPublic(BaseModel):
    office_id: str
    office_name: str
    assigned: list[CustomerVisitPublic]
    returns: list[CustomerVisitPublic] = Field(
        description="Your customers back today, proven by mobile (never a face recognition).")
    alerts_on: bool = Field(description="The notice in force tells visitors of these alerts.")


def member_public(m: QueueMember, today: date) -> MemberPublic:
    return MemberPublic(consultant_id=m.user_id, username=m.username, position=m.position,
                        away_today=not m.available(today))


def queue_public(q: Queue) -> QueuePublic:
    return QueuePublic(office_id=q.office_id, date=q.today,
                       consultants=[member_public(m, q.today) for m in q.members],
                       up_next=q.up_next.username if q.up_next else None, turns=q.turns)


def assignment_public(a: Assignment) -> AssignmentPublic:
    return AssignmentPublic(visit_id=a.visit_id, consultant_id=a.consultant_id,
                            consultant=a.consultant, how=a.how.value, turn=a.turn, at=a.at,
                            reassigned_from=a.reassigned_from,
                            reason=a.reason.value if a.reason else None)


def _customer(v: CustomerVisit) -> CustomerVisitPublic:
    return CustomerVisitPublic(visit_id=v.visit_id, at=v.at, name=v.name,
                               masked_mobile=v.masked_mobile, first_visit=v.first_visit)


def day_public(d: ConsultantDay) -> ConsultantDayPublic:
    return ConsultantDayPublic(office_id=d.office_id, office_name=d.office_name,
                               assigned=[_customer(v) for v in d.assigned],
                               returns=[_customer(v) for v in d.returns], alerts_on=d.alerts_on)
