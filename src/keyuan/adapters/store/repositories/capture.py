"""Capture records inside a unit of work (`uow.capture`): Core queries onto plain dataclasses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from keyuan.adapters.store.tables.capture import cameras, capture_hourly, office_signage
from keyuan.adapters.store.tables.checkin import visits
from keyuan.domain.capture.cameras import Camera, CameraProfile, Signage


def _camera(row: Row[Any]) -> Camera:
    return Camera(id=row.id, office_id=row.office_id, name=row.name, token_hash=row.token_hash,
                  enabled=row.enabled, created_at=row.created_at, lane=row.lane,
                  alternative=row.alternative, lane_confirmed_at=row.lane_confirmed_at,
                  lane_confirmed_by=row.lane_confirmed_by, profile=CameraProfile(row.profile),
                  picture_host=row.picture_host, sealed_credentials=row.sealed_credentials)


def _vendor(camera: Camera) -> dict[str, Any]:
    return {"profile": camera.profile.value, "picture_host": camera.picture_host,
            "sealed_credentials": camera.sealed_credentials}


def _lane(camera: Camera) -> dict[str, Any]:
    return {"lane": camera.lane, "alternative": camera.alternative,
            "lane_confirmed_at": camera.lane_confirmed_at,
            "lane_confirmed_by": camera.lane_confirmed_by}


class CaptureRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_camera(self, camera: Camera) -> None:
        self.session.execute(insert(cameras).values(
            id=camera.id, office_id=camera.office_id, name=camera.name,
            token_hash=camera.token_hash, enabled=camera.enabled, created_at=camera.created_at,
            **_lane(camera), **_vendor(camera)))

    def camera(self, camera_id: str) -> Camera | None:
        row = self.session.execute(select(cameras).where(cameras.c.id == camera_id)).first()
        return _camera(row) if row is not None else None

    def cameras(self, office_id: str | None = None) -> list[Camera]:
        query = select(cameras).order_by(cameras.c.created_at)
        if office_id is not None:
            query = query.where(cameras.c.office_id == office_id)
        return [_camera(row) for row in self.session.execute(query)]

    def set_enabled(self, camera_id: str, enabled: bool) -> None:
        self.session.execute(
            update(cameras).where(cameras.c.id == camera_id).values(enabled=enabled))

    def set_lane(self, camera: Camera) -> None:
        self.session.execute(
            update(cameras).where(cameras.c.id == camera.id).values(**_lane(camera)))

    def set_profile(self, camera: Camera) -> None:
        self.session.execute(
            update(cameras).where(cameras.c.id == camera.id).values(**_vendor(camera)))

    def signage(self, office_id: str) -> Signage | None:
        row = self.session.execute(
            select(office_signage).where(office_signage.c.office_id == office_id)).first()
        return Signage(**row._mapping) if row is not None else None

    def confirm_signage(self, signage: Signage) -> None:
        values = {"office_id": signage.office_id, "confirmed_at": signage.confirmed_at,
                  "confirmed_by": signage.confirmed_by}
        stmt = self._upsert(office_signage, values, ["office_id"],
                            {"confirmed_at": signage.confirmed_at,
                             "confirmed_by": signage.confirmed_by})
        self.session.execute(stmt)

    def count_anonymous(self, camera_id: str, hour: datetime, *, unmatched: int,
                        needs_review: int) -> None:
        """Add to the camera's hourly counters: numbers only, nothing about any face."""
        if not unmatched and not needs_review:
            return
        table = capture_hourly
        stmt = self._upsert(
            table, {"camera_id": camera_id, "hour": hour, "unmatched": unmatched,
                    "needs_review": needs_review}, ["camera_id", "hour"],
            {"unmatched": table.c.unmatched + unmatched,
             "needs_review": table.c.needs_review + needs_review})
        self.session.execute(stmt)

    def hourly(self, camera_id: str) -> list[tuple[datetime, int, int]]:
        rows = self.session.execute(
            select(capture_hourly.c.hour, capture_hourly.c.unmatched,
                   capture_hourly.c.needs_review)
            .where(capture_hourly.c.camera_id == camera_id).order_by(capture_hourly.c.hour))
        return [(hour, unmatched, review) for hour, unmatched, review in rows]

    def visits_near(self, person_id: str, office_id: str, start: datetime,
                    end: datetime) -> int:
        """Visits of this person at this office in [start, end], any method."""
        return int(self.session.execute(select(func.count()).select_from(visits).where(
            visits.c.person_id == person_id, visits.c.office_id == office_id,
            visits.c.at >= start, visits.c.at <= end)).scalar_one())

    def lock_person(self, person_id: str) -> None:
        """Serialise visit decisions for one person (PostgreSQL; SQLite has one writer anyway)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(7272005, hashtext(:p))"),
                                 {"p": person_id})

    def _upsert(self, table: Any, values: dict[str, Any], keys: list[str],
                changes: dict[str, Any]) -> Any:
        dialect = self.session.get_bind().dialect.name
        module: Any = postgresql if dialect == "postgresql" else sqlite
        return module.insert(table).values(**values).on_conflict_do_update(
            index_elements=keys, set_=changes)
