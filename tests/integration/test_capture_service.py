"""The capture pipeline's rules through the services on real stores, SQLite and PostgreSQL (fake
engine): two agreeing sightings make one visit, one visit per person per office per window
whatever the method and however many threads, the review band never makes a visit, a withdrawal
wins, unmatched faces only add to an hourly count, the impact-assessment gate closes capture."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine, posed_face, solid_face
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.store.repositories.capture import CaptureRecords
from keyuan.config.face import FaceSettings
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.errors import ImpactAssessmentMissing, ImpactAssessmentStale
from keyuan.services.capture import service
from keyuan.services.checkin import consent as consent_service
from keyuan.services.compliance import notices
from keyuan.services.faces.engine import FaceBox, Image, Template
from support.cameras import lane_camera
from support.pia import record_office_pia

from .conftest import Kiosk

PERSON = (120, 72, 40)
LOOKALIKE = (24, 24, 232)
"""Drawn by ReviewBandEngine halfway into the default engine's 1:N review band from PERSON."""
BAND = FaceSettings()
REVIEW_DISTANCE = (BAND.identify_threshold + BAND.identify_review_threshold) / 2


class ReviewBandEngine(FakeEngine):
    def embed(self, image: Image, box: FaceBox) -> Template:
        if tuple(int(v) for v in image[0, 0]) == LOOKALIKE:
            base = super().embed(solid_face(PERSON, (160, 160)), box)
            nudge = np.zeros_like(base)
            nudge[0] = REVIEW_DISTANCE
            return (base + nudge).astype(np.float32)
        return super().embed(image, box)


@pytest.fixture
def site(make_kiosk: Callable[..., Kiosk], store_url: str) -> tuple[Kiosk, CaptureRuntime, Any]:
    """A camera with confirmed signage, on each store (SQLite; PostgreSQL when it answers)."""
    kiosk = make_kiosk(store_url, engine=ReviewBandEngine(), face={"min_sharpness": 0.0})
    rt = CaptureRuntime.build(kiosk.deps, kiosk.settings.capture, kiosk.settings.secret_key)
    service.confirm_signage(rt, kiosk.office_id, actor="manager")
    camera, _ = lane_camera(rt, kiosk.office_id, "door", actor="test")
    notices.republish(kiosk.office_id, kiosk.deps, actor="dpo")  # the notice names the lane
    record_office_pia(kiosk.deps)  # C23: the assessment covers the camera
    return kiosk, rt, camera


SHOTS = itertools.count(1)


def sight(rt: CaptureRuntime, camera: Any, kiosk: Kiosk, rgb: tuple[int, int, int],
          seconds: float = 0) -> service.Outcome:
    """A frame of the person `rgb`, as a live camera gives it: each with its own faint texture
    and landmark jitter (`posed_face`), so that two sightings look live (issue 18)."""
    opened = service.open_camera(rt, camera.id)
    frame = solid_face(rgb, (160, 160)) if rgb == LOOKALIKE else posed_face(rgb, seed=next(SHOTS))
    return service.process_frame(rt, opened, frame,
                                 kiosk.clock.now() + timedelta(seconds=seconds),
                                 time.perf_counter(), source="pull")


def camera_visits(kiosk: Kiosk) -> list[Any]:
    with kiosk.deps.uow() as uow:
        return [v for v in uow.visits.for_office(kiosk.office_id)
                if v.method is VisitMethod.CAMERA]


def test_review_band_sightings_never_make_a_visit_and_are_only_counted(site: Any) -> None:
    kiosk, rt, camera = site
    person = kiosk.new_face_visitor(PERSON).visit.person_id
    kiosk.clock.advance(hours=3)
    outcomes = [sight(rt, camera, kiosk, LOOKALIKE, n) for n in range(4)]
    assert [o.needs_review for o in outcomes] == [1, 1, 1, 1]
    assert camera_visits(kiosk) == []
    with kiosk.deps.uow() as uow:
        assert uow.capture.hourly(camera.id)[0][1:] == (0, 4)
        assert not [e for e in uow.audit.all() if e.subject == person
                    and e.action.startswith("camera_")]


def test_a_kiosk_visit_inside_the_window_is_the_visit(site: Any) -> None:
    kiosk, rt, camera = site
    kiosk.new_face_visitor(PERSON)
    kiosk.clock.advance(minutes=30)
    assert [sight(rt, camera, kiosk, PERSON, n).visits for n in range(3)] == [[], [], []]
    kiosk.clock.advance(hours=2)
    assert sight(rt, camera, kiosk, PERSON).visits == []
    assert len(sight(rt, camera, kiosk, PERSON, 1).visits) == 1


def test_a_withdrawal_stops_camera_visits_at_once(site: Any) -> None:
    kiosk, rt, camera = site
    checked_in = kiosk.new_face_visitor(PERSON)
    kiosk.clock.advance(hours=3)
    consent_service.withdraw(checked_in.consent.id, kiosk.deps)
    outcomes = [sight(rt, camera, kiosk, PERSON, n) for n in range(3)]
    assert [o.matched for o in outcomes] == [0, 0, 0] and camera_visits(kiosk) == []


