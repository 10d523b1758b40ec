"""Where one-time codes go (`KEYUAN_SMS__<FIELD>`): a real SMS provider — Alibaba Cloud SMS
(阿里云短信服务) or Tencent Cloud SMS (腾讯云短信) — or the outbox, the demo/offline sender
whose codes reception reads out (so a code proves nothing about who holds the number).

The access key comes from `KEYUAN_SMS__ACCESS_KEY_ID` / `KEYUAN_SMS__ACCESS_KEY_SECRET` or from
`credentials_file` (mode 0600; a group- or world-readable file is refused). Neither is ever
logged or shown (`SecretStr`)."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

DEFAULT_ENDPOINTS = {"aliyun": "https://dysmsapi.aliyuncs.com",
                     "tencent": "https://sms.tencentcloudapi.com"}
DEFAULT_REGIONS = {"aliyun": "cn-hangzhou", "tencent": "ap-guangzhou"}


class SmsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["outbox", "aliyun", "tencent"] = Field(
        "outbox", description="'aliyun' (SendSms, 2017-05-25) or 'tencent' (SendSms, "
        "2021-01-11) send codes to the phone. 'outbox' leaves them for reception to read out: "
        "the demo/offline sender, labelled on the kiosk; in production it needs `offline`.")
    offline: bool = Field(
        False, description="Acknowledge the outbox in production: an office without an SMS "
        "contract (or offline) whose reception reads codes out. Without it, production refuses "
        "the outbox; elsewhere `serve` warns.")
    sign_name: str | None = Field(
        None, min_length=1, max_length=40,
        description="The approved SMS signature (短信签名), e.g. 客源. Required for a provider.")
    template_check_in: str | None = Field(
        None, min_length=1, max_length=64,
        description="The approved template of the kiosk's check-in code: Aliyun TemplateCode "
        "(SMS_…) or Tencent TemplateId. Aliyun gets `{\"code\": …}`; Tencent `[code]`.")
    template_rights: str | None = Field(
        None, min_length=1, max_length=64,
        description="The template of the rights portal's access code (default: the check-in "
        "template).")
    template_minutes: bool = Field(
        False, description="Also pass the validity in minutes: Aliyun `${minutes}`, Tencent "
        "the second parameter `{2}`. Only if the approved template has that variable.")
    app_id: str | None = Field(
        None, min_length=1, max_length=32,
        description="Tencent only: the SmsSdkAppId of the SMS application (e.g. 1400006666).")
    region: str | None = Field(
        None, pattern=r"^[a-z0-9-]{2,32}$",
        description="Aliyun RegionId (default cn-hangzhou) or Tencent X-TC-Region (default "
        "ap-guangzhou).")
    endpoint: str | None = Field(
        None, max_length=200,
        description="Base URL of the provider's API (default https://dysmsapi.aliyuncs.com or "
        "https://sms.tencentcloudapi.com). https only, except to a loopback address (tests).")
    access_key_id: SecretStr | None = Field(
        None, description="AccessKey ID (Aliyun) or SecretId (Tencent); or `credentials_file`.")
    access_key_secret: SecretStr | None = Field(
        None, description="AccessKey secret (Aliyun) or SecretKey (Tencent); or "
        "`credentials_file`.")
    credentials_file: Path | None = Field(
        None, description="A file of two lines `access_key_id=…` and `access_key_secret=…`, "
        "mode 0600 (refused when group- or world-readable). Instead of the two variables.")
    timeout_seconds: float = Field(
        5.0, ge=0.5, le=30, description="Per attempt: connecting and waiting for the answer.")
    attempts: int = Field(
        3, ge=1, le=5, description="Tries on a transient failure (timeout, connection error, "
        "5xx, provider system error); never on a refusal or throttling.")
    backoff_seconds: float = Field(
        0.5, ge=0, le=10, description="Wait before the second try; doubled before each next.")
    throttled_retry_after_seconds: int = Field(
        60, ge=1, le=86400, description="Retry-After sent to the kiosk when the provider "
        "throttles without saying for how long.")

    @field_validator("endpoint")
    @classmethod
    def _https_or_loopback(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError("must be an http(s) base URL without a query")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("must be https (plain http only to a loopback address)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _provider_complete(self) -> SmsSettings:
        if self.provider == "outbox":
            return self
        missing = [name for name in ("sign_name", "template_check_in") if not getattr(self, name)]
        if self.provider == "tencent" and not self.app_id:
            missing.append("app_id")
        if missing:
            raise ValueError(f"sms.provider {self.provider} needs sms.{', sms.'.join(missing)}")
        given = (self.access_key_id is not None, self.access_key_secret is not None)
        if self.credentials_file is not None and any(given):
            raise ValueError("set either sms.credentials_file or the access key variables, "
                             "not both")
        if self.credentials_file is None and not all(given):
            raise ValueError(f"sms.provider {self.provider} needs KEYUAN_SMS__ACCESS_KEY_ID and "
                             "KEYUAN_SMS__ACCESS_KEY_SECRET, or sms.credentials_file")
        return self

    @property
    def resolved_endpoint(self) -> str:
        return self.endpoint or DEFAULT_ENDPOINTS[self.provider]

    @property
    def resolved_region(self) -> str:
        return self.region or DEFAULT_REGIONS[self.provider]

    @property
    def resolved_template_rights(self) -> str | None:
        return self.template_rights or self.template_check_in


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
