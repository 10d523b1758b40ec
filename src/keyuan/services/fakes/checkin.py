"""Check-in repositories (ports in `domain/checkin/repositories.py`), the audit log and the
vault, in memory. The real ones are in `adapters/store/repositories/checkin.py` and
`adapters/vault/store.py`."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

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
from keyuan.domain.errors import PurposeMismatch
from keyuan.domain.sms import SmsDelivery
from keyuan.services.faces.engine import Template
from keyuan.services.fakes.store import MappedRows, StoredTemplate, insert_row


class FakeOffices(MappedRows[Office]):
    def add_new(self, item: Office) -> bool:
        if item.id in self._rows:
            return False
        self.add(item)
        return True

    def lock(self, key: str) -> Office | None:
        return self.get(key)  # one thread: nothing to wait for

    def all(self) -> list[Office]:
        return sorted(self._rows.values(), key=lambda office: office.id)

    def of_entity(self, legal_entity_id: int) -> list[Office]:
        return [office for office in self.all() if office.legal_entity_id == legal_entity_id]


class FakeLegalEntities:
    """`LegalEntity.id` is given by the database in the real store: here the next integer."""

    def __init__(self, rows: dict[int, LegalEntity], offices: dict[str, Office],
                 filing: dict[str, tuple[datetime, int]]) -> None:
        self._rows, self._offices, self._filing = rows, offices, filing

    def add_new(self, item: LegalEntity) -> bool:
        if self.by_name(item.name) is not None:
            return False
        item.id = max(self._rows, default=0) + 1
        insert_row(self._rows, item.id, item)
        return True

    def get(self, key: int) -> LegalEntity | None:
        return self._rows.get(key)

    def all(self) -> list[LegalEntity]:
        return sorted(self._rows.values(), key=lambda entity: entity.name)

    def by_name(self, name: str) -> LegalEntity | None:
        return next((e for e in self._rows.values() if e.name == name), None)

    def by_credit_code(self, code: str) -> LegalEntity | None:
        return next((e for e in self._rows.values() if e.credit_code == code), None)

    def rename(self, entity: LegalEntity, name: str) -> None:
        old, entity.name = entity.name, name
        for office in self._offices.values():
            if office.legal_entity_id == entity.id:
                office.legal_entity = name
        if old in self._filing:
            self._filing[name] = self._filing.pop(old)


class FakeNotices:
    """`Notice.id` is given by the database in the real store: here the next integer."""

    def __init__(self, rows: dict[int, Notice]) -> None:
        self._rows = rows

    def add(self, item: Notice) -> Notice:
        if item.id is None:
            item.id = max(self._rows, default=0) + 1
        insert_row(self._rows, item.id, item)
        return item

    def get(self, key: int) -> Notice | None:
        return self._rows.get(key)

    def active(self, office_id: str, language: str) -> Notice | None:
        """The newest published version for the office and language."""
        published = [n for n in self._of(office_id, language) if n.published_at is not None]
        return max(published, key=lambda n: n.version, default=None)

    def by_hash(self, content_hash: str) -> Notice | None:
        return next((n for n in self._rows.values() if n.content_hash == content_hash), None)

    def latest_version(self, office_id: str, language: str) -> int:
        return max((n.version for n in self._of(office_id, language)), default=0)

    def for_office(self, office_id: str) -> list[Notice]:
        """Every version and draft of an office, newest first per language."""
        rows = [n for n in self._rows.values() if n.office_id == office_id]
        return sorted(rows, key=lambda n: (n.language, -n.version))

    def _of(self, office_id: str, language: str) -> list[Notice]:
        return [n for n in self._rows.values()
                if n.office_id == office_id and n.language == language]


class FakePersons(MappedRows[Person]):
    def by_mobile_hash(self, mobile_hash: str) -> Person | None:
        return next((p for p in self._rows.values() if p.mobile_hash == mobile_hash), None)

    def lock(self, key: str) -> Person | None:
        return self.get(key)  # one unit of work at a time: nothing to wait for

    def add_with_mobile(self, person: Person) -> Person:
        found = self.by_mobile_hash(person.mobile_hash or "")
        return found if found is not None else self.add(person)


class FakeConsents(MappedRows[Consent]):
    def active_for(self, person_id: str, scope: ConsentScope) -> Consent | None:
        active = [c for c in self.for_person(person_id) if c.scope is scope and c.is_active]
        return active[-1] if active else None

    def for_person(self, person_id: str) -> list[Consent]:
        rows = [c for c in self._rows.values() if c.person_id == person_id]
        return sorted(rows, key=lambda c: c.given_at)

    def by_code(self, code: str) -> Consent | None:
        return next((c for c in self._rows.values() if c.receipt_code == code), None)


class FakeKioskSessions(MappedRows[KioskSession]):
    def __init__(self, rows: dict[str, KioskSession], codes: dict[str, OneTimeCode]) -> None:
        super().__init__(rows)
        self._codes = codes

    def purge(self, started_before: datetime, *, empty_only: bool,
              limit: int | None = None) -> int:
        gone = [s.id for s in self._rows.values() if s.started_at < started_before
                and not s.face_declined and not (empty_only and s.person_id)][:limit]
        for code in [c for c in self._codes.values() if c.session_id in gone]:
            del self._codes[code.id]
        for session_id in gone:
            del self._rows[session_id]
        return len(gone)


class FakeLivenessChallenges(MappedRows[LivenessChallenge]):
    def use(self, key: str, now: datetime) -> bool:
        found = self._rows.get(key)
        if found is None or found.used_at is not None:
            return False
        found.used_at = now  # one unit of work at a time: nothing to race
        return True

    def purge(self, expired_before: datetime, *, limit: int) -> int:
        gone = sorted(k for k, c in self._rows.items() if c.expires_at < expired_before)[:limit]
        for key in gone:
            del self._rows[key]
        return len(gone)


class FakeKioskDevices(MappedRows[KioskDevice]):
    def __init__(self, rows: dict[str, KioskDevice], codes: dict[str, PairingCode]) -> None:
        super().__init__(rows)
        self._codes = codes

    def lock(self, key: str) -> KioskDevice | None:
        return self._rows.get(key)

    def by_token_hash(self, token_hash: str) -> KioskDevice | None:
        return next((d for d in self._rows.values() if d.token_hash == token_hash), None)

    def all(self) -> list[KioskDevice]:
        return sorted(self._rows.values(), key=lambda d: (d.paired_at, d.id), reverse=True)

    def add_code(self, code: PairingCode) -> PairingCode:
        insert_row(self._codes, code.id, code)
        return code

    def code_by_hash(self, code_hash: str) -> PairingCode | None:
        return next((c for c in self._codes.values() if c.code_hash == code_hash), None)

    def delete_expired_codes(self, now: datetime) -> int:
        gone = [k for k, c in self._codes.items() if c.used_at is None and c.expires_at < now]
        for key in gone:
            del self._codes[key]
        return len(gone)


class FakeVisits(MappedRows[Visit]):
    def for_person(self, person_id: str) -> list[Visit]:
        return sorted((v for v in self._rows.values() if v.person_id == person_id),
                      key=lambda v: v.at)

    def for_office(self, office_id: str) -> list[Visit]:
        return sorted((v for v in self._rows.values() if v.office_id == office_id),
                      key=lambda v: v.at)

    def at_office_between(self, office_id: str, start: datetime, end: datetime) -> list[Visit]:
        return [v for v in self.for_office(office_id) if start <= v.at < end]

    def latest_since(self, person_id: str, office_id: str, since: datetime) -> Visit | None:
        found = [v for v in self.for_person(person_id) if v.office_id == office_id
                 and v.at >= since]
        return found[-1] if found else None

    def escorts_of(self, registration_ids: Collection[str]) -> list[Visit]:
        wanted = set(registration_ids)
        return sorted((v for v in self._rows.values() if v.registration_id in wanted),
                      key=lambda v: (v.at, v.id))

    def firsts_at_office(self, office_id: str, person_ids: Collection[str]) -> dict[str, str]:
        wanted = set(person_ids)
        first: dict[str, str] = {}
        for v in sorted(self._rows.values(), key=lambda v: (v.at, v.id)):
            if v.office_id == office_id and v.person_id in wanted:
                first.setdefault(v.person_id, v.id)
        return first


class FakeCodes(MappedRows[OneTimeCode]):
    def latest(self, session_id: str, mobile_hash: str) -> OneTimeCode | None:
        found = [c for c in self._rows.values()
                 if c.session_id == session_id and c.mobile_hash == mobile_hash]
        return max(found, key=lambda c: c.created_at, default=None)


class FakeOutbox:
    def __init__(self, rows: list[dict[str, Any]], deliveries: list[SmsDelivery]) -> None:
        self._rows = rows
        self._deliveries = deliveries

    def put(self, *, at: datetime, channel: str, recipient: str, body: str) -> None:
        self._rows.append({"id": len(self._rows) + 1, "created_at": at, "channel": channel,
                           "recipient": recipient, "body": body})

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        return [dict(row) for row in reversed(self._rows[-limit:])]

    def record_delivery(self, delivery: SmsDelivery) -> None:
        self._deliveries.append(delivery)

    def deliveries(self, limit: int = 50) -> list[SmsDelivery]:
        return list(reversed(self._deliveries[-limit:]))


class FakeAuditLog:
    """Chained as the real log is: `next_event` after the last entry (C17)."""

    def __init__(self, rows: list[AuditEvent]) -> None:
        self._rows = rows

    def append(self, *, at: datetime, actor: str, action: str, subject: str | None,
               detail: dict[str, Any] | None = None) -> AuditEvent:
        last = self._rows[-1] if self._rows else None
        event = next_event(last, at=at, actor=actor, action=action, subject=subject,
                           detail=detail or {})
        self._rows.append(event)
        return event

    def all(self) -> list[AuditEvent]:
        return list(self._rows)

    def with_actions(self, *actions: str) -> list[AuditEvent]:
        return [event for event in self._rows if event.action in actions]


class FakeVault:
    """`services.ports.Vault` over plain rows; the purpose check (C7) is the real one."""

    def __init__(self, rows: dict[str, StoredTemplate], consents: dict[str, Consent],
                 notices: dict[int, Notice], version: list[int] | None = None) -> None:
        self._rows = rows
        self._consents = consents
        self._notices = notices
        self._version = version if version is not None else [0]
        self._changed = False

    def put(self, pseudonym: str, template: Template, *, purpose: str, consent_id: str,
            model: str, now: datetime) -> None:
        insert_row(self._rows, pseudonym,
                   StoredTemplate(template, purpose, consent_id, now, model))
        self._changed = True

    def model_of(self, pseudonym: str) -> str | None:
        row = self._rows.get(pseudonym)
        return None if row is None else row.model

    def get(self, pseudonym: str, *, purpose: str) -> Template | None:
        row = self._rows.get(pseudonym)
        if row is None:
            return None
        if purpose not in self._covered(pseudonym):
            raise PurposeMismatch(f"The person's consent does not cover '{purpose}'.")
        return row.template

    def covering(self, purpose: str) -> set[str]:
        return {p for p in self._rows if purpose in self._covered(p)}

    def _covered(self, pseudonym: str) -> set[str]:
        hashes = {c.notice_hash for c in self._consents.values() if c.person_id == pseudonym
                  and c.scope is ConsentScope.FACE and c.is_active}
        return {use for n in self._notices.values() if n.content_hash in hashes
                for use in n.face_uses}

    def has(self, pseudonym: str) -> bool:
        return pseudonym in self._rows

    def delete(self, pseudonym: str) -> bool:
        deleted = self._rows.pop(pseudonym, None) is not None
        self._changed = self._changed or deleted
        return deleted

    def gallery_version(self) -> int:
        return self._version[0]

    def stamp_changes(self) -> None:
        if self._changed:
            self._version[0] += 1
            self._changed = False

    def count(self) -> int:
        return len(self._rows)

    def pseudonyms(self) -> list[str]:
        return list(self._rows)

    def consent_ids(self) -> dict[str, str]:
        """Each stored pseudonym with the id of the consent its template was sealed under."""
        return {pseudonym: row.consent_id for pseudonym, row in self._rows.items()}

    def all(self, *, purpose: str, models: Collection[str],
            among: Collection[str] | None = None) -> Iterator[tuple[str, Template]]:
        for pseudonym, row in list(self._rows.items()):
            if row.purpose == purpose and row.model in models and (
                    among is None or pseudonym in among):
                yield pseudonym, row.template

    def seals(self, *, purpose: str, models: Collection[str]) -> dict[str, str]:
        """A row's identity stands in for its nonce (rows are replaced, never changed)."""
        return {pseudonym: f"{row.consent_id}:{row.created_at.isoformat()}:{row.model}"
                for pseudonym, row in self._rows.items()
                if row.purpose == purpose and row.model in models}

    def models(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self._rows.values():
            counts[row.model] = counts.get(row.model, 0) + 1
        return counts
