"""The camera lane's liveness (issue 18) with the real dlib engine, YuNet's landmarks and real
public photos, on SQLite and PostgreSQL: a still photo of an enrolled person pushed again and
again — as it is, or moved, turned and re-encoded — records no visit and is counted
`not_live`; distinct photos of the person with a camera's capture times record exactly one.
For a person of the mixed set and one of the East Asian set; the worker-process path too."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.config.face import FaceSettings
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.services.capture import service
from keyuan.services.checkin import face as face_service
from keyuan.services.compliance import notices
from support.cameras import lane_camera
from support.pia import record_office_pia
from support.sequences import identity_photos, photo_shots, warped_shots

from .conftest import Kiosk

MIXED = "df_id01"
EAST_ASIAN = "Jiang_Zemin"


@dataclass
class Lane:
    kiosk: Kiosk
    rt: CaptureRuntime
    camera: Any
    person: str = ""
    pushed: int = 0

    def enroll(self, photos: list[Path]) -> None:
        """Enrolled at the kiosk from three distinct photos; the kiosk visit's window then
        passes, so the camera's visit is a visit of its own."""
        session, notice = self.kiosk.start()
        consent = self.kiosk.consent_face(session.id, notice.content_hash)
        face_service.enroll_face(face_service.EnrollCmd(
            session.id, consent.id, **photo_shots(photos, n=3).cmd()), self.kiosk.deps)
        self.person = consent.person_id
        self.kiosk.clock.advance(hours=3)

    def push(self, frame: bytes, seconds: float) -> service.Outcome:
        """One capture as a camera pushes it, `seconds` after now by the camera's clock."""
        self.pushed += 1
        opened = service.open_camera(self.rt, self.camera.id)
        at = self.kiosk.clock.now() + timedelta(seconds=seconds)
        return service.push(self.rt, opened, "image/jpeg", frame, at.isoformat(),
                            time.perf_counter())

    def visits(self) -> list[Any]:
        with self.kiosk.deps.uow() as uow:
            return [v for v in uow.visits.for_person(self.person)
                    if v.method is VisitMethod.CAMERA]


def open_lane(kiosk: Kiosk, workers: int = 0) -> Lane:
    capture = kiosk.settings.capture.model_copy(update={"workers": workers})
    rt = CaptureRuntime.build(kiosk.deps, capture, kiosk.settings.secret_key)
    service.confirm_signage(rt, kiosk.office_id, actor="manager")
    camera, _ = lane_camera(rt, kiosk.office_id, "door", actor="test")
    notices.republish(kiosk.office_id, kiosk.deps, actor="dpo")  # the notice names the lane
    record_office_pia(kiosk.deps)  # C23: the assessment covers the camera
    return Lane(kiosk, rt, camera)


@pytest.fixture
def lane(make_kiosk: Callable[..., Kiosk], store_url: str) -> Iterator[Lane]:
    site = open_lane(make_kiosk(store_url, engine=DlibEngine(FaceSettings())))
    yield site
    site.rt.close()


def people(face_root: Path, east_asian_root: Path) -> list[list[Path]]:
    return [identity_photos(face_root, MIXED), identity_photos(east_asian_root, EAST_ASIAN)]


@pytest.mark.parametrize("which", ["mixed", "east_asian"])
def test_a_still_photo_pushed_again_and_again_records_no_visit(
    lane: Lane, face_root: Path, east_asian_root: Path, which: str,
) -> None:
    photos = people(face_root, east_asian_root)[which == "east_asian"]
    lane.enroll(photos)
    still = photos[3].read_bytes()
    outcomes = [lane.push(still, n) for n in range(6)]
    assert [o.matched for o in outcomes] == [1] * 6, "the photo is of the enrolled person"
    assert [len(o.visits) for o in outcomes] == [0] * 6 and lane.visits() == []
    assert [o.not_live for o in outcomes] == [0] + [1] * 5
    assert lane.rt.metrics.not_live.labels("frames_identical")._value.get() == 5


@pytest.mark.parametrize("which", ["mixed", "east_asian"])
def test_a_still_photo_moved_turned_and_re_encoded_records_no_visit(
    lane: Lane, face_root: Path, east_asian_root: Path, which: str,
) -> None:
    photos = people(face_root, east_asian_root)[which == "east_asian"]
    lane.enroll(photos)
    outcomes = [lane.push(frame, 0.4 * n)
                for n, frame in enumerate(warped_shots(photos[3].read_bytes(), 4).frames)]
    assert sum(o.matched for o in outcomes) >= 3, "the warped photo is still the person"
    assert sum(len(o.visits) for o in outcomes) == 0 and lane.visits() == []
    assert lane.rt.metrics.not_live.labels("single_image")._value.get() >= 2


@pytest.mark.parametrize("which", ["mixed", "east_asian"])
def test_distinct_photos_with_a_cameras_times_record_exactly_one_visit(
    lane: Lane, face_root: Path, east_asian_root: Path, which: str,
) -> None:
    photos = people(face_root, east_asian_root)[which == "east_asian"]
    lane.enroll(photos)
    outcomes = [lane.push(p.read_bytes(), 0.5 * n) for n, p in enumerate(photos[3:6])]
    assert [o.matched for o in outcomes] == [1, 1, 1]
    assert sum(len(o.visits) for o in outcomes) == 1 and len(outcomes[1].visits) == 1
    [visit] = lane.visits()
    assert visit.id == outcomes[1].visits[0] and lane.rt.tracks.cues_held == 0


def test_the_worker_processes_apply_the_same_check(
    make_kiosk: Callable[..., Kiosk], face_root: Path,
) -> None:
    lane = open_lane(make_kiosk(engine=DlibEngine(FaceSettings())), workers=1)
    try:
        photos = identity_photos(face_root, MIXED)
        lane.enroll(photos)
        still = photos[3].read_bytes()
        assert [len(lane.push(still, n).visits) for n in range(3)] == [0, 0, 0]
        lane.kiosk.clock.advance(minutes=5)  # a new track
        live = [lane.push(p.read_bytes(), 0.5 * n) for n, p in enumerate(photos[4:6])]
        assert [len(o.visits) for o in live] == [0, 1] and len(lane.visits()) == 1
    finally:
        lane.rt.close()
