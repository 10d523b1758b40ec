"""单独同意: a person's recorded choice, and its receipt (Kantara Consent Receipt v1.1 shape)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from keyuan.domain.canonical import sha256_hex
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.receipt_code import new_code
from keyuan.domain.errors import ConsentMissing, ConsentWithdrawn, PurposeMismatch

RECEIPT_VERSION = "KI-CR-v1.1.0"
ATTRIBUTION = "visit_attribution"
"""The only purpose keyuan processes faces for: proving who brought a buyer first (判客)."""


class ConsentScope(StrEnum):
    FACE = "face"
    PHONE = "phone"


ATTRIBUTION_CATEGORY = "attribution of a buyer to a sales channel"
"""The receipt's `purposeCategory` of `ATTRIBUTION`."""

_PII_CATEGORIES = {
    ConsentScope.FACE: ["face template (biometric, 128 numbers, no photo kept)", "visit times"],
    ConsentScope.PHONE: ["mobile number", "visit times"],
}
DATA_TYPES = {
    "face template (biometric, 128 numbers, no photo kept)": "face_template",
    "visit times": "visit_times",
    "mobile number": "mobile",
    "biometric": "biometric",
}
"""The code of each data type a receipt names (`piiCategory`, `spiCat`): the signed receipts
carry the text, and the pages show the catalog's words for the code."""


@dataclass(eq=False)
class Consent:
    id: str
    person_id: str
    office_id: str
    scope: ConsentScope
    purpose: str
    notice_version: int
    notice_hash: str
    method: str
    given_at: datetime
    receipt: dict[str, Any] = field(default_factory=dict)
    receipt_hash: str = ""
    withdrawn_at: datetime | None = None
    receipt_code: str = ""
    """回执编号 in its stored form (`receipt_code.format_code` shows it): what the visitor sees,
    types and scans; not part of the signed receipt, whose key stays `id`."""

    @classmethod
    def give(
        cls, *, person_id: str, office_id: str, scope: ConsentScope, notice: Notice,
        method: str, now: datetime, controller_name: str, policy_url: str,
    ) -> Consent:
        consent = cls(
            id=secrets.token_hex(16), person_id=person_id, office_id=office_id, scope=scope,
            purpose=ATTRIBUTION, notice_version=notice.version, notice_hash=notice.content_hash,
            method=method, given_at=now, receipt_code=new_code(),
        )
        consent.receipt = build_receipt(consent, notice, controller_name, policy_url)
        consent.receipt_hash = sha256_hex(consent.receipt)
        return consent

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    def require_active_for(self, scope: ConsentScope, purpose: str = ATTRIBUTION) -> None:
        """C1/C7: raise unless this consent covers `scope` for `purpose` right now."""
        if self.withdrawn_at is not None:
            raise ConsentWithdrawn()
        if self.scope is not scope:
            raise ConsentMissing(f"This consent covers '{self.scope}', not '{scope}'.")
        if self.purpose != purpose:
            raise PurposeMismatch(f"Consent is for '{self.purpose}', not '{purpose}'.")

    def withdraw(self, now: datetime) -> None:
        if self.withdrawn_at is None:
            self.withdrawn_at = now


def build_receipt(
    consent: Consent, notice: Notice, controller_name: str, policy_url: str
) -> dict[str, Any]:
    """The Kantara CR v1.1 field set. The visitor keeps a copy; its SHA-256 is stored."""
    sensitive = consent.scope is ConsentScope.FACE
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": "CN",
        "consentTimestamp": int(consent.given_at.timestamp()),
        "collectionMethod": consent.method,
        "consentReceiptID": consent.id,
        "language": notice.language,
        "piiPrincipalId": consent.person_id,
        "piiControllers": [
            {
                "piiController": controller_name or notice.controller,
                "contact": notice.responsible_person,
                "address": notice.controller_contact,
                "onBehalf": False,
            }
        ],
        "policyUrl": policy_url,
        "noticeVersion": notice.version,
        "noticeHash": notice.content_hash,
        "services": [
            {
                "service": "visit check-in (到访登记)",
                "purposes": [
                    {
                        "purpose": consent.purpose,
                        "purposeCategory": [ATTRIBUTION_CATEGORY],
                        "consentType": "EXPLICIT",
                        "piiCategory": _PII_CATEGORIES[consent.scope],
                        "primaryPurpose": True,
                        "termination": notice.retention,
                        "thirdPartyDisclosure": False,
                    }
                ],
            }
        ],
        "sensitive": sensitive,
        "spiCat": ["biometric"] if sensitive else [],
    }


@dataclass(frozen=True)
class ReceiptSignature:
    """The office's signature over one consent receipt (C8): kept beside the consent so the
    receipt can be handed out and verified later."""

    consent_id: str
    algorithm: str
    public_key: str
    key_id: str
    signature: str
    signed_at: datetime
