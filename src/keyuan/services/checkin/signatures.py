"""Signed consent receipts (C8): the office's Ed25519 key signs the canonical JSON of each
receipt, so anyone holding the receipt can prove it is genuine and unaltered (SPC 6 puts the
burden of proof on the processor). The signer is an adapter (`adapters.crypto.receipt_keys`)
behind `services.ports.ReceiptSigner`; checking a signature needs only the public key, which
travels inside the receipt as Kantara's optional `publicKey`. Whether that key is the office's
is checked against the published key."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from keyuan.domain.canonical import canonical_json

ALGORITHM = "Ed25519"


def key_id_of(public_key_b64: str) -> str:
    return hashlib.sha256(b"keyuan-receipt-key" + public_key_b64.encode()).hexdigest()[:16]


def signed_document(receipt: dict[str, Any], signature: str) -> dict[str, Any]:
    """What the visitor keeps: the receipt and its detached signature, one JSON object."""
    return {"receipt": receipt, "signature": {
        "alg": ALGORITHM, "keyId": key_id_of(str(receipt.get("publicKey", ""))), "value": signature,
    }}


def signature_problems(document: Any, trusted_keys: set[str] | None = None) -> list[str]:
    """Every reason `document` is not a genuine receipt; empty when it is. Without
    `trusted_keys` only the signature is checked (a forger can sign with their own key: pass the
    office's published key(s) to rule that out)."""
    if not isinstance(document, dict) or not isinstance(document.get("receipt"), dict):
        return ["not a signed keyuan receipt (expected {'receipt': {...}, 'signature': {...}})"]
    receipt, signature = document["receipt"], document.get("signature")
    value = signature.get("value") if isinstance(signature, dict) else None
    public_key = receipt.get("publicKey")
    if not isinstance(public_key, str) or not isinstance(value, str):
        return ["the receipt carries no publicKey or no signature value"]
    try:
        raw_key, raw_sig = base64.b64decode(public_key, validate=True), base64.b64decode(
            value, validate=True)
        Ed25519PublicKey.from_public_bytes(raw_key).verify(
            raw_sig, canonical_json(receipt).encode())
    except (binascii.Error, ValueError, InvalidSignature):
        return ["the signature does not match the receipt (altered, or not signed by its key)"]
    if trusted_keys is not None and public_key not in trusted_keys:
        return [f"signed by key {key_id_of(public_key)}, which is not the office's receipt key"]
    return []
