"""Tencent Cloud SMS (腾讯云短信): `SendSms` of sms.tencentcloudapi.com, API version 2021-01-11,
signed with TC3-HMAC-SHA256 as "签名方法 v3" documents it:

1. CanonicalRequest = method \\n URI "/" \\n query "" \\n canonical headers (each `key:value\\n`,
   key and value lower-cased and trimmed, sorted by key) \\n signed header names (`;`-joined)
   \\n lowercase hex SHA-256 of the body;
2. StringToSign = "TC3-HMAC-SHA256" \\n timestamp \\n `<UTC date>/sms/tc3_request` \\n
   lowercase hex SHA-256 of the CanonicalRequest;
3. SecretDate = HMAC-SHA256("TC3" + SecretKey, date), SecretService = HMAC-SHA256(SecretDate,
   "sms"), SecretSigning = HMAC-SHA256(SecretService, "tc3_request"), Signature = hex
   HMAC-SHA256(SecretSigning, StringToSign);
4. Authorization = "TC3-HMAC-SHA256 Credential=<SecretId>/<scope>, SignedHeaders=…,
   Signature=…", sent with X-TC-Action, X-TC-Version, X-TC-Timestamp and X-TC-Region.

The body is JSON: PhoneNumberSet ["+86…"], SmsSdkAppId, SignName, TemplateId, TemplateParamSet.
The answer is `{"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": …}], "RequestId": …}}`
or `{"Response": {"Error": {"Code": …}, "RequestId": …}}` (HTTP 200 either way)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from keyuan.adapters.sms.credentials import AccessKey
from keyuan.adapters.sms.gateway import Gateway, Request, Transient, server_error
from keyuan.config.sms import SmsSettings
from keyuan.domain.errors import SmsGatewayThrottled, SmsNotDelivered, SmsNumberRefused
from keyuan.domain.sms import CodeMessage, CodePurpose, SmsAccepted
from keyuan.services.ports import Clock

log = logging.getLogger("keyuan.sms")

SERVICE, ACTION, VERSION = "sms", "SendSms", "2021-01-11"
ALGORITHM, CONTENT_TYPE = "TC3-HMAC-SHA256", "application/json; charset=utf-8"
SIGNED_HEADERS = ("content-type", "host", "x-tc-action")
NUMBER_REFUSED = ("InvalidParameterValue.IncorrectPhoneNumber",
                  "FailedOperation.PhoneNumberInBlacklist")
BEIJING = timezone(timedelta(hours=8))  # daily limits reset at midnight in China (no DST)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_request(headers: Mapping[str, str], signed: Sequence[str], payload: bytes) -> str:
    lowered = {name.lower().strip(): value.lower().strip() for name, value in headers.items()}
    names = sorted(name.lower() for name in signed)
    canonical_headers = "".join(f"{name}:{lowered[name]}\n" for name in names)
    return f"POST\n/\n\n{canonical_headers}\n{';'.join(names)}\n{sha256_hex(payload)}"


def credential_scope(timestamp: int, service: str) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    return f"{date}/{service}/tc3_request"


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    scope = credential_scope(timestamp, service)
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{sha256_hex(canonical.encode())}"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signature(secret_key: str, timestamp: int, service: str, to_sign: str) -> str:
    date = credential_scope(timestamp, service).split("/")[0]
    signing = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(key: AccessKey, timestamp: int, service: str, headers: Mapping[str, str],
                  signed: Sequence[str], payload: bytes) -> str:
    to_sign = string_to_sign(timestamp, service, canonical_request(headers, signed, payload))
    return (f"{ALGORITHM} Credential={key.key_id}/{credential_scope(timestamp, service)}, "
            f"SignedHeaders={';'.join(sorted(s.lower() for s in signed))}, "
            f"Signature={signature(key.secret, timestamp, service, to_sign)}")


class TencentSender:
    """`SendSms` to one mainland number per call (`+86` and the 11 digits)."""

    provider, offline = "tencent", False

    def __init__(self, settings: SmsSettings, key: AccessKey, clock: Clock, *,
                 gateway: Gateway | None = None) -> None:
        self._settings, self._key, self._clock = settings, key, clock
        self._gateway = gateway or Gateway(self.provider, settings)

    def body(self, message: CodeMessage) -> bytes:
        settings = self._settings
        template = (settings.template_check_in if message.purpose is CodePurpose.CHECK_IN
                    else settings.resolved_template_rights)
        params = [message.code, *([str(message.ttl_minutes)] if settings.template_minutes
                                  else [])]
        return json.dumps({
            "PhoneNumberSet": [f"+86{message.mobile}"], "SmsSdkAppId": settings.app_id,
            "SignName": settings.sign_name, "TemplateId": template, "TemplateParamSet": params,
        }, ensure_ascii=False, separators=(",", ":")).encode()

    def request(self, message: CodeMessage) -> Request:
        url = f"{self._settings.resolved_endpoint}/"
        payload, now = self.body(message), int(self._clock.now().timestamp())
        headers = {"Content-Type": CONTENT_TYPE,
                   "Host": httpx.URL(url).netloc.decode("ascii"),
                   "X-TC-Action": ACTION, "X-TC-Version": VERSION, "X-TC-Timestamp": str(now),
                   "X-TC-Region": self._settings.resolved_region}
        headers["Authorization"] = authorization(self._key, now, SERVICE, headers,
                                                 SIGNED_HEADERS, payload)
        return Request(url=url, body=payload, headers=headers)

    def send(self, message: CodeMessage) -> SmsAccepted:
        return self._gateway.send(lambda: self.request(message), self._read)

    def _read(self, response: httpx.Response, attempt: int) -> SmsAccepted:
        try:
            answer: dict[str, Any] = response.json()["Response"]
            request_id = answer.get("RequestId")
            error = answer.get("Error")
            status = {} if error else answer["SendStatusSet"][0]
            code = str((error or status).get("Code", ""))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            if server_error(response):
                raise Transient(f"http_{response.status_code}") from None
            answer, request_id, code, status = {}, None, f"http_{response.status_code}", {}
        if response.status_code == 200 and code == "Ok":
            return SmsAccepted(provider=self.provider, request_id=request_id,
                               message_id=status.get("SerialNo"), attempts=attempt)
        if code.startswith(("LimitExceeded", "RequestLimitExceeded")):
            raise SmsGatewayThrottled(provider_code=code, request_id=request_id,
                                      attempts=attempt, retry_after=self._retry_after(code))
        if code.startswith("InternalError") or server_error(response):
            raise Transient(code, request_id)
        if code in NUMBER_REFUSED:
            raise SmsNumberRefused(provider_code=code, request_id=request_id, attempts=attempt)
        log.error("sms tencent refused the message: %s (HTTP %d, request %s)", code,
                  response.status_code, request_id)
        raise SmsNotDelivered(f"The SMS service refused to send the code ({code}): the "
                              "office's SMS account needs attention. Please ask reception.",
                              provider_code=code, request_id=request_id, attempts=attempt)

    def _retry_after(self, code: str) -> int:
        """How long the provider's own limit lasts, where its code says so."""
        if code.endswith("ThirtySecondLimit"):
            return 30
        if code.endswith("OneHourLimit"):
            return 3600
        if code.endswith("DailyLimit"):
            return until_beijing_midnight(self._clock.now())
        return self._settings.throttled_retry_after_seconds


def until_beijing_midnight(now: datetime) -> int:
    """Seconds until a daily limit resets (midnight in China), at least a minute."""
    local = now.astimezone(BEIJING)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60, int((midnight - local).total_seconds()))
