"""Repositories: the only place queries are written. Each works inside one unit of work."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keyuan.adapters.store.locks import locked
from keyuan.adapters.store.tables import checkin as tables
from keyuan.adapters.store.tables.compliance import filing_thresholds
from keyuan.domain.checkin.challenge import LivenessChallenge
from keyuan.domain.checkin.consent import Consent, ConsentScope
from keyuan.domain.checkin.controller import LegalEntity
from keyuan.domain.checkin.devices import KioskDevice, PairingCode
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.checkin.person import Office, Person
from keyuan.domain.checkin.visit import Visit
from keyuan.domain.compliance.audit import AuditEvent, next_event
from keyuan.domain.sms import SmsDelivery

T = TypeVar("T")


class Repository(Generic[T]):
    model: type[T]

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: T) -> T:
        # Flush at once: without relationship() the ORM cannot order inserts by foreign key.
        self.session.add(item)
        self.session.flush()
        return item

    def get(self, key: Any) -> T | None:
        return self.session.get(self.model, key)

    def lock(self, key: Any) -> T | None:
        """The row, locked until the transaction ends (`locks.locked`)."""
        return locked(self.session, self.model, key)


def _add_new(session: Session, item: object) -> bool:
    """Insert in a savepoint: a unique key taken (also by a concurrent transaction that
    committed first) rolls back only the savepoint and answers False."""
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError:
        return False
    return True


class Offices(Repository[Office]):
    model = Office

    def add_new(self, item: Office) -> bool:
        return _add_new(self.session, item)

    def all(self) -> list[Office]:
        return list(self.session.scalars(select(Office).order_by(tables.offices.c.id)))

    def of_entity(self, legal_entity_id: int) -> list[Office]:
        return list(self.session.scalars(
            select(Office).where(tables.offices.c.legal_entity_id == legal_entity_id)
            .order_by(tables.offices.c.id)))


class LegalEntities(Repository[LegalEntity]):
    model = LegalEntity

    def add_new(self, item: LegalEntity) -> bool:
        return _add_new(self.session, item)

    def all(self) -> list[LegalEntity]:
        return list(self.session.scalars(
            select(LegalEntity).order_by(tables.legal_entities.c.name)))

    def by_name(self, name: str) -> LegalEntity | None:
        return self.session.scalars(
            select(LegalEntity).where(tables.legal_entities.c.name == name)).first()

    def by_credit_code(self, code: str) -> LegalEntity | None:
        return self.session.scalars(
            select(LegalEntity).where(tables.legal_entities.c.credit_code == code)).first()

    def rename(self, entity: LegalEntity, name: str) -> None:
        old, entity.name = entity.name, name
        self.session.flush()
        self.session.execute(update(tables.offices)
                             .where(tables.offices.c.legal_entity_id == entity.id)
                             .values(legal_entity=name)
                             .execution_options(synchronize_session="fetch"))
        self.session.execute(update(filing_thresholds)
                             .where(filing_thresholds.c.legal_entity == old)
                             .values(legal_entity=name))


class Notices(Repository[Notice]):
    model = Notice

    def active(self, office_id: str, language: str) -> Notice | None:
        """The newest published version for the office and language."""
        return self.session.scalars(
            select(Notice)
            .where(tables.notices.c.office_id == office_id, tables.notices.c.language == language)
            .where(tables.notices.c.published_at.is_not(None))
            .order_by(tables.notices.c.version.desc())
            .limit(1)
        ).first()

    def by_hash(self, content_hash: str) -> Notice | None:
        return self.session.scalars(
            select(Notice).where(tables.notices.c.content_hash == content_hash)
        ).first()

    def latest_version(self, office_id: str, language: str) -> int:
        found = self.session.execute(
            select(func.max(tables.notices.c.version)).where(
                tables.notices.c.office_id == office_id, tables.notices.c.language == language
            )
        ).scalar()
        return int(found or 0)

    def for_office(self, office_id: str) -> list[Notice]:
        """Every version and draft of an office, newest first per language."""
        return list(self.session.scalars(
            select(Notice).where(tables.notices.c.office_id == office_id)
            .order_by(tables.notices.c.language, tables.notices.c.version.desc())))


class Persons(Repository[Person]):
    model = Person

    def by_mobile_hash(self, mobile_hash: str) -> Person | None:
        return self.session.scalars(
            select(Person).where(tables.persons.c.mobile_hash == mobile_hash)
        ).first()

    def add_with_mobile(self, person: Person) -> Person:
        # INSERT … ON CONFLICT DO NOTHING on uq_persons_mobile_hash: on PostgreSQL a concurrent
        # insert of the same number makes this wait for that transaction and then do nothing;
        # the SELECT after it (a new snapshot under READ COMMITTED) sees the winner's row.
        dialect = self.session.get_bind().dialect.name
        insert_of = pg_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(insert_of(tables.persons).values(
            id=person.id, created_at=person.created_at, name=person.name, mobile=person.mobile,
            mobile_hash=person.mobile_hash, minor=person.minor,
        ).on_conflict_do_nothing(index_elements=["mobile_hash"]))
        return self.session.scalars(
            select(Person).where(tables.persons.c.mobile_hash == person.mobile_hash)
            .execution_options(populate_existing=True)
        ).one()


class Consents(Repository[Consent]):
    model = Consent

    def active_for(self, person_id: str, scope: ConsentScope) -> Consent | None:
        return self.session.scalars(
            select(Consent)
            .where(tables.consents.c.person_id == person_id, tables.consents.c.scope == scope)
            .where(tables.consents.c.withdrawn_at.is_(None))
            .order_by(tables.consents.c.given_at.desc())
        ).first()

    def for_person(self, person_id: str) -> list[Consent]:
        return list(self.session.scalars(
            select(Consent).where(tables.consents.c.person_id == person_id)
            .order_by(tables.consents.c.given_at)
        ))

    def by_code(self, code: str) -> Consent | None:
        return self.session.scalars(
            select(Consent).where(tables.consents.c.receipt_code == code)).first()


class KioskSessions(Repository[KioskSession]):
    model = KioskSession

    def purge(self, started_before: datetime, *, empty_only: bool,
              limit: int | None = None) -> int:
        s, codes = tables.kiosk_sessions, tables.one_time_codes
        conditions = [s.c.started_at < started_before, s.c.face_declined.is_(False)]
        if empty_only:
            conditions.append(s.c.person_id.is_(None))
        # Parallel purgers (every session start) take disjoint rows instead of waiting on, or
        # deadlocking with, each other (SKIP LOCKED on PostgreSQL; SQLite has one writer).
        ids = list(self.session.scalars(select(s.c.id).where(*conditions).order_by(s.c.id)
                                        .limit(limit).with_for_update(skip_locked=True)))
        if ids:
            self.session.execute(delete(codes).where(codes.c.session_id.in_(ids)))
            self.session.execute(delete(s).where(s.c.id.in_(ids)))
        return len(ids)


class LivenessChallenges(Repository[LivenessChallenge]):
    model = LivenessChallenge

    def use(self, key: str, now: datetime) -> bool:
        c = tables.liveness_challenges.c
        done = self.session.execute(
            update(tables.liveness_challenges).where(c.id == key, c.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        used = bool(done.rowcount)  # type: ignore[attr-defined]
        found = self.session.get(LivenessChallenge, key)
        if found is not None:
            self.session.refresh(found)  # the identity map shows the row as it now is
        return used

    def purge(self, expired_before: datetime, *, limit: int) -> int:
        c = tables.liveness_challenges.c
        ids = list(self.session.scalars(
            select(c.id).where(c.expires_at < expired_before).order_by(c.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if ids:
            self.session.execute(delete(tables.liveness_challenges).where(c.id.in_(ids))
                                 .execution_options(synchronize_session=False))
        return len(ids)


class KioskDevices(Repository[KioskDevice]):
    model = KioskDevice

    def by_token_hash(self, token_hash: str) -> KioskDevice | None:
        return self.session.scalars(select(KioskDevice).where(
            tables.kiosk_devices.c.token_hash == token_hash)).first()

    def all(self) -> list[KioskDevice]:
        d = tables.kiosk_devices.c
        return list(self.session.scalars(select(KioskDevice).order_by(d.paired_at.desc(),
                                                                      d.id)))

    def add_code(self, code: PairingCode) -> PairingCode:
        self.session.add(code)
        self.session.flush()
        return code

    def code_by_hash(self, code_hash: str) -> PairingCode | None:
        return self.session.scalars(
            select(PairingCode).where(tables.pairing_codes.c.code_hash == code_hash)
            .with_for_update()
        ).first()

    def delete_expired_codes(self, now: datetime) -> int:
        p = tables.pairing_codes.c
        result = self.session.execute(
            delete(tables.pairing_codes).where(p.used_at.is_(None), p.expires_at < now)
            .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)


class Visits(Repository[Visit]):
    model = Visit

    def for_person(self, person_id: str) -> list[Visit]:
        return list(self.session.scalars(
            select(Visit).where(tables.visits.c.person_id == person_id).order_by(tables.visits.c.at)
        ))

    def for_office(self, office_id: str) -> list[Visit]:
        return list(self.session.scalars(
            select(Visit).where(tables.visits.c.office_id == office_id).order_by(tables.visits.c.at)
        ))

    def at_office_between(self, office_id: str, start: datetime, end: datetime) -> list[Visit]:
        v = tables.visits.c
        return list(self.session.scalars(
            select(Visit).where(v.office_id == office_id, v.at >= start, v.at < end)
            .order_by(v.at, v.id)))

    def latest_since(self, person_id: str, office_id: str, since: datetime) -> Visit | None:
        v = tables.visits.c
        return self.session.scalars(
            select(Visit).where(v.person_id == person_id, v.office_id == office_id, v.at >= since)
            .order_by(v.at.desc()).limit(1)
        ).first()

    def escorts_of(self, registration_ids: Collection[str]) -> list[Visit]:
        if not registration_ids:
            return []
        v = tables.visits.c
        return list(self.session.scalars(
            select(Visit).where(v.registration_id.in_(list(registration_ids)))
            .order_by(v.at, v.id)))

    def firsts_at_office(self, office_id: str, person_ids: Collection[str]) -> dict[str, str]:
        if not person_ids:
            return {}
        v = tables.visits.c
        rows = self.session.execute(
            select(v.person_id, v.id)
            .where(v.office_id == office_id, v.person_id.in_(list(person_ids)))
            .order_by(v.at, v.id))
        first: dict[str, str] = {}
        for person_id, visit_id in rows:
            first.setdefault(person_id, visit_id)
        return first


class Codes(Repository[OneTimeCode]):
    model = OneTimeCode

    def latest(self, session_id: str, mobile_hash: str) -> OneTimeCode | None:
        """Locked for the transaction (`FOR UPDATE` on PostgreSQL; SQLite's writer lock is
        already held): parallel guesses of one code are counted one by one, used once."""
        return self.session.scalars(
            select(OneTimeCode)
            .where(tables.one_time_codes.c.session_id == session_id)
            .where(tables.one_time_codes.c.mobile_hash == mobile_hash)
            .order_by(tables.one_time_codes.c.created_at.desc())
            .limit(1).with_for_update()
        ).first()


class Outbox:
    """Messages the default SMS sender leaves for staff to read out or forward."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, *, at: datetime, channel: str, recipient: str, body: str) -> None:
        self.session.execute(insert(tables.outbox).values(
            created_at=at, channel=channel, recipient=recipient, body=body
        ))

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(tables.outbox).order_by(tables.outbox.c.id.desc()).limit(limit)
        )
        return [dict(row._mapping) for row in rows]

    def record_delivery(self, delivery: SmsDelivery) -> None:
        self.session.execute(insert(tables.sms_deliveries).values(**asdict(delivery)))

    def deliveries(self, limit: int = 50) -> list[SmsDelivery]:
        rows = self.session.execute(select(tables.sms_deliveries).order_by(
            tables.sms_deliveries.c.at.desc(), tables.sms_deliveries.c.id).limit(limit))
        return [SmsDelivery(**row._mapping) for row in rows]


class AuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self, *, at: datetime, actor: str, action: str, subject: str | None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        if self.session.get_bind().dialect.name == "postgresql":
            # Serialise appenders so two transactions never claim the same sequence number.
            self.session.execute(text("SELECT pg_advisory_xact_lock(7272001)"))
        last = self.session.scalars(
            select(AuditEvent).order_by(tables.audit_events.c.seq.desc()).limit(1)
        ).first()
        event = next_event(last, at=at, actor=actor, action=action, subject=subject,
                           detail=detail or {})
        self.session.add(event)
        return event

    def all(self) -> list[AuditEvent]:
        return list(self.session.scalars(select(AuditEvent).order_by(tables.audit_events.c.seq)))

    def with_actions(self, *actions: str) -> list[AuditEvent]:
        column = tables.audit_events.c
        return list(self.session.scalars(select(AuditEvent).where(column.action.in_(actions))
                                         .order_by(column.seq)))
