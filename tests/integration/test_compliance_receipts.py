"""Signed consent receipts (C8) on real stores and over real HTTP: signed at consent time, kept
as JSON / QR / printable page, verified offline, forged or altered copies rejected."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.crypto.receipt_keys import Ed25519Signer
from keyuan.cli.compliance import receipt_cli
from keyuan.config.face import FaceSettings
from keyuan.domain.canonical import sha256_hex
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin.receipts import check_receipt, signed_receipt
from keyuan.services.checkin.signatures import signed_document
from support.devices import kiosk_client
from support.live import Live, live_server

if TYPE_CHECKING:
    from .conftest import Kiosk


def face_consent_document(k: Kiosk) -> tuple[str, dict[str, Any]]:
    session, notice = k.start()
    consent = k.consent_face(session.id, notice.content_hash)
    return consent.id, signed_receipt(consent.id, k.deps).document


def test_c8_a_face_consent_receipt_is_signed_with_the_published_key(store_kiosk: Kiosk) -> None:
    consent_id, document = face_consent_document(store_kiosk)
    receipt = document["receipt"]

    assert receipt["publicKey"] == store_kiosk.deps.receipt_signer.public_key  # type: ignore[union-attr]
    assert receipt["consentReceiptID"] == consent_id and receipt["sensitive"] is True
    with store_kiosk.deps.uow() as uow:
        stored = uow.consents.get(consent_id)
    assert stored is not None and stored.receipt_hash == sha256_hex(receipt)
    check = check_receipt(document, store_kiosk.deps)
    assert (check.genuine, check.consent_status) == (True, "active")


def test_c8_phone_consents_are_signed_too(kiosk: Kiosk) -> None:
    session, notice = kiosk.start()
    result = kiosk.check_in_by_phone(session.id, notice.content_hash, "13800002222")

    assert check_receipt(signed_receipt(result.consent.id, kiosk.deps).document,
                         kiosk.deps).genuine


def test_c8_a_withdrawn_consent_shows_as_withdrawn(kiosk: Kiosk) -> None:
    consent_id, document = face_consent_document(kiosk)
    consent_service.withdraw(consent_id, kiosk.deps)

    check = check_receipt(document, kiosk.deps)

    assert (check.genuine, check.consent_status) == (True, "withdrawn")


def test_c8_an_altered_receipt_is_rejected(store_kiosk: Kiosk) -> None:
    _, document = face_consent_document(store_kiosk)
    altered = copy.deepcopy(document)
    altered["receipt"]["services"][0]["purposes"][0]["thirdPartyDisclosure"] = True

    check = check_receipt(altered, store_kiosk.deps)

    assert not check.genuine and "altered" in check.problems[0]


def test_c8_a_receipt_forged_with_another_key_is_rejected(kiosk: Kiosk) -> None:
    _, document = face_consent_document(kiosk)
    forger = Ed25519Signer(Ed25519PrivateKey.generate())
    receipt = {**document["receipt"], "publicKey": forger.public_key}
    forged = signed_document(receipt, forger.sign(receipt))

    check = check_receipt(forged, kiosk.deps)

    assert not check.genuine and "not the office's receipt key" in check.problems[0]


def test_c8_keyuan_receipt_verify_checks_a_file(kiosk: Kiosk, tmp_path: Path) -> None:
    consent_id, document = face_consent_document(kiosk)
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    tampered = copy.deepcopy(document)
    tampered["receipt"]["piiPrincipalId"] = "someone-else"
    bad.write_text(json.dumps(tampered), "utf-8")
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key}
    runner = CliRunner()
    key = kiosk.deps.receipt_signer.public_key  # type: ignore[union-attr]

    assert runner.invoke(receipt_cli, ["verify", str(good)], env=env).output == (
        "signature valid; consent status: active\n")
    offline = runner.invoke(receipt_cli, ["verify", str(good), "--public-key", key], env={})
    assert offline.exit_code == 0, offline.output
    rejected = runner.invoke(receipt_cli, ["verify", str(bad)], env=env)
    assert rejected.exit_code == 1 and "INVALID" in rejected.output
    consent_service.withdraw(consent_id, kiosk.deps)
    assert "consent status: withdrawn" in runner.invoke(
        receipt_cli, ["verify", str(good)], env=env).output


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("receipts"), engine=FakeEngine(FaceSettings())) as s:
        yield s


def test_c8_the_visitor_gets_json_qr_and_a_printable_page_over_http(live: Live) -> None:
    with kiosk_client(live, timeout=30) as http:
        session = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
        consent = http.post(f"/api/kiosk/sessions/{session['session_id']}/face-consent", json={
            "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True,
            "agree": True}).json()
        assert "receipt_id" in consent, consent
        rid = consent["receipt_id"]
        key = http.get("/api/compliance/receipt-key").json()
        document = http.get(f"/api/receipts/{rid}/signed").json()
        qr = http.get(f"/api/receipts/{rid}/qr.svg")
        printable = http.get(f"/api/receipts/{rid}/print")
        verdict = http.post("/api/compliance/receipts/verify", json=document).json()
        document["receipt"]["consentReceiptID"] = "0" * 32
        forged = http.post("/api/compliance/receipts/verify", json=document).json()
        missing = http.get(f"/api/receipts/{'f' * 32}/signed")

    assert document["receipt"]["publicKey"] == key["public_key"] and key["algorithm"] == "Ed25519"
    assert qr.headers["content-type"].startswith("image/svg+xml") and qr.text.startswith("<svg")
    assert printable.headers["content-type"].startswith("text/html")
    assert rid in printable.text and "<svg" in printable.text and 'lang="zh-CN"' in printable.text
    assert verdict == {"genuine": True, "problems": [], "consent_status": "active"}
    assert forged["genuine"] is False
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_consent"


def test_c16_the_receipt_names_the_person_only_by_pseudonym(store_kiosk: Kiosk) -> None:
    k, mobile, name = store_kiosk, "13912345678", "欧阳娜娜"
    session, notice = k.start()
    visit = k.check_in_by_phone(session.id, notice.content_hash, mobile, name=name)
    face_session, _ = k.start()
    face = k.consent_face(face_session.id, notice.content_hash, name=name)

    for consent_id in (visit.consent.id, face.id):
        document = signed_receipt(consent_id, k.deps).document
        text = json.dumps(document, ensure_ascii=False)
        with k.deps.uow() as uow:
            stored = uow.consents.get(consent_id)
        assert stored is not None
        assert document["receipt"]["piiPrincipalId"] == stored.person_id
        hashed = k.deps.hasher.mobile(mobile)
        for personal in (name, mobile, mobile[:3] + "****", hashed):
            assert personal not in text, (consent_id, personal)
