"""Compliance records (port in `domain/compliance/repositories.py`) in memory. The real one is
`adapters/store/repositories/compliance.py`: Core queries, so every read hands out a copy."""

from __future__ import annotations

import copy
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from keyuan.domain.checkin.consent import ReceiptSignature
from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.compliance.deals import DecisionAbout, SigningFact
from keyuan.domain.compliance.pia import ImpactAssessment
from keyuan.domain.compliance.rights import RequestStatus, RightsRequest
from keyuan.services.fakes.store import RightsAccess, Tables, insert_row


class FakeComplianceRecords:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    # --- impact assessments (C23) and receipt signatures (C8) ---
    def add_assessment(self, pia: ImpactAssessment) -> None:
        insert_row(self._t.assessments, pia.id, copy.copy(pia))

    def assessments(self) -> list[ImpactAssessment]:
        rows = sorted(self._t.assessments.values(), key=lambda pia: pia.recorded_at)
        return [copy.copy(pia) for pia in rows]

    def latest_assessment(self) -> ImpactAssessment | None:
        rows = self.assessments()
        return rows[-1] if rows else None

    def add_signature(self, sig: ReceiptSignature) -> None:
        insert_row(self._t.signatures, sig.consent_id, sig)

    def signature_for(self, consent_id: str) -> ReceiptSignature | None:
        return self._t.signatures.get(consent_id)

    def signing_keys(self) -> set[str]:
        return {sig.public_key for sig in self._t.signatures.values()}

    # --- retention (C18) ---
    def last_visits(self) -> dict[str, datetime]:
        found: dict[str, datetime] = {}
        for visit in self._t.visits.values():
            if visit.person_id is None:  # an escort, on its claim: `delete_escorts`
                continue
            found[visit.person_id] = max(visit.at, found.get(visit.person_id, visit.at))
        return found

    def template_dates(self) -> dict[str, datetime]:
        return {pseudonym: row.created_at for pseudonym, row in self._t.templates.items()}

    def template_rows(self) -> list[tuple[str, str, str, datetime]]:
        rows = [(p, row.purpose, row.consent_id, row.created_at)
                for p, row in self._t.templates.items()]
        return sorted(rows, key=lambda row: row[3])

    def delete_visits(self, person_id: str, before: datetime) -> int:
        gone = [v.id for v in self._t.visits.values()
                if v.person_id == person_id and v.at < before]
        for visit_id in gone:
            del self._t.visits[visit_id]
        return len(gone)

    def identified_persons(self) -> dict[str, datetime]:
        return {p.id: p.created_at for p in self._t.persons.values()
                if p.mobile_hash is not None or p.mobile is not None or p.name is not None}

    def erase_identity(self, person_id: str) -> None:
        person = self._t.persons.get(person_id)
        if person is not None:
            person.name = person.mobile = person.mobile_hash = None

    def delete_transient(self, before: datetime) -> int:
        codes = [key for key, code in self._t.codes.items() if code.created_at < before]
        for key in codes:
            del self._t.codes[key]
        kept = [row for row in self._t.outbox if row["created_at"] >= before]
        messages = len(self._t.outbox) - len(kept)
        self._t.outbox[:] = kept
        deliveries = [row for row in self._t.sms_deliveries if row.at >= before]
        messages += len(self._t.sms_deliveries) - len(deliveries)
        self._t.sms_deliveries[:] = deliveries
        return len(codes) + messages

    # --- filing counter (C24) ---
    def by_legal_entity(self) -> dict[str, int]:
        """Distinct people with a stored template, per legal entity (via the template's consent)."""
        people: dict[str, set[str]] = {}
        for pseudonym, row in self._t.templates.items():
            consent = self._t.consents.get(row.consent_id)
            office = self._t.offices.get(consent.office_id) if consent else None
            if office is not None:
                people.setdefault(office.legal_entity, set()).add(pseudonym)
        return {entity: len(found) for entity, found in people.items()}

    def legal_entities(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for office_id in sorted(self._t.offices):
            found.setdefault(self._t.offices[office_id].legal_entity, []).append(office_id)
        return found

    def filing_reached(self) -> dict[str, datetime]:
        return {entity: at for entity, (at, _people) in self._t.filing.items()}

    def mark_filing_reached(self, legal_entity: str, at: datetime, people: int) -> bool:
        if legal_entity in self._t.filing:
            return False
        insert_row(self._t.filing, legal_entity, (at, people))
        return True

    # --- rights (C19) ---
    def add_rights_code(self, otp: OneTimeCode) -> None:
        stored = copy.copy(otp)
        stored.attempts, stored.used_at = 0, None
        insert_row(self._t.rights_access, otp.id, RightsAccess(stored))

    def latest_rights_code(self, person_id: str) -> OneTimeCode | None:
        rows = [row.code for row in self._t.rights_access.values()
                if row.code.session_id == person_id]
        latest = max(rows, key=lambda code: code.created_at, default=None)
        return copy.copy(latest)

    def save_rights_code(self, otp: OneTimeCode, *, token_hash: str | None = None,
                         token_expires_at: datetime | None = None) -> None:
        row = self._t.rights_access.get(otp.id)
        if row is None:
            return
        row.code.attempts, row.code.used_at = otp.attempts, otp.used_at
        if token_hash is not None:
            row.token_hash, row.token_expires_at = token_hash, token_expires_at

    def person_for_token(self, token_hash: str, now: datetime) -> str | None:
        return next((row.code.session_id for row in self._t.rights_access.values()
                     if row.token_hash == token_hash and row.token_expires_at is not None
                     and row.token_expires_at > now), None)

    def revoke_tokens(self, person_id: str) -> None:
        for row in self._t.rights_access.values():
            if row.code.session_id == person_id:
                row.token_hash = row.token_expires_at = None

    def forget_contact(self, person_id: str, mobile: str | None,
                       mobile_hash: str | None) -> None:
        """Codes and messages that carry the person's number (deletion, C19)."""
        for key, row in list(self._t.rights_access.items()):
            if row.code.session_id == person_id:
                del self._t.rights_access[key]
        if mobile_hash:
            for key, code in list(self._t.codes.items()):
                if code.mobile_hash == mobile_hash:
                    del self._t.codes[key]
        if mobile:
            self._t.outbox[:] = [row for row in self._t.outbox if row["recipient"] != mobile]

    def audit_about(self, subject: str) -> list[dict[str, Any]]:
        return [{"at": e.at.isoformat(), "action": e.action, "detail": e.detail}
                for e in self._t.audit if e.subject == subject]

    def add_request(self, request: RightsRequest) -> None:
        insert_row(self._t.rights_requests, request.id, copy.deepcopy(request))

    def save_request(self, request: RightsRequest) -> None:
        if request.id in self._t.rights_requests:
            self._t.rights_requests[request.id] = copy.deepcopy(request)

    def rights_request(self, request_id: str) -> RightsRequest | None:
        return copy.deepcopy(self._t.rights_requests.get(request_id))

    def rights_requests(self, *, status: RequestStatus | None = None,
                        person_id: str | None = None) -> list[RightsRequest]:
        rows = [r for r in self._t.rights_requests.values()
                if status in (None, r.status) and person_id in (None, r.person_id)]
        rows.sort(key=lambda r: (r.due_on or date.min, r.received_at))
        return [copy.deepcopy(r) for r in rows]


class FakeDealRecords:
    """`uow.deals` of an office where nobody has signed yet (the fake keeps no signings or
    statements): no deal, nothing paid, no correction to delete — so retention and rights run
    on their no-deal path. Visit owners come from the fake's visits."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def signing_facts(self) -> list[SigningFact]:
        return []

    def paid_lines(self) -> dict[str, datetime]:
        return {}

    def owners_of_visits(self, visit_ids: Collection[str]) -> dict[str, str]:
        wanted = set(visit_ids)
        return {v.id: v.person_id for v in self._tables.visits.values()
                if v.id in wanted and v.person_id is not None}

    def delete_corrections(self, person_id: str, before: datetime) -> int:
        return 0

    def delete_escorts(self, before: datetime, keep: Collection[str]) -> int:
        gone = [v.id for v in self._tables.visits.values()
                if v.person_id is None and v.at < before and v.id not in keep]
        for visit_id in gone:
            del self._tables.visits[visit_id]
        return len(gone)

    def decisions_about(self, person_id: str) -> list[DecisionAbout]:
        return []
