"""Compliance records inside a unit of work (`uow.compliance`): PIAs and receipt signatures.
Core queries onto plain dataclasses; nothing here is mapped by the ORM."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from keyuan.adapters.store.tables.checkin import (
    audit_events,
    consents,
    offices,
    one_time_codes,
    outbox,
    persons,
    sms_deliveries,
    templates,
    visits,
)
from keyuan.adapters.store.tables.compliance import (
    filing_thresholds,
    impact_assessments,
    receipt_signatures,
    rights_access,
    rights_requests,
)
from keyuan.domain.checkin.consent import ReceiptSignature
from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.compliance.pia import REQUIRED_CONTENT, ImpactAssessment
from keyuan.domain.compliance.rights import RequestKind, RequestStatus, RightsRequest


def _assessment(row: Row[Any]) -> ImpactAssessment:
    return ImpactAssessment(
        id=row.id, assessor=row.assessor, settings=row.settings, settings_hash=row.settings_hash,
        recorded_at=row.recorded_at, demo=row.demo, content_hash=row.content_hash,
        **{name: getattr(row, name) for name in REQUIRED_CONTENT},
    )


class ComplianceRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_assessment(self, pia: ImpactAssessment) -> None:
        self.session.execute(insert(impact_assessments).values(
            id=pia.id, assessor=pia.assessor, settings=pia.settings,
            settings_hash=pia.settings_hash, recorded_at=pia.recorded_at, demo=pia.demo,
            content_hash=pia.content_hash,
            **{name: getattr(pia, name) for name in REQUIRED_CONTENT},
        ))

    def assessments(self) -> list[ImpactAssessment]:
        rows = self.session.execute(
            select(impact_assessments).order_by(impact_assessments.c.recorded_at))
        return [_assessment(row) for row in rows]

    def latest_assessment(self) -> ImpactAssessment | None:
        row = self.session.execute(
            select(impact_assessments).order_by(impact_assessments.c.recorded_at.desc()).limit(1)
        ).first()
        return _assessment(row) if row is not None else None

    def add_signature(self, sig: ReceiptSignature) -> None:
        self.session.execute(insert(receipt_signatures).values(
            consent_id=sig.consent_id, algorithm=sig.algorithm, public_key=sig.public_key,
            key_id=sig.key_id, signature=sig.signature, signed_at=sig.signed_at,
        ))

    def signature_for(self, consent_id: str) -> ReceiptSignature | None:
        row = self.session.execute(
            select(receipt_signatures).where(receipt_signatures.c.consent_id == consent_id)
        ).first()
        return ReceiptSignature(**row._mapping) if row is not None else None

    def signing_keys(self) -> set[str]:
        """Every public key that ever signed a receipt here (keys can be rotated)."""
        return set(self.session.execute(select(receipt_signatures.c.public_key).distinct())
                   .scalars())

    # --- retention (C18): the few bulk queries the purge needs ---
    def last_visits(self) -> dict[str, datetime]:
        rows = self.session.execute(
            select(visits.c.person_id, func.max(visits.c.at))
            .where(visits.c.person_id.is_not(None))  # escorts: `deals.delete_escorts`
            .group_by(visits.c.person_id))
        return {person_id: at for person_id, at in rows}

    def template_dates(self) -> dict[str, datetime]:
        """Each stored template's pseudonym and creation time (no biometric column is read)."""
        rows = self.session.execute(select(templates.c.pseudonym, templates.c.created_at))
        return {pseudonym: created for pseudonym, created in rows}

    def template_rows(self) -> list[tuple[str, str, str, datetime]]:
        """(pseudonym, purpose, consent id, created) of every template; never the ciphertext."""
        rows = self.session.execute(select(
            templates.c.pseudonym, templates.c.purpose, templates.c.consent_id,
            templates.c.created_at).order_by(templates.c.created_at))
        return [(p, purpose, c, at) for p, purpose, c, at in rows]

    def delete_visits(self, person_id: str, before: datetime) -> int:
        return _count(self.session.execute(delete(visits).where(
            visits.c.person_id == person_id, visits.c.at < before)))

    def identified_persons(self) -> dict[str, datetime]:
        """People whose name or mobile is still on file, with when they were created."""
        rows = self.session.execute(select(persons.c.id, persons.c.created_at).where(or_(
            persons.c.mobile_hash.is_not(None), persons.c.mobile.is_not(None),
            persons.c.name.is_not(None))))
        return {person_id: created for person_id, created in rows}

    def erase_identity(self, person_id: str) -> None:
        self.session.execute(update(persons).where(persons.c.id == person_id).values(
            name=None, mobile=None, mobile_hash=None))

    def delete_transient(self, before: datetime) -> int:
        """One-time codes and outbox messages (mobile hashes, numbers, codes) older than this."""
        codes = _count(self.session.execute(
            delete(one_time_codes).where(one_time_codes.c.created_at < before)))
        deliveries = _count(self.session.execute(
            delete(sms_deliveries).where(sms_deliveries.c.at < before)))
        return codes + deliveries + _count(self.session.execute(
            delete(outbox).where(outbox.c.created_at < before)))

    # --- filing counter (C24) ---
    def by_legal_entity(self) -> dict[str, int]:
        """Distinct people with a stored template, per legal entity across its offices (the
        template's own consent names the office)."""
        rows = self.session.execute(
            select(offices.c.legal_entity, func.count(func.distinct(templates.c.pseudonym)))
            .select_from(templates)
            .join(consents, consents.c.id == templates.c.consent_id)
            .join(offices, offices.c.id == consents.c.office_id)
            .group_by(offices.c.legal_entity))
        return {entity: int(count) for entity, count in rows}

    def legal_entities(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for office_id, entity in self.session.execute(
                select(offices.c.id, offices.c.legal_entity).order_by(offices.c.id)):
            found.setdefault(entity, []).append(office_id)
        return found

    def filing_reached(self) -> dict[str, datetime]:
        rows = self.session.execute(
            select(filing_thresholds.c.legal_entity, filing_thresholds.c.reached_at))
        return {entity: at for entity, at in rows}

    def mark_filing_reached(self, legal_entity: str, at: datetime, people: int) -> bool:
        dialect = self.session.get_bind().dialect.name
        add = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(filing_thresholds)
        done = self.session.execute(add.values(
            legal_entity=legal_entity, reached_at=at, people=people).on_conflict_do_nothing())
        return bool(cast(CursorResult[Any], done).rowcount)

    # --- rights (C19): one-time codes to the mobile on file, access tokens, requests ---
    def add_rights_code(self, otp: OneTimeCode) -> None:
        """`otp.session_id` holds the person's pseudonym (rights codes have no kiosk session)."""
        self.session.execute(insert(rights_access).values(
            id=otp.id, person_id=otp.session_id, mobile_hash=otp.mobile_hash,
            code_hash=otp.code_hash, created_at=otp.created_at, expires_at=otp.expires_at,
            attempts=0))

    def latest_rights_code(self, person_id: str) -> OneTimeCode | None:
        """Locked for the transaction, as `Codes.latest`: one token per code, every guess
        counted."""
        row = self.session.execute(
            select(rights_access).where(rights_access.c.person_id == person_id)
            .order_by(rights_access.c.created_at.desc()).limit(1).with_for_update()).first()
        if row is None:
            return None
        return OneTimeCode(id=row.id, session_id=row.person_id, mobile_hash=row.mobile_hash,
                           code_hash=row.code_hash, created_at=row.created_at,
                           expires_at=row.expires_at, attempts=row.attempts, used_at=row.used_at)

    def save_rights_code(self, otp: OneTimeCode, *, token_hash: str | None = None,
                         token_expires_at: datetime | None = None) -> None:
        values: dict[str, Any] = {"attempts": otp.attempts, "used_at": otp.used_at}
        if token_hash is not None:
            values.update(token_hash=token_hash, token_expires_at=token_expires_at)
        self.session.execute(update(rights_access).where(rights_access.c.id == otp.id)
                             .values(**values))

    def person_for_token(self, token_hash: str, now: datetime) -> str | None:
        found = self.session.execute(select(rights_access.c.person_id).where(
            rights_access.c.token_hash == token_hash, rights_access.c.token_expires_at > now)
        ).scalar()
        return str(found) if found is not None else None

    def revoke_tokens(self, person_id: str) -> None:
        self.session.execute(update(rights_access).where(rights_access.c.person_id == person_id)
                             .values(token_hash=None, token_expires_at=None))

    def forget_contact(self, person_id: str, mobile: str | None, mobile_hash: str | None) -> None:
        """Codes and messages that carry the person's number (deletion, C19)."""
        self.session.execute(delete(rights_access).where(rights_access.c.person_id == person_id))
        if mobile_hash:
            self.session.execute(
                delete(one_time_codes).where(one_time_codes.c.mobile_hash == mobile_hash))
        if mobile:
            self.session.execute(delete(outbox).where(outbox.c.recipient == mobile))

    def audit_about(self, subject: str) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(audit_events.c.at, audit_events.c.action, audit_events.c.detail)
            .where(audit_events.c.subject == subject).order_by(audit_events.c.seq))
        return [{"at": at.isoformat(), "action": action, "detail": detail}
                for at, action, detail in rows]

    def add_request(self, request: RightsRequest) -> None:
        self.session.execute(insert(rights_requests).values(**_request_values(request)))

    def save_request(self, request: RightsRequest) -> None:
        self.session.execute(update(rights_requests).where(rights_requests.c.id == request.id)
                             .values(**_request_values(request)))

    def rights_request(self, request_id: str) -> RightsRequest | None:
        row = self.session.execute(
            select(rights_requests).where(rights_requests.c.id == request_id)).first()
        return _request(row) if row is not None else None

    def rights_requests(self, *, status: RequestStatus | None = None,
                        person_id: str | None = None) -> list[RightsRequest]:
        query = select(rights_requests).order_by(rights_requests.c.due_on,
                                                 rights_requests.c.received_at)
        if status is not None:
            query = query.where(rights_requests.c.status == status.value)
        if person_id is not None:
            query = query.where(rights_requests.c.person_id == person_id)
        return [_request(row) for row in self.session.execute(query)]


def _request_values(r: RightsRequest) -> dict[str, Any]:
    return {"id": r.id, "person_id": r.person_id, "kind": r.kind.value,
            "received_at": r.received_at, "due_on": r.due_on, "status": r.status.value,
            "detail": r.detail, "closed_at": r.closed_at, "closed_by": r.closed_by}


def _request(row: Row[Any]) -> RightsRequest:
    return RightsRequest(id=row.id, person_id=row.person_id, kind=RequestKind(row.kind),
                         received_at=row.received_at, due_on=row.due_on,
                         status=RequestStatus(row.status), detail=row.detail,
                         closed_at=row.closed_at, closed_by=row.closed_by)


def _count(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0
