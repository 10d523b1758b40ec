"""单独同意 and its receipt (C1, C7, C8): Kantara CR v1.1 shape, tamper-evident, purpose-bound."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from keyuan.domain.canonical import sha256_hex
from keyuan.domain.checkin.consent import ATTRIBUTION, Consent, ConsentScope
from keyuan.domain.checkin.notice import REQUIRED_FIELDS, Notice
from keyuan.domain.checkin.person import new_pseudonym
from keyuan.domain.errors import ConsentMissing, ConsentWithdrawn, PurposeMismatch

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
POLICY_URL = "/notice"
CONTROLLER = "示范置业有限公司"


def published_notice() -> Notice:
    text = {name: f"{name}: {why}" for name, why in REQUIRED_FIELDS.items()}
    notice = Notice(office_id="office-1", language="zh-CN", **text)
    notice.publish(version=2, now=NOW - timedelta(days=1))
    return notice


def give(scope: ConsentScope = ConsentScope.FACE, *, person_id: str | None = None) -> Consent:
    return Consent.give(
        person_id=person_id or new_pseudonym(), office_id="office-1", scope=scope,
        notice=published_notice(), method="kiosk_touch", now=NOW, controller_name=CONTROLLER,
        policy_url=POLICY_URL,
    )


KANTARA_TOP_LEVEL = {
    "version", "jurisdiction", "consentTimestamp", "collectionMethod", "consentReceiptID",
    "piiPrincipalId", "piiControllers", "policyUrl", "services", "sensitive", "spiCat",
}
KANTARA_PURPOSE = {
    "purpose", "consentType", "piiCategory", "primaryPurpose", "termination",
    "thirdPartyDisclosure",
}


def only_purpose(receipt: dict[str, Any]) -> dict[str, Any]:
    [service] = receipt["services"]
    [purpose] = service["purposes"]
    return purpose  # type: ignore[no-any-return]


def test_c8_the_receipt_carries_the_kantara_v1_1_fields() -> None:
    person = new_pseudonym()
    notice = published_notice()
    consent = Consent.give(
        person_id=person, office_id="office-1", scope=ConsentScope.FACE, notice=notice,
        method="kiosk_touch", now=NOW, controller_name=CONTROLLER, policy_url=POLICY_URL,
    )
    receipt = consent.receipt

    assert receipt.keys() >= KANTARA_TOP_LEVEL
    assert receipt["version"]
    assert receipt["jurisdiction"] == "CN"
    assert receipt["consentTimestamp"] == int(NOW.timestamp())
    assert receipt["collectionMethod"] == "kiosk_touch"
    assert receipt["consentReceiptID"] == consent.id
    assert receipt["piiPrincipalId"] == person
    assert receipt["policyUrl"] == POLICY_URL
    [controller] = receipt["piiControllers"]
    assert controller["piiController"] == CONTROLLER
    assert controller["contact"] == notice.responsible_person
    purpose = only_purpose(receipt)
    assert purpose.keys() >= KANTARA_PURPOSE
    assert purpose["purpose"] == ATTRIBUTION
    assert purpose["consentType"] == "EXPLICIT"
    assert purpose["primaryPurpose"] is True
    assert purpose["termination"] == notice.retention
    assert purpose["thirdPartyDisclosure"] is False
    assert purpose["piiCategory"]


def test_c3_the_consent_records_the_notice_version_and_hash_it_was_given_against() -> None:
    notice = published_notice()
    consent = Consent.give(
        person_id=new_pseudonym(), office_id="office-1", scope=ConsentScope.PHONE, notice=notice,
        method="kiosk_sms_code", now=NOW, controller_name=CONTROLLER, policy_url=POLICY_URL,
    )

    assert (consent.notice_version, consent.notice_hash) == (2, notice.content_hash)
    assert consent.receipt["noticeHash"] == notice.content_hash


def test_the_receipt_principal_is_the_pseudonym() -> None:
    person = new_pseudonym()
    consent = give(person_id=person)

    assert consent.receipt["piiPrincipalId"] == person
    assert consent.person_id == person


def test_c8_a_face_receipt_is_sensitive_with_the_biometric_category() -> None:
    receipt = give(ConsentScope.FACE).receipt

    assert receipt["sensitive"] is True
    assert receipt["spiCat"] == ["biometric"]
    assert any("face template" in category for category in only_purpose(receipt)["piiCategory"])


def test_c8_a_phone_receipt_is_not_sensitive_and_has_no_biometric_category() -> None:
    receipt = give(ConsentScope.PHONE).receipt

    assert receipt["sensitive"] is False
    assert receipt["spiCat"] == []
    assert not any("face" in category for category in only_purpose(receipt)["piiCategory"])


def test_c8_the_receipt_hash_is_the_sha256_of_the_canonical_json() -> None:
    consent = give()
    canonical = json.dumps(
        consent.receipt, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")

    assert consent.receipt_hash == hashlib.sha256(canonical).hexdigest()


def test_c8_the_receipt_hash_ignores_key_order() -> None:
    consent = give()
    reordered = dict(reversed(list(consent.receipt.items())))

    assert sha256_hex(reordered) == consent.receipt_hash


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every leaf of a nested receipt, as a path of keys and indices."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _paths(item, (*prefix, key))]
    if isinstance(value, list) and value:
        return [p for index, item in enumerate(value) for p in _paths(item, (*prefix, index))]
    return [prefix]


def _altered(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return ["added"]
    return "altered"


def test_c8_altering_any_field_of_the_receipt_changes_its_hash() -> None:
    consent = give()
    paths = _paths(consent.receipt)
    assert len(paths) > 15  # the walk really reached the nested purpose fields

    for path in paths:
        tampered = copy.deepcopy(consent.receipt)
        holder = tampered
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = _altered(holder[path[-1]])

        assert sha256_hex(tampered) != consent.receipt_hash, path


def test_every_consent_gets_its_own_receipt_id() -> None:
    person = new_pseudonym()

    assert give(person_id=person).id != give(person_id=person).id


def test_c6_withdraw_marks_the_consent_inactive_once() -> None:
    consent = give()
    assert consent.is_active

    consent.withdraw(NOW + timedelta(hours=1))
    consent.withdraw(NOW + timedelta(hours=2))

    assert not consent.is_active
    assert consent.withdrawn_at == NOW + timedelta(hours=1)


def test_an_active_face_consent_covers_face_for_attribution() -> None:
    give(ConsentScope.FACE).require_active_for(ConsentScope.FACE)
    give(ConsentScope.FACE).require_active_for(ConsentScope.FACE, ATTRIBUTION)


def test_c6_a_withdrawn_consent_covers_nothing() -> None:
    consent = give(ConsentScope.FACE)
    consent.withdraw(NOW)

    with pytest.raises(ConsentWithdrawn):
        consent.require_active_for(ConsentScope.FACE)


def test_c1_a_phone_consent_does_not_cover_face() -> None:
    with pytest.raises(ConsentMissing):
        give(ConsentScope.PHONE).require_active_for(ConsentScope.FACE)


def test_c7_a_consent_is_refused_for_another_purpose() -> None:
    consent = give(ConsentScope.FACE)

    with pytest.raises(PurposeMismatch):
        consent.require_active_for(ConsentScope.FACE, "marketing")
