"""The capture pipeline's rules through the services on a real store (fake engine): the review
band never makes a visit, a withdrawal wins, the impact-assessment gate closes capture, a kiosk
visit in the window is the visit."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from keyuan.biometrics.fake import FakeEngine, solid_face
from keyuan.biometrics.ports import FaceBox, Image, Template
from keyuan.capture import service
from keyuan.capture.runtime import CaptureRuntime
from keyuan.domain.visit import VisitMethod
from keyuan.errors import ImpactAssessmentMissing, ImpactAssessmentStale
from keyuan.services import consent as consent_service

from .conftest import Kiosk

PERSON = (120, 72, 40)
LOOKALIKE = (24, 24, 232)
"""Drawn by ReviewBandEngine at distance 0.44 from PERSON: inside the review band."""


class ReviewBandEngine(FakeEngine):
    def embed(self, image: Image, box: FaceBox) -> Template:
        if tuple(int(v) for v in image[0, 0]) == LOOKALIKE:
            base = super().embed(solid_face(PERSON, (160, 160)), box)
            nudge = np.zeros_like(base)
            nudge[0] = 0.44
            return (base + nudge).astype(np.float32)
        return super().embed(image, box)


@pytest.fixture
def site(make_kiosk: Callable[..., Kiosk]) -> tuple[Kiosk, CaptureRuntime, Any]:
    kiosk = make_kiosk(engine=ReviewBandEngine(), face={"min_sharpness": 0.0})
    rt = CaptureRuntime.build(kiosk.deps, kiosk.settings.capture, kiosk.settings.secret_key)
    service.confirm_signage(rt, kiosk.office_id, actor="manager")
    camera, _ = service.register_camera(rt, kiosk.office_id, "door", actor="test")
    return kiosk, rt, camera


def sight(rt: CaptureRuntime, camera: Any, kiosk: Kiosk, rgb: tuple[int, int, int],
          seconds: float = 0) -> service.Outcome:
    opened = service.open_camera(rt, camera.id)
    return service.process_frame(rt, opened, solid_face(rgb, (160, 160)),
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
    camera, _ = service.register_camera(stale, kiosk.office_id, "door", actor="test")
    with pytest.raises(ImpactAssessmentStale):
        service.open_camera(stale, camera.id)
    assert issubclass(ImpactAssessmentStale, ImpactAssessmentMissing)
