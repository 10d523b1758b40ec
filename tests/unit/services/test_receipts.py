"""Signed consent receipts (C8): signed at consent time with the office key, handed out as one
document, checked as genuine and as still active or withdrawn."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from keyuan.adapters.crypto.receipt_keys import Ed25519Signer
from keyuan.domain.errors import ReceiptNotSigned
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin import receipts
from unit.services.harness import Harness, make_harness


@pytest.fixture
def signed() -> Harness:
    return make_harness(receipt_signer=Ed25519Signer(Ed25519PrivateKey.generate()))


def _consent_id(harness: Harness) -> str:
    session, notice = harness.start()
    return harness.consent_face(session.id, notice.content_hash).id


def test_a_consent_is_signed_with_the_office_key(signed: Harness) -> None:
    consent_id = _consent_id(signed)
    signature = signed.committed.signatures[consent_id]
    assert signed.deps.receipt_signer is not None
    assert signature.public_key == signed.deps.receipt_signer.public_key
    assert signed.committed.consents[consent_id].receipt["publicKey"] == signature.public_key


def test_a_handed_out_receipt_checks_as_genuine_then_as_withdrawn(signed: Harness) -> None:
    consent_id = _consent_id(signed)
    document = receipts.signed_receipt(consent_id, signed.deps).document
    assert receipts.check_receipt(document, signed.deps).consent_status == "active"
    consent_service.withdraw(consent_id, signed.deps)
    check = receipts.check_receipt(document, signed.deps)
    assert check.genuine and check.consent_status == "withdrawn"


def test_an_altered_receipt_is_not_genuine(signed: Harness) -> None:
    document = receipts.signed_receipt(_consent_id(signed), signed.deps).document
    altered = copy.deepcopy(document)
    altered["receipt"]["noticeVersion"] = 99
    check = receipts.check_receipt(altered, signed.deps)
    assert not check.genuine and check.consent_status == "not_checked"


def test_without_an_office_key_no_receipt_is_signed(harness: Harness) -> None:
    consent_id = _consent_id(harness)
    assert harness.committed.signatures == {}
    with pytest.raises(ReceiptNotSigned):
        receipts.signed_receipt(consent_id, harness.deps)
