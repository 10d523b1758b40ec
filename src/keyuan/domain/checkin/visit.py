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
    STAFF = "staff"
    CAMERA = "camera"


@dataclass(eq=False)
class Visit:
    id: str
    person_id: str
    office_id: str
    at: datetime
    method: VisitMethod
    evidence: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def record(
        cls, *, person_id: str, office_id: str, at: datetime, method: VisitMethod,
        evidence: dict[str, Any],
    ) -> Visit:
        return cls(
            id=secrets.token_hex(12), person_id=person_id, office_id=office_id, at=at,
            method=method, evidence=dict(evidence),
        )
