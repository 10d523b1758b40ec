"""Impact assessments (C23): recorded with the face settings they cover, refused when
incomplete, and stale as soon as those settings change."""

from __future__ import annotations

import dataclasses

import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.capture import CaptureSettings
from keyuan.config.face import FaceSettings
from keyuan.domain.compliance.pia import demo_content, face_settings_hash
from keyuan.domain.errors import (
    ImpactAssessmentIncomplete,
    ImpactAssessmentIsDemo,
    ImpactAssessmentStale,
)
from keyuan.services.checkin.face_gate import assessed_settings, face_engine
from keyuan.services.compliance import pia
from keyuan.services.faces.engine import EngineModel
from unit.services.harness import Harness, make_harness, office


def test_an_assessment_is_stored_bound_to_the_face_settings_and_audited() -> None:
    harness = make_harness(with_pia=False)
    recorded = pia.record_assessment(demo_content("E"), harness.deps, assessor="李敏")
    (stored,) = harness.committed.assessments.values()
    assert stored.id == recorded.id
    assert stored.settings_hash == face_settings_hash(assessed_settings(harness.deps))
    entry = harness.committed.audit[-1]
    assert (entry.action, entry.subject) == ("pia_recorded", recorded.id)
    assert entry.detail["content_hash"] == recorded.content_hash


def test_an_incomplete_assessment_is_refused_and_nothing_is_stored() -> None:
    harness = make_harness(with_pia=False)
    content = {**demo_content("E"), "impact_risks": "  "}
    with pytest.raises(ImpactAssessmentIncomplete) as refused:
        pia.record_assessment(content, harness.deps, assessor="李敏")
    problems = refused.value.details["problems"]
    assert isinstance(problems, list) and any("impact_risks" in p for p in problems)
    assert harness.committed.assessments == {}
    assert "pia_recorded" not in harness.actions()


def test_c23_a_demo_assessment_licenses_demo_mode_only() -> None:
    harness = make_harness(with_pia=False)
    recorded = pia.record_demo_pia(harness.deps, legal_entity=office().legal_entity)
    assert recorded.demo
    status = pia.assessment_status(harness.deps)
    assert not status.current and status.latest is not None and status.latest.demo
    with pytest.raises(ImpactAssessmentIsDemo):
        face_engine(harness.deps)
    in_demo_mode = dataclasses.replace(harness.deps, demo=True)
    assert pia.assessment_status(in_demo_mode).current
    assert face_engine(in_demo_mode) is harness.deps.engine


def test_c23_the_offices_own_assessment_replaces_a_demo_one() -> None:
    harness = make_harness(with_pia=False)
    pia.record_demo_pia(harness.deps, legal_entity=office().legal_entity)
    harness.clock.advance(hours=1)
    pia.record_assessment(demo_content("E"), harness.deps, assessor="李敏")
    assert pia.assessment_status(harness.deps).current
    assert face_engine(harness.deps) is harness.deps.engine


def test_no_assessment_is_not_current() -> None:
    status = pia.assessment_status(make_harness(with_pia=False).deps)
    assert not status.current and status.latest is None


def test_changing_a_face_setting_makes_the_assessment_stale(harness: Harness) -> None:
    changed = dataclasses.replace(
        harness.deps, face=FaceSettings.model_validate({"min_face_px": 100}))
    assert not pia.assessment_status(changed).current
    with pytest.raises(ImpactAssessmentStale):
        face_engine(changed)


def test_a_new_assessment_of_the_changed_settings_is_current_again(harness: Harness) -> None:
    changed = dataclasses.replace(
        harness.deps, face=FaceSettings.model_validate({"min_face_px": 100}))
    harness.clock.advance(hours=1)
    pia.record_assessment(demo_content("E"), changed, assessor="李敏")
    assert pia.assessment_status(changed).current
    assert face_engine(changed) is changed.engine
    assert not pia.assessment_status(harness.deps).current


def test_another_engine_model_makes_the_assessment_stale(harness: Harness) -> None:
    other = FakeEngine(model=EngineModel("dlib", "other-weights"))
    changed = dataclasses.replace(harness.deps, engine=other)
    assert assessed_settings(changed)["model"] == "dlib:other-weights"
    assert not pia.assessment_status(changed).current
    with pytest.raises(ImpactAssessmentStale):
        face_engine(changed)


def test_the_camera_picture_fetch_timeout_is_not_part_of_what_is_assessed(
    harness: Harness,
) -> None:
    base = dataclasses.replace(harness.deps, capture=CaptureSettings())
    slower = dataclasses.replace(harness.deps,
                                 capture=CaptureSettings(picture_fetch_timeout_seconds=30))
    longer = dataclasses.replace(harness.deps, capture=CaptureSettings(visit_window_minutes=30))
    assert assessed_settings(slower) == assessed_settings(base)
    assert "picture_fetch_timeout_seconds" not in assessed_settings(base)["capture"]
    assert assessed_settings(longer) != assessed_settings(base)  # the rest still counts
