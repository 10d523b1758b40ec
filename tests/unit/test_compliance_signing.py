"""Signed consent receipts (C8): genuine receipts verify; altered or forged ones are refused."""

from __future__ import annotations

import base64
import copy
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from keyuan.adapters.crypto.receipt_keys import (
    Ed25519Signer,
    ReceiptKeyError,
    create_receipt_key_file,
    load_receipt_signer,
)
from keyuan.services.checkin.signatures import signature_problems, signed_document


def a_receipt(signer: Ed25519Signer) -> dict[str, Any]:
    return {"version": "KI-CR-v1.1.0", "jurisdiction": "CN", "consentReceiptID": "c1",
            "piiPrincipalId": "p1", "consentTimestamp": 1748854800, "sensitive": True,
            "spiCat": ["biometric"], "services": [{"purposes": [{"purpose": "visit_attribution"}]}],
            "publicKey": signer.public_key}


def signed(signer: Ed25519Signer) -> dict[str, Any]:
    receipt = a_receipt(signer)
    return signed_document(receipt, signer.sign(receipt))


OFFICE = Ed25519Signer(Ed25519PrivateKey.generate())


def test_c8_a_genuine_receipt_verifies_against_the_office_key() -> None:
    assert signature_problems(signed(OFFICE), {OFFICE.public_key}) == []


@pytest.mark.parametrize("path,value", [
    (("consentReceiptID",), "c2"), (("piiPrincipalId",), "p2"), (("sensitive",), False),
    (("services", 0, "purposes", 0, "purpose"), "marketing"), (("consentTimestamp",), 1),
])
def test_c8_an_altered_receipt_is_rejected(path: tuple[Any, ...], value: object) -> None:
    document = copy.deepcopy(signed(OFFICE))
    target: Any = document["receipt"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value

    assert signature_problems(document, {OFFICE.public_key}) == [
        "the signature does not match the receipt (altered, or not signed by its key)"]


def test_c8_a_receipt_forged_with_another_key_is_rejected() -> None:
    forger = Ed25519Signer(Ed25519PrivateKey.generate())
    forged = signed(forger)

    assert signature_problems(forged) == []  # self-consistent: only the key's origin tells
    assert "not the office's receipt key" in signature_problems(forged, {OFFICE.public_key})[0]


def test_c8_swapping_in_the_office_key_breaks_a_forged_signature() -> None:
    forger = Ed25519Signer(Ed25519PrivateKey.generate())
    receipt = {**a_receipt(forger), "publicKey": OFFICE.public_key}
    forged = signed_document(receipt, forger.sign(receipt))

    assert signature_problems(forged, {OFFICE.public_key}) != []


@pytest.mark.parametrize("document", [
    None, [], {"receipt": "x"}, {"receipt": {}}, {"receipt": {"publicKey": "%%"},
                                                  "signature": {"value": "%%"}},
])
def test_c8_garbage_is_not_a_receipt(document: object) -> None:
    assert signature_problems(document) != []


def test_c8_the_receipt_key_file_is_created_0600_once(tmp_path: Path) -> None:
    path = tmp_path / "receipt.key"

    assert create_receipt_key_file(path) is True
    first = load_receipt_signer(None, path)
    assert create_receipt_key_file(path) is False
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_receipt_signer(None, path).public_key == first.public_key


def test_c8_a_key_readable_by_others_or_missing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "receipt.key"
    with pytest.raises(ReceiptKeyError, match="no receipt key"):
        load_receipt_signer(None, path)
    create_receipt_key_file(path)
    path.chmod(0o644)
    with pytest.raises(ReceiptKeyError, match="chmod 600"):
        load_receipt_signer(None, path)


def test_c8_the_key_can_come_from_the_environment(tmp_path: Path) -> None:
    seed = base64.b64encode(bytes(range(32))).decode()

    signer = load_receipt_signer(seed, tmp_path / "absent.key")

    assert signer.public_key == load_receipt_signer(seed, tmp_path / "other").public_key
    with pytest.raises(ReceiptKeyError):
        load_receipt_signer(base64.b64encode(b"short").decode(), tmp_path / "absent.key")
