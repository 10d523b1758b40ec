"""短信验证码: what a one-time code message is, and what became of it at the gateway.

The code and the full number live only in the `CodeMessage` handed to the sender; a
`SmsDelivery` (what is stored and audited) holds the masked number, the provider's ids and
the outcome — never the code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from keyuan.domain.mobile import mask_mobile


class CodePurpose(StrEnum):
    CHECK_IN = "check_in"  # the kiosk's mobile path
    RIGHTS = "rights"  # the rights portal's access code


class DeliveryOutcome(StrEnum):
    ACCEPTED = "accepted"  # the provider took the message for the phone
    LEFT_FOR_STAFF = "left_for_staff"  # the outbox: reception reads it out (demo/offline)
    THROTTLED = "throttled"  # the provider limits this number or the account right now
    NUMBER_REFUSED = "number_refused"  # the provider will not send to this number
    REFUSED = "refused"  # credentials, signature, template or balance: the office must act
    UNAVAILABLE = "unavailable"  # no answer (timeouts, 5xx) after the bounded retries


@dataclass(frozen=True)
class CodeMessage:
    """One code for one number. `repr` shows neither (it may reach a log or a traceback)."""

    purpose: CodePurpose
    mobile: str = field(repr=False)
    code: str = field(repr=False)
    ttl_minutes: int

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    def text(self) -> str:
        """The full wording, for a sender that writes its own text (the outbox). A provider
        sends its approved template instead, with the code (and minutes) as parameters."""
        what = "到访验证码" if self.purpose is CodePurpose.CHECK_IN else "个人信息查询验证码"
        return f"【客源】{what} {self.code}，{self.ttl_minutes} 分钟内有效。"


@dataclass(frozen=True)
class SmsAccepted:
    """What a sender returns when the message left: the provider's request id and message
    id (Aliyun `RequestId`/`BizId`, Tencent `RequestId`/`SerialNo`) for later enquiries."""

    provider: str
    request_id: str | None = None
    message_id: str | None = None
    attempts: int = 1


@dataclass(frozen=True)
class SmsDelivery:
    """One send, as recorded (table `sms_deliveries`) and audited."""

    id: str
    at: datetime
    purpose: str
    provider: str
    masked_mobile: str
    outcome: str
    provider_code: str | None
    request_id: str | None
    message_id: str | None
    attempts: int
