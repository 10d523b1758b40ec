"""One visitor's pass through the kiosk. Remembers a refusal so it is never asked again (C2), and
an "under 14" answer so no face step is offered again in the same visit (C5)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from keyuan.domain.errors import FaceDeclinedThisVisit, MinorNotEligible, SessionPersonMismatch


@dataclass(eq=False)
class KioskSession:
    id: str
    office_id: str
    started_at: datetime
    face_declined: bool = False
    person_id: str | None = None
    under_14: bool = False
    device_id: str | None = None
    """The paired tablet that opened it: only that device may continue it (None: opened
    without a device, by a service call of the CLI, a demo or a test)."""

    @classmethod
    def start(cls, *, office_id: str, now: datetime,
              device_id: str | None = None) -> KioskSession:
        return cls(id=secrets.token_hex(16), office_id=office_id, started_at=now,
                   device_id=device_id)

    def belongs_to(self, person_id: str, *, checked_in: bool) -> None:
        """A session serves one visitor: the first person it checks in (`checked_in`: a visit
        of the session's person was recorded in it). A later step names that same person only
        after verifying as them (a code for a number already on their record, a 1:1 match
        against their own template); anyone else is refused, so one session never joins two
        people into one record. Before any check-in (a face consent whose enrollment did not
        happen) the session may still turn out to be someone on file."""
        self.may_serve(person_id, checked_in=checked_in)
        self.person_id = person_id

    def may_serve(self, person_id: str, *, checked_in: bool) -> None:
        """`belongs_to`'s check without binding: the same answer for a claimed person on file
        and for a claim naming nobody (`person_id` then names no one), so a session that
        checked one visitor in cannot be used to test whether a mobile or receipt is known."""
        if self.person_id not in (None, person_id) and checked_in:
            raise SessionPersonMismatch()

    def decline_face(self) -> None:
        self.face_declined = True

    def answer_under_14(self) -> None:
        """The visitor said they are under 14: no face step in this visit, whatever comes next
        (a second tap with "14 or over" included)."""
        self.under_14 = True

    def require_face_offerable(self) -> None:
        if self.face_declined:
            raise FaceDeclinedThisVisit()
        if self.under_14:
            raise MinorNotEligible()
