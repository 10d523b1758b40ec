"""Alibaba Cloud SMS (阿里云短信服务): `SendSms` of dysmsapi, API version 2017-05-25, RPC style
with signature version 1.0 (HMAC-SHA1), as its "HTTP协议及签名" and signature-method pages
document:

1. every parameter but `Signature` — the common ones (`AccessKeyId`, `Action`, `Format`,
   `RegionId`, `SignatureMethod`, `SignatureNonce`, `SignatureVersion`, `Timestamp` in
   ISO 8601 UTC `yyyy-MM-ddTHH:mm:ssZ`, `Version`) and SendSms's (`PhoneNumbers`, `SignName`,
   `TemplateCode`, `TemplateParam` as JSON) — sorted by name;
2. names and values percent-encoded as UTF-8 (RFC 3986: A–Z a–z 0–9 `-_.~` kept, space `%20`,
   `*` `%2A`, upper-case hex) and joined `name=value` with `&` (the canonicalized query);
3. StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(canonicalized);
4. Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).

The request is a POST with the parameters as an `application/x-www-form-urlencoded` body (the
same encoding), so the number and the code are in no URL a proxy or access log could keep.
The answer is JSON: `Code` "OK" with `BizId` and `RequestId`, or an error `Code`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx

from keyuan.adapters.sms.credentials import AccessKey
from keyuan.adapters.sms.gateway import Gateway, Request, Transient, server_error
from keyuan.config.sms import SmsSettings
from keyuan.domain.errors import (
    SmsGatewayThrottled,
    SmsNotDelivered,
    SmsNumberRefused,
)
from keyuan.domain.sms import CodeMessage, CodePurpose, SmsAccepted
from keyuan.services.ports import Clock

log = logging.getLogger("keyuan.sms")

ACTION, VERSION = "SendSms", "2017-05-25"
THROTTLED = ("isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling")
NUMBER_REFUSED = ("isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT")
TRANSIENT = ("isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "ServiceUnavailable", "InternalError")


def percent_encode(text: str) -> str:
    """RFC 3986 over UTF-8: unreserved characters kept, everything else `%XY` upper-case."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char.isascii() and (char.isalnum() or char in "-_.~"):
            out.append(char)
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def canonicalized_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(name)}={percent_encode(params[name])}"
                    for name in sorted(params))


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def signature(method: str, params: Mapping[str, str], secret: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def timestamp(at: datetime) -> str:
    """ISO 8601 in UTC, as the common parameter `Timestamp` wants it."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AliyunSender:
    """`SendSms` to one mainland number per call (`PhoneNumbers`: 11 digits)."""

    provider, offline = "aliyun", False

    def __init__(self, settings: SmsSettings, key: AccessKey, clock: Clock, *,
                 gateway: Gateway | None = None,
                 nonce: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        self._settings, self._key, self._clock, self._nonce = settings, key, clock, nonce
        self._gateway = gateway or Gateway(self.provider, settings)

    def params(self, message: CodeMessage) -> dict[str, str]:
        """The request's parameters, `Signature` last (what the body carries)."""
        settings = self._settings
        template = (settings.template_check_in if message.purpose is CodePurpose.CHECK_IN
                    else settings.resolved_template_rights)
        values = {"code": message.code}
        if settings.template_minutes:
            values["minutes"] = str(message.ttl_minutes)
        params = {
            "AccessKeyId": self._key.key_id, "Action": ACTION, "Format": "JSON",
            "RegionId": settings.resolved_region, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self._nonce(), "SignatureVersion": "1.0",
            "Timestamp": timestamp(self._clock.now()), "Version": VERSION,
            "PhoneNumbers": message.mobile, "SignName": settings.sign_name or "",
            "TemplateCode": template or "",
            "TemplateParam": json.dumps(values, ensure_ascii=False, separators=(",", ":")),
        }
        params["Signature"] = signature("POST", params, self._key.secret)
        return params

    def send(self, message: CodeMessage) -> SmsAccepted:
        def build() -> Request:
            body = canonicalized_query(self.params(message))  # the same encoding, any order
            return Request(url=f"{self._settings.resolved_endpoint}/", body=body.encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Accept": "application/json"})

        return self._gateway.send(build, self._read)

    def _read(self, response: httpx.Response, attempt: int) -> SmsAccepted:
        try:
            answer = response.json()
            code, request_id = str(answer.get("Code", "")), answer.get("RequestId")
        except (ValueError, AttributeError):
            answer, code, request_id = {}, f"http_{response.status_code}", None
        if response.status_code == 200 and code == "OK":
            return SmsAccepted(provider=self.provider, request_id=request_id,
                               message_id=answer.get("BizId"), attempts=attempt)
        if code.startswith(THROTTLED):
            raise SmsGatewayThrottled(
                provider_code=code, request_id=request_id, attempts=attempt,
                retry_after=self._settings.throttled_retry_after_seconds)
        if code.startswith(TRANSIENT) or server_error(response):
            raise Transient(code, request_id)
        if code in NUMBER_REFUSED:
            raise SmsNumberRefused(provider_code=code, request_id=request_id, attempts=attempt)
        log.error("sms aliyun refused the message: %s (HTTP %d, request %s)", code,
                  response.status_code, request_id)
        raise SmsNotDelivered(f"The SMS service refused to send the code ({code}): the "
                              "office's SMS account needs attention. Please ask reception.",
                              provider_code=code, request_id=request_id, attempts=attempt)
