"""The Tencent Cloud SMS sender against a local HTTP server that checks every request as Tencent
Cloud documents it (API 3.0, TC3-HMAC-SHA256; SendSms 2021-01-11): headers, body, signature,
and its answers — success, per-number limits, request errors, 5xx and timeouts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from keyuan.adapters.clock import SystemClock
from keyuan.adapters.sms import tencent
from keyuan.adapters.sms.credentials import AccessKey
from keyuan.adapters.sms.gateway import Gateway
from keyuan.adapters.sms.tencent import TencentSender
from keyuan.config.sms import SmsSettings
from keyuan.domain.errors import (
    SmsGatewayThrottled,
    SmsGatewayUnavailable,
    SmsNotDelivered,
    SmsNumberRefused,
)
from keyuan.domain.sms import CodeMessage, CodePurpose
from support.sms_gateways import TENCENT_KEY_ID, TENCENT_SECRET, FakeGateway, Step, fake_gateway

MOBILE, CODE = "13812345678", "705316"


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with fake_gateway("tencent") as fake:
        yield fake


def sender_for(fake: FakeGateway, *, secret: str = TENCENT_SECRET,
               **overrides: object) -> TencentSender:
    settings = SmsSettings(**{  # type: ignore[arg-type]
        "provider": "tencent", "sign_name": "客源", "template_check_in": "2234567",
        "template_rights": "2234568", "app_id": "1400006666", "endpoint": fake.base_url,
        "access_key_id": TENCENT_KEY_ID, "access_key_secret": secret, "timeout_seconds": 0.5,
        "attempts": 3, "backoff_seconds": 0, **overrides})
    return TencentSender(settings, AccessKey(TENCENT_KEY_ID, secret), SystemClock(),
                         gateway=Gateway("tencent", settings, sleep=lambda _: None))


def message(purpose: CodePurpose = CodePurpose.CHECK_IN) -> CodeMessage:
    return CodeMessage(purpose, MOBILE, CODE, 5)


def test_signing_reproduces_the_documented_worked_example() -> None:
    """"签名方法 v3": DescribeInstances of CVM, SecretId AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE,
    timestamp 1551113065 → CanonicalRequest hash 5ffe6a04…, Signature 72e494ea…"""
    payload = (b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], '
               b'"Name": "instance-name"}]}')
    headers = {"Content-Type": "application/json; charset=utf-8",
               "Host": "cvm.tencentcloudapi.com"}
    canonical = tencent.canonical_request(headers, ("content-type", "host"), payload)
    assert tencent.sha256_hex(payload) == \
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    assert tencent.sha256_hex(canonical.encode()) == \
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    key = AccessKey("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE")
    assert tencent.authorization(key, 1551113065, "cvm", headers, ("content-type", "host"),
                                 payload) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, Signature="
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")


def test_a_code_goes_out_signed_as_documented(gateway: FakeGateway) -> None:
    accepted = sender_for(gateway).send(message())
    assert gateway.problems == []
    [request] = gateway.requests
    assert request["PhoneNumberSet"] == [f"+86{MOBILE}"] and request["SmsSdkAppId"] == "1400006666"
    assert (request["SignName"], request["TemplateId"]) == ("客源", "2234567")
    assert request["TemplateParamSet"] == [CODE]
    assert accepted.provider == "tencent" and accepted.request_id
    assert accepted.message_id and accepted.message_id.startswith("2028:")


def test_the_rights_template_and_the_minutes(gateway: FakeGateway) -> None:
    sender_for(gateway, template_minutes=True).send(message(CodePurpose.RIGHTS))
    assert gateway.problems == []
    assert gateway.requests[-1]["TemplateId"] == "2234568"
    assert gateway.requests[-1]["TemplateParamSet"] == [CODE, "5"]


def test_a_wrong_secret_is_refused_once(gateway: FakeGateway) -> None:
    with pytest.raises(SmsNotDelivered) as refused:
        sender_for(gateway, secret="not-the-secret-key").send(message())
    assert type(refused.value) is SmsNotDelivered and refused.value.status == 502
    assert refused.value.provider_code == "AuthFailure.SignatureFailure"
    assert refused.value.attempts == 1 and gateway.problems == ["AuthFailure.SignatureFailure"]


@pytest.mark.parametrize(("code", "retry_after"), [
    ("LimitExceeded.PhoneNumberThirtySecondLimit", 30),
    ("LimitExceeded.PhoneNumberOneHourLimit", 3600),
    ("LimitExceeded.PhoneNumberDailyLimit", None),  # until midnight in Beijing
    ("LimitExceeded.DeliveryFrequencyLimit", 60)])
def test_per_number_limits_are_throttling_with_their_retry_after(
        gateway: FakeGateway, code: str, retry_after: int | None) -> None:
    gateway.script = [Step("status_code", code=code)]
    before = tencent.until_beijing_midnight(datetime.now(UTC))
    with pytest.raises(SmsGatewayThrottled) as throttled:
        sender_for(gateway).send(message())
    assert throttled.value.status == 429 and throttled.value.attempts == 1
    assert throttled.value.provider_code == code and gateway.problems == []
    if retry_after is None:
        assert before - 60 <= (throttled.value.retry_after or 0) <= before
    else:
        assert throttled.value.retry_after == retry_after


def test_a_daily_limit_lasts_until_midnight_in_beijing() -> None:
    assert tencent.until_beijing_midnight(datetime(2026, 12, 5, 10, 0, tzinfo=UTC)) == 6 * 3600
    assert tencent.until_beijing_midnight(datetime(2026, 12, 5, 15, 59, 30, tzinfo=UTC)) == 60


def test_request_frequency_limits_are_throttling_too(gateway: FakeGateway) -> None:
    gateway.script = [Step("error", code="RequestLimitExceeded")]
    with pytest.raises(SmsGatewayThrottled):
        sender_for(gateway).send(message())


def test_a_blacklisted_or_wrong_number_is_refused_as_such(gateway: FakeGateway) -> None:
    gateway.script = [Step("status_code", code="InvalidParameterValue.IncorrectPhoneNumber")]
    with pytest.raises(SmsNumberRefused):
        sender_for(gateway).send(message())


def test_internal_errors_and_5xx_are_retried(gateway: FakeGateway) -> None:
    gateway.script = [Step("error", code="InternalError"), Step("status", status=502)]
    accepted = sender_for(gateway).send(message())
    assert accepted.attempts == 3 and gateway.problems == []


def test_timeouts_are_bounded_and_clear(gateway: FakeGateway,
                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    gateway.script = [Step("sleep", seconds=1.5)] * 3
    with pytest.raises(SmsGatewayUnavailable) as unavailable:
        sender_for(gateway).send(message())
    assert unavailable.value.attempts == 3 and unavailable.value.provider_code == "timeout"
    assert "did not answer (3 attempts of up to 0.5 s: timeout)" in unavailable.value.message
    logged = caplog.text + "\n".join(gateway.log_lines)
    for private in (TENCENT_SECRET, TENCENT_KEY_ID, CODE, MOBILE):
        assert private not in logged


def test_the_region_header_follows_the_settings(gateway: FakeGateway) -> None:
    gateway.region = "ap-beijing"
    sender_for(gateway, region="ap-beijing").send(message())
    assert gateway.problems == [] and json.dumps(gateway.requests)
