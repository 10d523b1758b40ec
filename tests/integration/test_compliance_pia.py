"""C23 on a real store: face features refuse without a current impact assessment of the face
settings in use; mobile check-in never does; changing the settings makes the assessment stale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.clock import FakeClock
from keyuan.adapters.store.tables.compliance import impact_assessments
from keyuan.bootstrap import build
from keyuan.config.face import FaceSettings
from keyuan.domain.compliance.pia import demo_content
from keyuan.domain.errors import (
    ImpactAssessmentIncomplete,
    ImpactAssessmentMissing,
    ImpactAssessmentStale,
)
from keyuan.services.capture import service as capture_service
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.checkin.face_gate import assessed_settings
from keyuan.services.compliance.pia import assessment_status, record_assessment
from support import auth
from support.cameras import ALTERNATIVE, LANE, lane_camera
from support.devices import kiosk_client
from support.live import live_server
from support.pia import record_office_pia
from support.sequences import fake_shots, landmarker_for

from .conftest import START, make_settings

if TYPE_CHECKING:
    from .conftest import Kiosk


def without_pia(k: Kiosk) -> Kiosk:
    with k.app.db.begin() as conn:
        conn.execute(delete(impact_assessments))
    return k


def test_c23_face_consent_is_refused_without_an_assessment(store_kiosk: Kiosk) -> None:
    k = without_pia(store_kiosk)
    session, notice = k.start()

    with pytest.raises(ImpactAssessmentMissing) as refused:
        k.consent_face(session.id, notice.content_hash)
    assert (refused.value.code, refused.value.status) == ("impact_assessment_missing", 409)
    with k.deps.uow() as uow:
        assert uow.sessions.get(session.id).person_id is None  # type: ignore[union-attr]
        assert "consent_given" not in [e.action for e in uow.audit.all()]


def test_c23_enrollment_return_and_identify_all_pass_the_same_gate(kiosk: Kiosk) -> None:
    enrolled = kiosk.new_face_visitor((200, 150, 120))
    without_pia(kiosk)
    session, _ = kiosk.start()
    frames = fake_shots((200, 150, 120)).cmd()

    with pytest.raises(ImpactAssessmentMissing):
        kiosk.enroll(session.id, enrolled.consent.id, (200, 150, 120))
    with pytest.raises(ImpactAssessmentMissing):
        face_service.return_with_face(face_service.ReturnCmd(
            session.id, receipt_id=enrolled.consent.id, **frames), kiosk.deps)
    with pytest.raises(ImpactAssessmentMissing):
        face_service.identify([0.0] * 128, kiosk.deps, actor="staff", reason="test")  # type: ignore[arg-type]


def test_c23_mobile_check_in_works_without_an_assessment(kiosk: Kiosk) -> None:
    k = without_pia(kiosk)
    session, notice = k.start()

    result = k.check_in_by_phone(session.id, notice.content_hash, "13800003333")

    assert result.visit.method.value == "phone"


def test_c23_changing_the_face_settings_makes_the_assessment_stale(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    first = make_kiosk()
    changed_face = FaceSettings(engine="dlib")
    settings = make_settings(first.settings.data_dir, first.settings.resolved_database_url,
                             face=changed_face)
    engine = FakeEngine(changed_face)
    changed = build(settings, clock=FakeClock(START), engine=engine,
                    landmarker=landmarker_for(engine))
    try:
        session, notice = first.start()
        assert not assessment_status(changed.deps).current
        with pytest.raises(ImpactAssessmentStale):
            kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
                session.id, notice.content_hash, age_14_or_over=True), changed.deps)
        assert first.consent_face(session.id, notice.content_hash).is_active  # old settings pass

        pia = record_assessment(demo_content("示范"), changed.deps, assessor="李敏")
        assert assessment_status(changed.deps).current and pia.settings_hash != ""
    finally:
        changed.close()


def test_c23_an_incomplete_assessment_is_refused_and_nothing_is_stored(kiosk: Kiosk) -> None:
    k = without_pia(kiosk)
    with pytest.raises(ImpactAssessmentIncomplete):
        record_assessment({**demo_content("x"), "impact_risks": ""}, k.deps, assessor="李敏")

    assert assessment_status(k.deps).latest is None


def test_c23_recording_an_assessment_is_audited(kiosk: Kiosk) -> None:
    pia = record_assessment(demo_content("示范"), kiosk.deps, assessor="李敏")

    with kiosk.deps.uow() as uow:
        last = uow.audit.all()[-1]
        stored = uow.compliance.latest_assessment()
    assert (last.action, last.subject, last.actor) == ("pia_recorded", pia.id, "李敏")
    assert stored is not None and stored.content_hash == pia.content_hash and not stored.demo


def test_c23_the_api_answers_409_impact_assessment_missing(tmp_path: Path) -> None:
    with live_server(tmp_path, engine=FakeEngine(FaceSettings())) as live:
        with live.app.db.begin() as conn:
            conn.execute(delete(impact_assessments))
        with kiosk_client(live, timeout=30) as http:
            session = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
            refused = http.post(f"/api/kiosk/sessions/{session['session_id']}/face-consent", json={
                "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True,
                "agree": True})
            status = http.get("/api/compliance/impact-assessment",
                              headers=auth.bearer(live.app, "compliance")).json()

    assert refused.status_code == 409 and refused.json()["error"] == "impact_assessment_missing"
    assert status["current"] is False and status["latest_id"] is None


def test_c23_switching_a_camera_on_makes_the_assessment_stale(
    store_kiosk: Kiosk, make_kiosk: Callable[..., Kiosk],
) -> None:
    k = store_kiosk
    assert assessment_status(k.deps).current
    rt = CaptureRuntime.build(k.deps, k.settings.capture, k.settings.secret_key)
    camera, _ = lane_camera(rt, k.office_id, "东门通道", actor="test")

    assert not assessment_status(k.deps).current  # a camera processes faces: assess it first
    session, notice = k.start()
    with pytest.raises(ImpactAssessmentStale):
        k.consent_face(session.id, notice.content_hash)
    record_office_pia(k.deps)
    assert assessment_status(k.deps).current
    capture_service.set_camera_enabled(rt, camera.id, False, actor="test")
    assert not assessment_status(k.deps).current  # what was assessed changed again

    capture_service.set_camera_enabled(rt, camera.id, True, actor="test")
    record_office_pia(k.deps)
    assert assessment_status(k.deps).current

    other = make_kiosk(data_dir=k.settings.data_dir.parent / "capture-settings",
                       capture={"visit_window_minutes": 30})
    same = make_kiosk(data_dir=k.settings.data_dir.parent / "capture-defaults")
    assert assessed_settings(other.deps)["capture"] != assessed_settings(same.deps)["capture"]


def test_c11_the_assessment_records_each_lane_and_a_changed_lane_makes_it_stale(
    store_kiosk: Kiosk,
) -> None:
    k = store_kiosk
    rt = CaptureRuntime.build(k.deps, k.settings.capture, k.settings.secret_key)
    camera, _ = lane_camera(rt, k.office_id, "东门通道", actor="test")
    pia = record_office_pia(k.deps)
    assert pia.settings["cameras"] == [{
        "camera": f"{k.office_id}/{camera.id}", "name": "东门通道", "lane": LANE,
        "alternative": ALTERNATIVE}]
    assert assessment_status(k.deps).current

    capture_service.set_camera_lane(rt, camera.id, LANE + "（北移两米）", ALTERNATIVE,
                                    actor="test")
    assert not assessment_status(k.deps).current  # the lane moved: assess it again
    record_office_pia(k.deps)
    capture_service.set_camera_lane(rt, camera.id, LANE + "（北移两米）", "南门普通入口",
                                    actor="test")
    assert not assessment_status(k.deps).current  # and so does the alternative route
    capture_service.set_camera_lane(rt, camera.id, LANE + "（北移两米）", ALTERNATIVE,
                                    actor="test")
    assert assessment_status(k.deps).current  # back to the texts the latest one assessed
    with k.deps.uow() as uow:
        changes = [e.detail for e in uow.audit.all() if e.action == "camera_lane_set"]
    assert [c["alternative"] for c in changes] == [ALTERNATIVE, "南门普通入口", ALTERNATIVE]
