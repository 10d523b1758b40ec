"""置业顾问 inside a unit of work (`uow.consultants`): the office's 轮排 queue, its cursor and the
consultant of each visit. Core queries onto the plain dataclasses of
`domain/checkin/consultants.py`.

Exactly once: every change of an office's queue or assignments first locks the office's cursor
row (`lock_office`: inserted if missing with ON CONFLICT DO NOTHING, then `FOR NO KEY UPDATE` on
PostgreSQL; SQLite's `BEGIN IMMEDIATE` already makes the unit of work the only writer). The
primary key on `visit_consultants.visit_id` and the unique (office, turn) hold it a second time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keyuan.adapters.store.tables.accounts import users
from keyuan.adapters.store.tables.checkin import visits
from keyuan.adapters.store.tables.consultants import (
    consultant_cursors,
    consultant_queue,
    visit_consultants,
)
from keyuan.domain.checkin.consultants import (
    AssignedBy,
    Assignment,
    Cursor,
    QueueMember,
    ReassignReason,
)
from keyuan.domain.errors import ConsultantAlreadyAssigned

SALES = "sales"


def _assignment(row: Row[Any]) -> Assignment:
    return Assignment(visit_id=row.visit_id, office_id=row.office_id, person_id=row.person_id,
                      consultant_id=row.consultant_id, consultant=row.consultant,
                      how=AssignedBy(row.how), turn=row.turn, at=row.assigned_at,
                      by=row.assigned_by, reassigned_from=row.reassigned_from,
                      reason=ReassignReason(row.reassign_reason) if row.reassign_reason else None,
                      reassigned_at=row.reassigned_at, reassigned_by=row.reassigned_by)


class ConsultantRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_office(self, office_id: str) -> Cursor:
        dialect = self.session.get_bind().dialect.name
        insert_of = pg_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(insert_of(consultant_cursors).values(
            office_id=office_id, last_position=None, turns=0,
        ).on_conflict_do_nothing(index_elements=["office_id"]))
        row = self.session.execute(
            select(consultant_cursors).where(consultant_cursors.c.office_id == office_id)
            .with_for_update(key_share=True)).one()
        return Cursor(last_position=row.last_position, turns=row.turns)

    def sales_staff(self) -> list[tuple[str, str]]:
        rows = self.session.execute(
            select(users.c.id, users.c.username)
            .where(users.c.role == SALES, users.c.disabled.is_(False))
            .order_by(users.c.username))
        return [(r.id, r.username) for r in rows]

    def members(self, office_id: str) -> list[QueueMember]:
        q = consultant_queue.c
        rows = self.session.execute(
            select(q.user_id, users.c.username, q.position, q.away_on)
            .join(users, users.c.id == q.user_id)
            .where(q.office_id == office_id).order_by(q.position))
        return [QueueMember(r.user_id, r.username, r.position, r.away_on) for r in rows]

    def cursor(self, office_id: str) -> Cursor:
        row = self.session.execute(select(consultant_cursors)
                                   .where(consultant_cursors.c.office_id == office_id)).first()
        return Cursor() if row is None else Cursor(row.last_position, row.turns)

    def put_member(self, office_id: str, member: QueueMember) -> None:
        q = consultant_queue.c
        done = self.session.execute(
            update(consultant_queue).where(q.office_id == office_id, q.user_id == member.user_id)
            .values(position=member.position, away_on=member.away_on))
        if done.rowcount == 0:  # type: ignore[attr-defined]
            self.session.execute(insert(consultant_queue).values(
                office_id=office_id, user_id=member.user_id, position=member.position,
                away_on=member.away_on))

    def advance(self, office_id: str, cursor: Cursor) -> None:
        self.session.execute(
            update(consultant_cursors).where(consultant_cursors.c.office_id == office_id)
            .values(last_position=cursor.last_position, turns=cursor.turns))

    def add(self, assignment: Assignment) -> None:
        a = assignment
        try:
            with self.session.begin_nested():
                self.session.execute(insert(visit_consultants).values(
                    visit_id=a.visit_id, office_id=a.office_id, person_id=a.person_id,
                    consultant_id=a.consultant_id, consultant=a.consultant, how=a.how.value,
                    turn=a.turn, assigned_at=a.at, assigned_by=a.by))
        except IntegrityError as exc:
            raise ConsultantAlreadyAssigned() from exc

    def reassign(self, assignment: Assignment) -> None:
        a = assignment
        self.session.execute(
            update(visit_consultants).where(visit_consultants.c.visit_id == a.visit_id)
            .values(consultant_id=a.consultant_id, consultant=a.consultant,
                    reassigned_from=a.reassigned_from,
                    reassign_reason=a.reason.value if a.reason else None,
                    reassigned_at=a.reassigned_at, reassigned_by=a.reassigned_by))

    def of_visits(self, visit_ids: Collection[str]) -> dict[str, Assignment]:
        if not visit_ids:
            return {}
        rows = self.session.execute(select(visit_consultants).where(
            visit_consultants.c.visit_id.in_(list(visit_ids))))
        return {r.visit_id: _assignment(r) for r in rows}

    def of_consultant(self, office_id: str, consultant_id: str, start: datetime,
                      end: datetime) -> list[Assignment]:
        vc = visit_consultants.c
        rows = self.session.execute(
            select(visit_consultants).join(visits, visits.c.id == vc.visit_id)
            .where(vc.office_id == office_id, vc.consultant_id == consultant_id,
                   visits.c.at >= start, visits.c.at < end)
            .order_by(visits.c.at, visits.c.id))
        return [_assignment(r) for r in rows]
