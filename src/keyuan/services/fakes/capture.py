"""Capture records (port in `domain/capture/repositories.py`) in memory. The real one is
`adapters/store/repositories/capture.py`."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from keyuan.domain.capture.cameras import Camera, Signage
from keyuan.services.fakes.store import Tables, insert_row


class FakeCaptureRecords:
    """Cameras and signage are frozen dataclasses: an update stores a replaced copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def add_camera(self, camera: Camera) -> None:
        insert_row(self._t.cameras, camera.id, camera)

    def camera(self, camera_id: str) -> Camera | None:
        return self._t.cameras.get(camera_id)

    def cameras(self, office_id: str | None = None) -> list[Camera]:
        found = [c for c in self._t.cameras.values() if office_id in (None, c.office_id)]
        return sorted(found, key=lambda c: c.created_at)

    def set_enabled(self, camera_id: str, enabled: bool) -> None:
        found = self._t.cameras.get(camera_id)
        if found is not None:
            self._t.cameras[camera_id] = dataclasses.replace(found, enabled=enabled)

    def set_lane(self, camera: Camera) -> None:
        found = self._t.cameras.get(camera.id)
        if found is not None:
            self._t.cameras[camera.id] = dataclasses.replace(
                found, lane=camera.lane, alternative=camera.alternative,
                lane_confirmed_at=camera.lane_confirmed_at,
                lane_confirmed_by=camera.lane_confirmed_by)

    def set_profile(self, camera: Camera) -> None:
        found = self._t.cameras.get(camera.id)
        if found is not None:
            self._t.cameras[camera.id] = dataclasses.replace(
                found, profile=camera.profile, picture_host=camera.picture_host,
                sealed_credentials=camera.sealed_credentials)

    def signage(self, office_id: str) -> Signage | None:
        return self._t.signage.get(office_id)

    def confirm_signage(self, signage: Signage) -> None:
        self._t.signage[signage.office_id] = signage

    def count_anonymous(self, camera_id: str, hour: datetime, *, unmatched: int,
                        needs_review: int) -> None:
        """Add to the camera's hourly counters: numbers only, nothing about any face."""
        if not unmatched and not needs_review:
            return
        old_unmatched, old_review = self._t.hourly.get((camera_id, hour), (0, 0))
        self._t.hourly[(camera_id, hour)] = (old_unmatched + unmatched, old_review + needs_review)

    def hourly(self, camera_id: str) -> list[tuple[datetime, int, int]]:
        return sorted((hour, unmatched, review) for (camera, hour), (unmatched, review)
                      in self._t.hourly.items() if camera == camera_id)

    def visits_near(self, person_id: str, office_id: str, start: datetime,
                    end: datetime) -> int:
        """Visits of this person at this office in [start, end], any method."""
        return sum(1 for v in self._t.visits.values() if v.person_id == person_id
                   and v.office_id == office_id and start <= v.at <= end)

    def lock_person(self, person_id: str) -> None:
        """Nothing to serialise: a fake store has one writer."""