def test_capture_stops_when_the_impact_assessment_no_longer_covers_the_settings(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    kiosk = make_kiosk(engine=ReviewBandEngine(), face={"min_sharpness": 0.0})
    stale = CaptureRuntime.build(
        type(kiosk.deps)(**{**kiosk.deps.__dict__,
                            "face": kiosk.deps.face.model_copy(update={"min_face_px": 90})}),
        kiosk.settings.capture, kiosk.settings.secret_key)
    service.confirm_signage(stale, kiosk.office_id, actor="manager")
    camera, _ = lane_camera(stale, kiosk.office_id, "door", actor="test")
    with pytest.raises(ImpactAssessmentStale):
        service.open_camera(stale, camera.id)
    assert issubclass(ImpactAssessmentStale, ImpactAssessmentMissing)


def test_two_agreeing_sightings_make_one_visit_and_more_sightings_no_second(site: Any) -> None:
    kiosk, rt, camera = site
    person = kiosk.new_face_visitor(PERSON).visit.person_id
    kiosk.clock.advance(hours=3)
    assert sight(rt, camera, kiosk, PERSON).visits == []
    stored = sight(rt, camera, kiosk, PERSON, 1).visits
    assert len(stored) == 1
    assert [sight(rt, camera, kiosk, PERSON, n).visits for n in range(2, 5)] == [[], [], []]
    visits = camera_visits(kiosk)
    assert [(v.id, v.person_id) for v in visits] == [(stored[0], person)]
    assert visits[0].at == kiosk.clock.now()


def test_a_camera_visit_inside_the_window_blocks_a_second_camera_visit(site: Any) -> None:
    kiosk, rt, camera = site
    kiosk.new_face_visitor(PERSON)
    kiosk.clock.advance(hours=3)
    assert len(sight(rt, camera, kiosk, PERSON, 1).visits + sight(rt, camera, kiosk, PERSON, 2)
               .visits) == 1
    other, _ = lane_camera(rt, kiosk.office_id, "lobby", actor="test")
    notices.republish(kiosk.office_id, kiosk.deps, actor="dpo")  # the notice names its lane
    record_office_pia(kiosk.deps)  # C23: a second camera switched on needs assessing too
    kiosk.clock.advance(minutes=90)
    assert [sight(rt, other, kiosk, PERSON, n).visits for n in range(3)] == [[], [], []]
    assert len(camera_visits(kiosk)) == 1


def test_unmatched_faces_add_up_in_one_hourly_row_per_camera_and_hour(site: Any) -> None:
    kiosk, rt, camera = site
    kiosk.new_face_visitor(PERSON)  # so that LOOKALIKE falls in the review band
    kiosk.clock.advance(hours=3)
    for n in range(3):
        assert sight(rt, camera, kiosk, (10, 200, 10), n).unmatched == 1
    assert sight(rt, camera, kiosk, LOOKALIKE, 3).needs_review == 1
    kiosk.clock.advance(hours=1)
    sight(rt, camera, kiosk, (10, 200, 10))
    with kiosk.deps.uow() as uow:
        rows = uow.capture.hourly(camera.id)
    hour = (kiosk.clock.now() - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    assert [r[1:] for r in rows] == [(3, 1), (1, 0)]
    assert rows[0][0] == hour and camera_visits(kiosk) == []
    with kiosk.deps.uow() as uow:  # nothing named: the review-band face is not even audited
        assert not [e for e in uow.audit.all() if e.action.startswith("camera_m")]


def test_two_threads_sighting_one_person_at_once_store_exactly_one_visit(
    site: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two runtimes (two workers, separate in-memory tracks) each see two agreeing sightings at
    the same moment: the per-person lock and the window check leave exactly one visit. The
    window check is slowed down so that both transactions are open at once."""
    kiosk, rt, camera = site
    visits_near = CaptureRecords.visits_near

    def slow_visits_near(self: CaptureRecords, *args: Any) -> int:
        found = visits_near(self, *args)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(CaptureRecords, "visits_near", slow_visits_near)
    kiosk.new_face_visitor(PERSON)
    kiosk.clock.advance(hours=3)
    runtimes = [rt, CaptureRuntime.build(kiosk.deps, kiosk.settings.capture,
                                         kiosk.settings.secret_key)]
    for worker in runtimes:
        assert sight(worker, camera, kiosk, PERSON).visits == []
    barrier, stored, errors = threading.Barrier(len(runtimes)), [], []

    def second_sighting(worker: CaptureRuntime) -> None:
        barrier.wait(timeout=10)
        try:
            stored.extend(sight(worker, camera, kiosk, PERSON, 1).visits)
        except Exception as exc:  # a failed transaction is a failure too, not a quiet pass
            errors.append(exc)

    threads = [threading.Thread(target=second_sighting, args=(w,)) for w in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and len(stored) == 1
    assert [v.id for v in camera_visits(kiosk)] == stored
