"""到访: a visit, with how it was established and the evidence behind it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class VisitMethod(StrEnum):
    FACE_KIOSK = "face_kiosk"
    PHONE = "phone"
    STAFF = "staff"  # 到访确认: reception confirmed a channel's escorted visit
    CAMERA = "camera"
    RECEPTION = "reception"  # 前台代登记: reception checked the visitor in by the mobile they
    # stated, after they read and agreed to the notice on the reception screen


class OnBehalfReason(StrEnum):
    """Why reception checked a visitor in on their behalf (kept in the visit's evidence)."""

    NO_PHONE = "no_phone"  # the visitor has no phone at hand
    SMS_UNAVAILABLE = "sms_unavailable"  # the SMS gateway did not deliver the kiosk's code


@dataclass(eq=False)
class Visit:
    """`person_id` is None for an escorted visit (到访确认): reception confirmed the channel's
    claim, `registration_id`, and nobody consented to be kept on file (PIPL 13, 14)."""

    id: str
    person_id: str | None
    office_id: str
    at: datetime
    method: VisitMethod
    evidence: dict[str, Any] = field(default_factory=dict)
    registration_id: str | None = None

    @classmethod
    def record(
        cls, *, person_id: str | None, office_id: str, at: datetime, method: VisitMethod,
        evidence: dict[str, Any], registration_id: str | None = None,
    ) -> Visit:
        return cls(
            id=secrets.token_hex(12), person_id=person_id, office_id=office_id, at=at,
            method=method, evidence=dict(evidence), registration_id=registration_id,
        )
