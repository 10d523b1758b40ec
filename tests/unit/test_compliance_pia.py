"""The impact-assessment gate (C23), pure: bound to the face settings, stale when they change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyuan.config.face import FaceSettings
from keyuan.domain.compliance.pia import (
    PROCESSING_RECORD_MIN_DAYS,
    FaceSettingsData,
    ImpactAssessment,
    demo_content,
    face_settings_hash,
    processing_record_expired,
    require_current,
)
from keyuan.domain.errors import (
    ImpactAssessmentIncomplete,
    ImpactAssessmentMissing,
    ImpactAssessmentStale,
)

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def a_pia(face: FaceSettingsData) -> ImpactAssessment:
    return ImpactAssessment.record(assessor="李敏", content=demo_content("示范置业"), face=face,
                                   now=NOW)


def test_c23_without_any_assessment_face_features_refuse() -> None:
    with pytest.raises(ImpactAssessmentMissing) as refused:
        require_current(None, FaceSettings().as_data())
    assert (refused.value.code, refused.value.status) == ("impact_assessment_missing", 409)


def test_c23_an_assessment_covers_exactly_the_settings_it_assessed() -> None:
    pia = a_pia(FaceSettings().as_data())

    assert require_current(pia, FaceSettings().as_data()) is pia
    with pytest.raises(ImpactAssessmentStale) as refused:
        require_current(pia, FaceSettings(engine="dlib").as_data())
    assert (refused.value.code, refused.value.status) == ("impact_assessment_stale", 409)


@pytest.mark.parametrize("missing", ["legality_necessity", "impact_risks", "security_measures",
                                     "effectiveness"])
def test_c23_an_incomplete_assessment_cannot_be_recorded(missing: str) -> None:
    content = {**demo_content("x"), missing: "  "}
    with pytest.raises(ImpactAssessmentIncomplete, match=missing):
        ImpactAssessment.record(assessor="a", content=content, face=FaceSettings().as_data(),
                                now=NOW)


def test_c23_the_settings_hash_changes_with_any_setting() -> None:
    default = FaceSettings().as_data()
    assert face_settings_hash(default) == face_settings_hash(FaceSettings().as_data())
    assert face_settings_hash(default) != face_settings_hash(FaceSettings(min_face_px=81).as_data())


def test_c23_processing_records_are_kept_at_least_three_years() -> None:
    assert PROCESSING_RECORD_MIN_DAYS >= 3 * 365
    assert not processing_record_expired(NOW, NOW + timedelta(days=3 * 365))
    assert not processing_record_expired(NOW, NOW + timedelta(days=3 * 365), keep_days=30)
    assert processing_record_expired(NOW, NOW + timedelta(days=3 * 366))


def test_the_changes_since_an_assessment_are_named_setting_by_setting_and_camera_by_camera(
) -> None:
    from keyuan.domain.compliance.pia import SettingChange, settings_changes

    lane = {"camera": "o/cam_1", "name": "正门", "lane": "左侧通道", "alternative": "右侧通道"}
    assessed = {"model": "dlib-1", "thresholds": {"verify": 0.5}, "cameras": [lane]}
    moved = {**lane, "lane": "左侧第二通道"}
    extra = {"camera": "o/cam_2", "name": "侧门", "lane": "侧门通道", "alternative": "大门"}
    now = {"model": "dlib-1", "thresholds": {"verify": 0.45}, "cameras": [moved, extra]}

    assert settings_changes(assessed, assessed) == []
    assert settings_changes(assessed, now) == [
        SettingChange("thresholds.verify", 0.5, 0.45),
        SettingChange("camera", lane, moved), SettingChange("camera", None, extra)]
