"""Visitor-facing text is for people (issue 16 item 6): every code a receipt or the readable copy
of my data carries has words in zh-CN and en (`web.labels`, catalog area "labels") — a code added
without them fails here; the receipt tells the retention of the path taken; the readable copy
shows Beijing time to the minute, office names and words, never ISO times, codes or JSON."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from keyuan.domain.checkin.consent import (
    _PII_CATEGORIES,
    ATTRIBUTION,
    ATTRIBUTION_CATEGORY,
    DATA_TYPES,
    Consent,
    ConsentScope,
)
from keyuan.domain.checkin.notice import REQUIRED_FIELDS, Notice
from keyuan.domain.compliance.retention import RetentionPolicy
from keyuan.domain.compliance.rights import RequestKind, RequestStatus
from keyuan.web import labels
from keyuan.web.i18n import LANGS, catalog
from keyuan.web.printing import page
from support.visitor_text import ISO_T, machine_text, visible_text

SRC = Path(__file__).resolve().parents[2] / "src" / "keyuan"
# `action="x"` and `action="x" if … else "y"` in an audit append: every event the log can hold.
ACTION = re.compile(r'action=("[\w.]+")(?:\s+if\s+[^\n]*?\s+else\s+("[\w.]+"))?')
NOW = datetime(2026, 11, 28, 2, 5, 31, 123456, tzinfo=UTC)  # 10:05 in Beijing


def audit_actions() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for match in ACTION.finditer(path.read_text(encoding="utf-8")):
            found |= {group.strip('"') for group in match.groups() if group}
    return found


def has_words(key: str) -> bool:
    return all(key in catalog()[lang] and catalog()[lang][key].strip() for lang in LANGS)


def test_the_source_scan_finds_the_audit_actions() -> None:
    assert {"consent_given", "template_enrolled", "data_exported", "data_accessed",
            "account.login"} <= audit_actions()


@pytest.mark.parametrize("action", sorted(audit_actions()))
def test_every_audit_event_has_words(action: str) -> None:
    key = labels.event_key(action)
    assert key != labels.OTHER_EVENT and has_words(key), action


@pytest.mark.parametrize("code", [ATTRIBUTION, ATTRIBUTION_CATEGORY])
def test_every_purpose_has_words(code: str) -> None:
    assert labels.purpose_key(code) != labels.OTHER and has_words(labels.purpose_key(code))


def test_every_data_type_a_receipt_names_has_words() -> None:
    named = {text for texts in _PII_CATEGORIES.values() for text in texts} | {"biometric"}
    assert named <= set(DATA_TYPES), named - set(DATA_TYPES)
    for text in DATA_TYPES:
        assert has_words(labels.data_type_key(text)), text


@pytest.mark.parametrize("code", [*ConsentScope, *RequestKind, *RequestStatus])
def test_every_scope_and_request_word_is_there(code: str) -> None:
    key = labels.scope_key(code) if code in set(ConsentScope) else labels.request_key(code)
    assert key != labels.OTHER and has_words(key)


def test_an_unknown_code_reads_as_other_never_as_the_code() -> None:
    assert labels.event_key("brand_new_thing") == labels.OTHER_EVENT
    assert labels.data_type_key("retina scan") == labels.OTHER


def test_retention_is_told_for_the_path_taken() -> None:
    policy = RetentionPolicy(no_deal_template_days=120, deal_dispute_days=60)
    face = labels.retention_lines(ConsentScope.FACE, policy)
    phone = labels.retention_lines(ConsentScope.PHONE, policy)
    assert [key for key, _ in face] == ["labels.retention_face", "labels.retention_visits"]
    assert [key for key, _ in phone] == ["labels.retention_visits"]
    assert face[0][1] == {"deal": 60, "no_deal": 120}


# --- the receipt -------------------------------------------------------------------------


def receipt(scope: ConsentScope, lang: str) -> str:
    text = {name: f"{name}: {why}" for name, why in REQUIRED_FIELDS.items()}
    notice = Notice(office_id="office-1", language="zh-CN", **text)
    notice.publish(version=3, now=NOW - timedelta(days=1))
    consent = Consent.give(person_id="p" * 32, office_id="office-1", scope=scope, notice=notice,
                           method="kiosk_touch", now=NOW, controller_name="示范置业有限公司",
                           policy_url="/notice")
    extra: dict[str, Any] = {"key_id": "k", "signature": "", "qr": "", "code": "KY-7F3K-9Q2M",
                             "has_mobile": True, "phone_url": "", "verify_url": ""}
    return page("receipt.html", lang, r=consent.receipt, active=True, given_at="2026-11-28 10:05",
                retention=labels.retention_lines(scope, RetentionPolicy()), **extra)


@pytest.mark.parametrize("lang", LANGS)
def test_a_face_receipt_speaks_of_the_template_in_words(lang: str) -> None:
    text = visible_text(receipt(ConsentScope.FACE, lang))
    assert "判客：确认哪个渠道最先带您来访" in text and "Attribution: which channel" in text
    assert "加密的人脸特征（不含照片）" in text and "生物识别信息" in text
    assert "加密的人脸特征：成交并结算后 90 天删除" in text
    for raw in ("visit_attribution", "attribution of a buyer", "128", "face template (biometric"):
        assert raw not in text, raw


@pytest.mark.parametrize("lang", LANGS)
def test_a_mobile_receipt_says_nothing_of_face_templates(lang: str) -> None:
    text = visible_text(receipt(ConsentScope.PHONE, lang))
    assert "手机号和到访记录" in text and "Mobile number and visit records" in text
    for face in ("人脸特征", "face template", "生物识别", "biometric", "visit_attribution"):
        assert face not in text, face
    assert not ISO_T.search(text)


# --- the readable copy of my data --------------------------------------------------------


def my_data() -> dict[str, Any]:
    """The shape `rights.my_data` returns (machine copy: UTC ISO times, codes, ids)."""
    at = NOW.isoformat()
    return {
        "person": {"pseudonym": "a" * 32, "name": "王先生", "mobile": "13800138000", "since": at},
        "consents": [{"receipt_id": "b" * 32, "scope": "phone", "office": "demo-office",
                      "office_name": "示范楼盘售楼处", "given_at": at, "withdrawn_at": None,
                      "receipt": {"consentReceiptID": "b" * 32, "services": [{"x": 1}]}}],
        "visits": [{"at": at, "office": "demo-office", "office_name": "示范楼盘售楼处",
                    "method": "phone", "evidence": {"otp": "c" * 24}}],
        "face_template": {"held": False, "since": None, "note": "encrypted"},
        "attribution_decisions": [{
            "signing": "d" * 24, "office": "demo-office", "office_name": "示范楼盘售楼处",
            "signed_at": at, "id_number": "110101********1234",
            "credited_to": {"kind": "distributor", "name": "星河分销"},
            "reason_codes": ["earliest_valid_registration"],
            "rule_trace": ["rules: valid 72 h", {"step": "x"}],
            "review": {"status": "final", "needed": False, "reviewed_at": at, "reason": None}}],
        "decisions_and_processing": [
            {"at": at, "action": "consent_given", "detail": {"scope": "phone"}},
            {"at": at, "action": "rights_verified", "detail": {"receipt": "b" * 32}},
            {"at": at, "action": "data_exported", "detail": {"kind": "export"}}],
        "requests": [{"id": "e" * 24, "kind": "export", "status": "done", "received_at": at,
                      "due_on": "2026-12-14"}],
    }


@pytest.mark.parametrize("lang", LANGS)
def test_the_readable_copy_is_in_words_and_beijing_time(lang: str) -> None:
    text = visible_text(page("my_data.html", lang, d=my_data()))
    assert "2026-11-28 10:05" in text  # 02:05:31.123456 UTC, to the minute
    assert "示范楼盘售楼处" in text and "demo-office" not in text
    assert machine_text(text) == {}
    words = catalog()[lang]
    for key in ("labels.event_consent_given", "labels.event_data_exported",
                "labels.scope_phone", "reasons.earliest_valid_registration",
                "print.face_not_held"):
        assert words[key] in text, key


def test_the_readable_copy_says_in_words_whether_a_template_is_held() -> None:
    data = my_data() | {"face_template": {"held": True, "since": NOW.isoformat(), "note": ""}}
    zh = visible_text(page("my_data.html", "zh-CN", d=data))
    assert "有：加密保存的人脸特征，自 2026-11-28 10:05 起" in zh
    assert "128" not in zh and "数值" not in zh
    none = visible_text(page("my_data.html", "zh-CN", d=my_data()))
    assert "没有：我们没有保存您的人脸特征" in none
