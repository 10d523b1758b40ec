"""What capture needs of a store, as a port. The real one is
`adapters/store/repositories/capture.py` (`uow.capture`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from keyuan.domain.capture.cameras import Camera, Signage


class CaptureRecords(Protocol):
    """Cameras (token as a keyed hash only), each office's confirmed signage, and anonymous
    hourly counts: numbers only, nothing about any face (C11)."""

    def add_camera(self, camera: Camera) -> None: ...

    def camera(self, camera_id: str) -> Camera | None: ...

    def cameras(self, office_id: str | None = None) -> list[Camera]: ...

    def set_enabled(self, camera_id: str, enabled: bool) -> None: ...

    def set_lane(self, camera: Camera) -> None:
        """Store the camera's lane, alternative route and the office's confirmation of them."""

    def signage(self, office_id: str) -> Signage | None: ...

    def confirm_signage(self, signage: Signage) -> None: ...

    def set_profile(self, camera: Camera) -> None:
        """Store the camera's push profile, picture host and sealed credentials."""

    def count_anonymous(self, camera_id: str, hour: datetime, *, unmatched: int,
                        needs_review: int) -> None:
        """Add to the camera's hourly counters: numbers only, nothing about any face."""

    def hourly(self, camera_id: str) -> list[tuple[datetime, int, int]]: ...

    def visits_near(self, person_id: str, office_id: str, start: datetime,
                    end: datetime) -> int:
        """Visits of this person at this office in [start, end], any method."""

    def lock_person(self, person_id: str) -> None:
        """Serialise visit decisions for one person (PostgreSQL; SQLite has one writer anyway)."""
