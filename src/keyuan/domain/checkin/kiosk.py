"""One visitor's pass through the kiosk. Remembers a refusal so it is never asked again (C2)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from keyuan.domain.errors import FaceDeclinedThisVisit


@dataclass(eq=False)
class KioskSession:
    id: str
    office_id: str
    started_at: datetime
    face_declined: bool = False
    person_id: str | None = None

    @classmethod
    def start(cls, *, office_id: str, now: datetime) -> KioskSession:
        return cls(id=secrets.token_hex(16), office_id=office_id, started_at=now)

    def decline_face(self) -> None:
        self.face_declined = True

    def require_face_offerable(self) -> None:
        if self.face_declined:
            raise FaceDeclinedThisVisit()
