"""The Aliyun SMS sender against a local HTTP server that checks every request as Alibaba
Cloud documents it (RPC signature v1.0, HMAC-SHA1; SendSms 2017-05-25) and answers as it does:
success, refusals, throttling, 5xx and timeouts, with bounded retries and nothing secret in
any log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from keyuan.adapters.clock import SystemClock
from keyuan.adapters.sms import aliyun
from keyuan.adapters.sms.aliyun import AliyunSender
from keyuan.adapters.sms.credentials import AccessKey
from keyuan.adapters.sms.gateway import Gateway
from keyuan.config.sms import SmsSettings
from keyuan.domain.errors import (
    SmsGatewayThrottled,
    SmsGatewayUnavailable,
    SmsNotDelivered,
    SmsNumberRefused,
)
from keyuan.domain.sms import CodeMessage, CodePurpose
from support.sms_gateways import ALIYUN_KEY_ID, ALIYUN_SECRET, FakeGateway, Step, fake_gateway

MOBILE, CODE = "13812345678", "482910"


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with fake_gateway("aliyun") as fake:
        yield fake


def sender_for(fake: FakeGateway, *, secret: str = ALIYUN_SECRET, **overrides: object
               ) -> AliyunSender:
    settings = SmsSettings(**{  # type: ignore[arg-type]
        "provider": "aliyun", "sign_name": "客源", "template_check_in": "SMS_471230001",
        "template_rights": "SMS_471230002", "endpoint": fake.base_url,
        "access_key_id": ALIYUN_KEY_ID, "access_key_secret": secret, "timeout_seconds": 0.5,
        "attempts": 3, "backoff_seconds": 0, **overrides})
    return AliyunSender(settings, AccessKey(ALIYUN_KEY_ID, secret), SystemClock(),
                        gateway=Gateway("aliyun", settings, sleep=lambda _: None))


def message(purpose: CodePurpose = CodePurpose.CHECK_IN) -> CodeMessage:
    return CodeMessage(purpose, MOBILE, CODE, 5)


# --- the documented worked examples (facts from Alibaba Cloud's pages; our code) ------------
def test_signature_reproduces_the_documented_sendsms_example() -> None:
    """"HTTP协议及签名" (help.aliyun.com/document_detail/56189): testId / testSecret → zJDF…"""
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
              "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou",
              "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
              "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
              "Version": "2017-05-25"}
    assert aliyun.signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_signature_reproduces_the_documented_voice_example() -> None:
    """The same page for the voice API (SingleCallByTts): → aMfgrx8DLS7vLfpeR1c2rrKLr0Q="""
    params = {"AccessKeyId": "testId", "Action": "SingleCallByTts",
              "CalledNumber": "13000000000", "CalledShowNumber": "057112345678",
              "Format": "XML", "OutId": "123", "RegionId": "cn-hangzhou",
              "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "f7d2d4ef-6d5f-4da4-86ed-88e001a66abb",
              "SignatureVersion": "1.0", "Timestamp": "2017-09-28T14:31:56Z",
              "TtsCode": "TTS_0000000", "TtsParam": '{"code":"1234","product":"test"}',
              "Version": "2017-05-25"}
    assert aliyun.signature("GET", params, "testSecret") == "aMfgrx8DLS7vLfpeR1c2rrKLr0Q="


def test_percent_encoding_follows_the_documented_rules() -> None:
    assert aliyun.percent_encode("a b*c~d+/") == "a%20b%2Ac~d%2B%2F"
    assert aliyun.percent_encode("客") == "%E5%AE%A2"
    assert aliyun.timestamp(datetime(2026, 12, 5, 8, 1, 2, tzinfo=UTC)) == "2026-12-05T08:01:02Z"


# --- against the local server ---------------------------------------------------------------
def test_a_code_goes_out_signed_as_documented(gateway: FakeGateway) -> None:
    accepted = sender_for(gateway).send(message())
    assert gateway.problems == []
    [request] = gateway.requests
    assert request["PhoneNumbers"] == MOBILE and request["SignName"] == "客源"
    assert request["TemplateCode"] == "SMS_471230001"
    assert json.loads(request["TemplateParam"]) == {"code": CODE}
    assert request["RegionId"] == "cn-hangzhou"
    assert accepted.provider == "aliyun" and accepted.attempts == 1
    assert accepted.request_id and accepted.message_id and "^" in accepted.message_id


def test_the_rights_code_uses_its_own_template_and_may_name_the_minutes(
        gateway: FakeGateway) -> None:
    sender_for(gateway, template_minutes=True).send(message(CodePurpose.RIGHTS))
    assert gateway.problems == []
    assert gateway.requests[-1]["TemplateCode"] == "SMS_471230002"
    assert json.loads(gateway.requests[-1]["TemplateParam"]) == {"code": CODE, "minutes": "5"}


def test_a_wrong_secret_is_refused_once_and_never_retried(gateway: FakeGateway) -> None:
    with pytest.raises(SmsNotDelivered) as refused:
        sender_for(gateway, secret="not-the-secret").send(message())
    assert type(refused.value) is SmsNotDelivered
    assert refused.value.code == "sms_gateway_refused" and refused.value.status == 502
    assert refused.value.provider_code == "SignatureDoesNotMatch"
    assert refused.value.attempts == 1 and gateway.problems == ["SignatureDoesNotMatch"]


def test_provider_throttling_is_a_clear_429_with_retry_after_and_no_retry(
        gateway: FakeGateway) -> None:
    gateway.script = [Step("error", code="isv.BUSINESS_LIMIT_CONTROL")]
    with pytest.raises(SmsGatewayThrottled) as throttled:
        sender_for(gateway, throttled_retry_after_seconds=120).send(message())
    assert throttled.value.code == "sms_gateway_throttled" and throttled.value.status == 429
    assert throttled.value.retry_after == 120 and throttled.value.attempts == 1
    assert throttled.value.request_id and gateway.script == [] and gateway.requests == []


def test_an_illegal_number_is_refused_as_such(gateway: FakeGateway) -> None:
    gateway.script = [Step("error", code="isv.MOBILE_NUMBER_ILLEGAL")]
    with pytest.raises(SmsNumberRefused) as refused:
        sender_for(gateway).send(message())
    assert refused.value.code == "sms_number_refused" and refused.value.status == 422


@pytest.mark.parametrize("code", ["isv.AMOUNT_NOT_ENOUGH", "isv.SMS_TEMPLATE_ILLEGAL",
                                  "isv.SMS_SIGNATURE_ILLEGAL"])
def test_account_problems_are_refusals_not_retried(gateway: FakeGateway, code: str) -> None:
    gateway.script = [Step("error", code=code)]
    with pytest.raises(SmsNotDelivered) as refused:
        sender_for(gateway).send(message())
    assert refused.value.provider_code == code and refused.value.attempts == 1
    assert code in refused.value.message


def test_a_5xx_and_a_system_error_are_retried_then_the_code_goes_out(
        gateway: FakeGateway) -> None:
    gateway.script = [Step("status", status=503), Step("error", status=200,
                                                       code="isp.SYSTEM_ERROR")]
    accepted = sender_for(gateway).send(message())
    assert accepted.attempts == 3 and len(gateway.requests) == 1 and gateway.problems == []


def test_timeouts_are_retried_a_bounded_number_of_times_then_a_clear_error(
        gateway: FakeGateway) -> None:
    gateway.script = [Step("sleep", seconds=1.5)] * 2
    with pytest.raises(SmsGatewayUnavailable) as unavailable:
        sender_for(gateway, attempts=2).send(message())
    failed = unavailable.value
    assert failed.code == "sms_gateway_unavailable" and failed.status == 503
    assert failed.provider_code == "timeout" and failed.attempts == 2
    assert "did not answer (2 attempts of up to 0.5 s: timeout)" in failed.message
    assert failed.retry_after is not None and failed.retry_after >= 30
    assert len(gateway.nonces) == 2  # each attempt signed afresh, never a replayed nonce


def test_an_unreachable_endpoint_is_unavailable_after_the_attempts() -> None:
    with fake_gateway("aliyun") as fake:
        base = fake.base_url
    sender = sender_for(FakeGateway(base), attempts=2)
    with pytest.raises(SmsGatewayUnavailable) as unavailable:
        sender.send(message())
    assert unavailable.value.provider_code.startswith("connection_error")


def test_no_secret_code_or_full_number_in_any_log(gateway: FakeGateway,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore too, at their most talkative
    gateway.script = [Step("status", status=500), Step("ok"),
                      Step("error", code="isv.BUSINESS_LIMIT_CONTROL"),
                      Step("sleep", seconds=1.5), Step("sleep", seconds=1.5)]
    sender = sender_for(gateway, attempts=2)
    sender.send(message())
    for _ in range(2):
        with pytest.raises(SmsNotDelivered):
            sender.send(message())
    with pytest.raises(SmsNotDelivered):
        sender_for(gateway, secret="wrong-secret-also-private").send(message())
    logged = caplog.text + "\n".join(gateway.log_lines)
    assert "retrying" in caplog.text and "POST / HTTP/1.1" in "\n".join(gateway.log_lines)
    for private in (ALIYUN_SECRET, "wrong-secret-also-private", ALIYUN_KEY_ID, CODE, MOBILE):
        assert private not in logged
    assert ALIYUN_SECRET not in repr(sender.__dict__) and CODE not in repr(message())
