"""扫码带访 (QR escort): the agent's one-time pass that reception scans to confirm an escort.

An agent asks for a pass for one of its channel's registrations (报备); the pass is bound to that
registration, its office and the moment, and lives `PASS_MINUTES`. The agent's phone shows it
twice: as a QR code carrying the signed token (`KYE1.<pass>.<expires>.<signature>`) and as a
short code (`XXXX-XXXX`, 40 bits, stored only as a keyed hash) to type when the camera fails.
Reception's scan confirms the visit through the one 到访确认 (`registration.confirm_visit`'s
core) and uses the pass up: a second scan is a replay.

The signature is an HMAC under the installation secret (`Hasher.seal`), over the pass id, the
registration, the office and the expiry, so a token altered in any of them, or made up, is
refused before anything is confirmed. Pure: no clock, no store."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from keyuan.domain.attribution.registration import AttributionRules, Registration
from keyuan.domain.checkin.receipt_code import ALPHABET
from keyuan.domain.errors import (
    EscortCodeUnknown,
    EscortPassExpired,
    EscortPassForged,
    EscortPassOtherOffice,
    EscortPassUsed,
    EscortRegistrationInvalid,
)

PASS_MINUTES = 5
"""How long a pass may be scanned after it is shown (the agent asks again after that)."""
TOKEN_PREFIX = "KYE1"
CODE_LENGTH = 8
_TOKEN = re.compile(r"KYE1\.([0-9a-f]{24})\.([0-9]{10})\.([0-9a-f]{32})")
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_SEPARATORS = str.maketrans("", "", " -_.\u00b7\u2010\u2011\u2012\u2013\u2014\u2212")


class EscortVia(StrEnum):
    """How reception took the pass: the camera read the QR code, or the short code was typed."""

    QR = "qr"
    CODE = "code"


@dataclass(frozen=True)
class SignedToken:
    """What a QR code carries, read but not yet checked against its pass."""

    pass_id: str
    expires: int  # epoch seconds
    signature: str


@dataclass(eq=False)
class EscortPass:
    """带访码: one registration, one office, one moment; used once."""

    id: str
    registration_id: str
    office_id: str
    channel_id: str
    agent_id: str | None
    issued_by: str
    issued_at: datetime
    expires_at: datetime
    code_hash: str
    used_at: datetime | None = None
    used_by: str | None = None
    visit_id: str | None = None

    @classmethod
    def issue(cls, *, registration: Registration, issued_by: str, now: datetime,
              code_hash: str) -> EscortPass:
        expires = (now + timedelta(minutes=PASS_MINUTES)).replace(microsecond=0)
        return cls(id=secrets.token_hex(12), registration_id=registration.id,
                   office_id=registration.office_id, channel_id=registration.channel_id,
                   agent_id=registration.agent_id, issued_by=issued_by, issued_at=now,
                   expires_at=expires, code_hash=code_hash)

    @property
    def expires_epoch(self) -> int:
        return int(self.expires_at.timestamp())

    def binding(self) -> str:
        """What the signature covers: the pass, its registration, its office and its expiry."""
        return f"{self.id}|{self.registration_id}|{self.office_id}|{self.expires_epoch}"

    def token(self, signature: str) -> str:
        return f"{TOKEN_PREFIX}.{self.id}.{self.expires_epoch}.{signature}"

    def require_usable(self, *, office_id: str, now: datetime) -> None:
        """Another office's pass, a used pass (replay), an expired pass: refused, in that
        order (a replay is named as such even after the pass has expired)."""
        if self.office_id != office_id:
            raise EscortPassOtherOffice()
        if self.used_at is not None:
            raise EscortPassUsed(used_at=self.used_at.isoformat())
        if now >= self.expires_at:
            raise EscortPassExpired(expired_at=self.expires_at.isoformat())

    def use(self, *, now: datetime, by: str, visit_id: str) -> None:
        self.used_at, self.used_by, self.visit_id = now, by, visit_id


def read_token(text: str) -> SignedToken:
    """The QR code's text → its parts; anything else is not a pass (`EscortPassForged`)."""
    found = _TOKEN.fullmatch((text or "").strip())
    if found is None:
        raise EscortPassForged()
    return SignedToken(found.group(1), int(found.group(2)), found.group(3))


def check_token(token: SignedToken, found: EscortPass | None, signature: str) -> EscortPass:
    """The pass the token names, if the token is the one signed for it: `signature` is the
    seal recomputed over the stored pass's binding. A made-up id or an altered part is forged."""
    if (found is None or token.expires != found.expires_epoch
            or not hmac.compare_digest(token.signature, signature)):  # no timing leak
        raise EscortPassForged()
    return found


def new_code() -> str:
    """A fresh short code in its stored form (eight symbols, no dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """`XXXX-XXXX`, as the agent's phone shows it."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def parse_code(text: str) -> str:
    """What reception typed → the stored form (any case, dashes, spaces, full-width; I/L read
    as 1, O as 0); `EscortCodeUnknown` when it cannot be a code."""
    plain = unicodedata.normalize("NFKC", text or "").upper().translate(_SEPARATORS)
    plain = plain.translate(_READ_AS)
    if len(plain) != CODE_LENGTH or any(c not in ALPHABET for c in plain):
        raise EscortCodeUnknown()
    return plain


def require_escortable(registration: Registration, rules: AttributionRules, *, now: datetime,
                       channel_active: bool, confirmed: bool) -> None:
    """A pass is shown, and scanned, only for a registration that an escorted visit can still
    validate: within its registration window (报备有效期), not marked at registration, its
    channel active and its visit not yet confirmed."""
    if confirmed:
        reason = "confirmed"
    elif registration.conflict is not None:
        reason = "marked"
    elif not channel_active:
        reason = "channel_inactive"
    elif now > registration.created_at + rules.registration_valid:
        reason = "expired"
    else:
        return
    raise EscortRegistrationInvalid(reason=reason)


@dataclass(frozen=True)
class EscortFact:
    """What a visit's evidence says of its escort (`evidence["escort"]`, written by the 到访确认
    a pass confirmed): for the signing desk's evidence and the rule trace, in words."""

    visit_id: str
    via: str  # EscortVia
    agent: str  # the account that showed the pass
    agent_name: str
    shown_at: str  # when the pass was issued (ISO)
    confirmed_by: str

    @classmethod
    def of(cls, visit_id: str, evidence: Mapping[str, object]) -> EscortFact | None:
        escort = evidence.get("escort")
        if not isinstance(escort, dict):
            return None
        return cls(visit_id=visit_id, via=str(escort.get("via", "")),
                   agent=str(escort.get("agent", "")), agent_name=str(escort.get("agent_name", "")),
                   shown_at=str(escort.get("issued_at", "")),
                   confirmed_by=str(evidence.get("confirmed_by", "")))

    def trace_line(self) -> str:
        who = f"{self.agent} ({self.agent_name})" if self.agent_name else self.agent
        how = "QR code scanned" if self.via == EscortVia.QR else "code typed"
        return (f"visit {self.visit_id}: 扫码带访 (QR escort) — pass shown by agent {who} at "
                f"{self.shown_at}, {how} by {self.confirmed_by}")


def with_escort_lines(trace: Sequence[str], facts: Sequence[EscortFact]) -> tuple[str, ...]:
    """The decision's trace with a line per escorted visit it cites, before its last line (the
    decision itself)."""
    if not facts or not trace:
        return tuple(trace)
    return (*trace[:-1], *(f.trace_line() for f in facts), trace[-1])
