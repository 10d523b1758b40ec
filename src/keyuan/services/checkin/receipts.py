"""Signed consent receipts (C8): sign at consent time, hand out, verify."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyuan.domain.canonical import sha256_hex
from keyuan.domain.checkin.consent import Consent, ReceiptSignature
from keyuan.domain.errors import ReceiptNotSigned, UnknownConsent
from keyuan.services.checkin.signatures import (
    ALGORITHM,
    signature_problems,
    signed_document,
)
from keyuan.services.ports import Deps, ReceiptSigner, UnitOfWork


def record_consent(uow: UnitOfWork, consent: Consent, deps: Deps) -> Consent:
    """Store a new consent with its receipt signed by the office key (the public key goes into
    the receipt as Kantara's `publicKey`, so the stored receipt hash covers it)."""
    signer = deps.receipt_signer
    if signer is not None:
        consent.receipt = {**consent.receipt, "publicKey": signer.public_key}
        consent.receipt_hash = sha256_hex(consent.receipt)
    uow.consents.add(consent)
    if signer is not None:
        uow.compliance.add_signature(_signature(consent, signer))
    return consent


def _signature(consent: Consent, signer: ReceiptSigner) -> ReceiptSignature:
    return ReceiptSignature(
        consent_id=consent.id, algorithm=ALGORITHM, public_key=signer.public_key,
        key_id=signer.key_id, signature=signer.sign(consent.receipt), signed_at=consent.given_at,
    )


@dataclass(frozen=True)
class SignedReceipt:
    consent: Consent
    document: dict[str, Any]


def signed_receipt(receipt_id: str, deps: Deps) -> SignedReceipt:
    with deps.uow() as uow:
        consent = uow.consents.get(receipt_id)
        if consent is None:
            raise UnknownConsent()
        signature = uow.compliance.signature_for(receipt_id)
        if signature is None:
            raise ReceiptNotSigned()
        return SignedReceipt(consent, signed_document(consent.receipt, signature.signature))


@dataclass(frozen=True)
class ReceiptCheck:
    problems: list[str]
    consent_status: str
    """"active", "withdrawn", "unknown" (not in this store) or "not_checked"."""

    @property
    def genuine(self) -> bool:
        return not self.problems


def trusted_keys(deps: Deps) -> set[str]:
    """The office's current key and every key that signed a receipt stored here."""
    with deps.uow() as uow:
        keys = uow.compliance.signing_keys()
    if deps.receipt_signer is not None:
        keys.add(deps.receipt_signer.public_key)
    return keys


def check_receipt(document: Any, deps: Deps) -> ReceiptCheck:
    """Genuine (signed by this office's key, unaltered) and, if so, whether still active. The
    stored receipt must also be the same: a genuine receipt of another store is 'unknown'."""
    problems = signature_problems(document, trusted_keys(deps))
    if problems:
        return ReceiptCheck(problems, "not_checked")
    receipt = document["receipt"]
    with deps.uow() as uow:
        consent = uow.consents.get(str(receipt.get("consentReceiptID", "")))
    if consent is None or consent.receipt_hash != sha256_hex(receipt):
        return ReceiptCheck([], "unknown")
    return ReceiptCheck([], "active" if consent.is_active else "withdrawn")
