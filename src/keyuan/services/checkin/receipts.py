"""Signed consent receipts (C8): sign at consent time, hand out, verify."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyuan.domain.canonical import sha256_hex
from keyuan.domain.checkin.consent import Consent, ReceiptSignature
from keyuan.domain.checkin.receipt_code import is_long_id, parse_code
from keyuan.domain.errors import (
    ReceiptCodeInvalid,
    ReceiptLookupThrottled,
    ReceiptNotSigned,
    UnknownConsent,
)
from keyuan.services import throttle
from keyuan.services.checkin.persons import mobile_on_file
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


def consent_by_reference(uow: UnitOfWork, reference: str) -> Consent | None:
    """The consent a visitor's receipt names: by its 回执编号 in any typed form, or by the long
    id of an older receipt; None when it names none (or cannot be either)."""
    code = parse_code(reference)
    if code is not None:
        return uow.consents.by_code(code)
    return uow.consents.get(reference) if is_long_id(reference) else None


def find_receipt(uow: UnitOfWork, reference: str, deps: Deps, *,
                 client: str | None) -> Consent:
    """A receipt looked up by someone holding (or guessing) its code: call first in a unit of
    work. Malformed → `ReceiptCodeInvalid`; unknown → `UnknownConsent`, the miss counted (and
    committed) against the client address; an address over its misses is refused before any
    lookup (`ReceiptLookupThrottled`), so a guess that would have hit tells nothing either."""
    if parse_code(reference) is None and not is_long_id(reference):
        raise ReceiptCodeInvalid()
    now, misses = deps.clock.now(), throttle.receipt_miss_buckets(deps, client=client)
    throttle.require_room(uow, now, misses, ReceiptLookupThrottled)
    consent = consent_by_reference(uow, reference)
    if consent is None:
        throttle.take(uow, now, misses, ReceiptLookupThrottled)
        uow.commit()
        raise UnknownConsent()
    return consent


@dataclass(frozen=True)
class SignedReceipt:
    consent: Consent
    document: dict[str, Any]
    has_mobile: bool = False
    """A mobile is on file for the receipt's person: the rights portal can send them a code
    (else the receipt sends them to reception, `services.compliance.in_person`)."""


def signed_receipt(reference: str, deps: Deps, *, client: str | None = None) -> SignedReceipt:
    """The receipt and its signature, by 回执编号 or long id (misses counted per `client`)."""
    with deps.uow() as uow:
        consent = find_receipt(uow, reference, deps, client=client)
        signature = uow.compliance.signature_for(consent.id)
        if signature is None:
            raise ReceiptNotSigned()
        return SignedReceipt(consent, signed_document(consent.receipt, signature.signature),
                             has_mobile=mobile_on_file(uow, consent.person_id))


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
