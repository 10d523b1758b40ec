"""What compliance needs of a store, as ports. The real ones are in
`adapters/store/repositories/checkin.py` (`uow.audit`) and `compliance.py` (`uow.compliance`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from keyuan.domain.checkin.consent import ReceiptSignature
from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.compliance.audit import AuditEvent
from keyuan.domain.compliance.pia import ImpactAssessment
from keyuan.domain.compliance.rights import RequestStatus, RightsRequest


class AuditLog(Protocol):
    """The hash-chained audit log (C17). `append` MUST chain the new entry to the last one and
    serialise concurrent appenders, so no two entries claim one sequence number."""

    def append(self, *, at: datetime, actor: str, action: str, subject: str | None,
               detail: dict[str, Any] | None = None) -> AuditEvent: ...

    def all(self) -> list[AuditEvent]: ...

    def with_actions(self, *actions: str) -> list[AuditEvent]:
        """The entries of these actions only, oldest first (what a page shows of who did
        what, without reading the whole chain)."""
        ...


class ComplianceRecords(Protocol):
    """Impact assessments, receipt signatures, retention facts, the filing counter, rights codes
    and requests. Reads of the vault name templates by pseudonym only, never the ciphertext."""

    def add_assessment(self, pia: ImpactAssessment) -> None: ...

    def assessments(self) -> list[ImpactAssessment]: ...

    def latest_assessment(self) -> ImpactAssessment | None: ...

    def add_signature(self, sig: ReceiptSignature) -> None: ...

    def signature_for(self, consent_id: str) -> ReceiptSignature | None: ...

    def signing_keys(self) -> set[str]:
        """Every public key that ever signed a receipt here (keys can be rotated)."""

    def last_visits(self) -> dict[str, datetime]: ...

    def template_dates(self) -> dict[str, datetime]:
        """Each stored template's pseudonym and creation time (no biometric column is read)."""

    def template_rows(self) -> list[tuple[str, str, str, datetime]]:
        """(pseudonym, purpose, consent id, created) of every template; never the ciphertext."""

    def delete_visits(self, person_id: str, before: datetime) -> int: ...

    def identified_persons(self) -> dict[str, datetime]:
        """People whose name or mobile is still on file, with when they were created."""

    def erase_identity(self, person_id: str) -> None: ...

    def delete_transient(self, before: datetime) -> int:
        """One-time codes and outbox messages (mobile hashes, numbers, codes) older than this."""

    def by_legal_entity(self) -> dict[str, int]:
        """Distinct people with a stored template, per legal entity across its offices."""

    def legal_entities(self) -> dict[str, list[str]]: ...

    def filing_reached(self) -> dict[str, datetime]: ...

    def mark_filing_reached(self, legal_entity: str, at: datetime, people: int) -> bool:
        """Record the crossing once; False (and nothing written, no error) when it already is,
        also when a concurrent transaction recorded it first."""
        ...

    def add_rights_code(self, otp: OneTimeCode) -> None:
        """`otp.session_id` holds the person's pseudonym (rights codes have no kiosk session)."""

    def latest_rights_code(self, person_id: str) -> OneTimeCode | None:
        """The person's newest code, its row held until the transaction ends (as
        `Codes.latest`)."""

    def save_rights_code(self, otp: OneTimeCode, *, token_hash: str | None = None,
                         token_expires_at: datetime | None = None) -> None: ...

    def person_for_token(self, token_hash: str, now: datetime) -> str | None: ...

    def revoke_tokens(self, person_id: str) -> None: ...

    def forget_contact(self, person_id: str, mobile: str | None,
                       mobile_hash: str | None) -> None:
        """Codes and messages that carry the person's number (deletion, C19)."""

    def audit_about(self, subject: str) -> list[dict[str, Any]]: ...

    def add_request(self, request: RightsRequest) -> None: ...

    def save_request(self, request: RightsRequest) -> None: ...

    def rights_request(self, request_id: str) -> RightsRequest | None: ...

    def rights_requests(self, *, status: RequestStatus | None = None,
                        person_id: str | None = None) -> list[RightsRequest]: ...
