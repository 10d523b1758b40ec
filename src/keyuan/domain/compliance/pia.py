"""个人信息保护影响评估 (PIA, PIPL 55–56; 办法 9; C23): face features run only under a recorded
assessment of the face settings actually in use. Changing those settings makes it stale."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from keyuan.domain.canonical import sha256_hex
from keyuan.domain.errors import (
    ImpactAssessmentIncomplete,
    ImpactAssessmentIsDemo,
    ImpactAssessmentMissing,
    ImpactAssessmentStale,
)

REQUIRED_CONTENT: dict[str, str] = {
    "legality_necessity": "legality, legitimacy and necessity of the purpose and the method",
    "impact_risks": "the impact on the people concerned and the risks to them",
    "security_measures": "the protective measures taken, their legality and effectiveness",
    "effectiveness": "whether the measures are effective and proportionate to the risks",
}

PROCESSING_RECORD_MIN_DAYS = 3 * 365 + 1
"""PIPL 56: assessment reports and processing records are kept at least three years."""


FaceSettingsData = Mapping[str, Any]
"""The face settings in force as plain JSON data (every engine, gate and threshold setting)."""


def face_settings_hash(face: FaceSettingsData) -> str:
    """What the assessment is bound to: every engine, gate and threshold setting."""
    return sha256_hex(dict(face))


@dataclass(eq=False)
class ImpactAssessment:
    assessor: str
    legality_necessity: str
    impact_risks: str
    security_measures: str
    effectiveness: str
    settings: dict[str, Any]
    settings_hash: str
    recorded_at: datetime
    demo: bool = False
    id: str = field(default_factory=lambda: secrets.token_hex(12))
    content_hash: str = ""

    @classmethod
    def record(
        cls, *, assessor: str, content: dict[str, str], face: FaceSettingsData, now: datetime,
        demo: bool = False,
    ) -> ImpactAssessment:
        missing = [f"missing {name}: {why}" for name, why in REQUIRED_CONTENT.items()
                   if not content.get(name, "").strip()]
        if not assessor.strip():
            missing.append("missing assessor: who made the assessment")
        if missing:
            raise ImpactAssessmentIncomplete("; ".join(missing), problems=missing)
        pia = cls(assessor=assessor, settings=dict(face),
                  settings_hash=face_settings_hash(face), recorded_at=now, demo=demo,
                  **{name: content[name] for name in REQUIRED_CONTENT})
        pia.content_hash = sha256_hex(pia.body())
        return pia

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "assessor": self.assessor, "settings": self.settings,
                "settings_hash": self.settings_hash, "recorded_at": self.recorded_at.isoformat(),
                "demo": self.demo, **{name: getattr(self, name) for name in REQUIRED_CONTENT}}

    def covers(self, face: FaceSettingsData) -> bool:
        return self.settings_hash == face_settings_hash(face)


@dataclass(frozen=True)
class SettingChange:
    """One difference between what the assessment covers and the settings in force now:
    `name` is a setting's dotted path ("model", "capture.min_face_px", …) or "camera" (then
    `before`/`after` are a camera's lane facts, None when it was not or is no longer on)."""

    name: str
    before: Any
    after: Any


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= _flat(value, f"{path}.")
        else:
            out[path] = value
    return out


def settings_changes(assessed: FaceSettingsData, now: FaceSettingsData) -> list[SettingChange]:
    """What changed since the assessment was recorded, setting by setting (cameras by camera:
    switched on, switched off, lane texts changed); empty when it still covers `now`."""
    def cameras(data: FaceSettingsData) -> dict[str, Any]:
        return {facts["camera"]: facts for facts in data.get("cameras") or ()}

    was, is_ = cameras(assessed), cameras(now)
    before = _flat({k: v for k, v in assessed.items() if k != "cameras"})
    after = _flat({k: v for k, v in now.items() if k != "cameras"})
    changes = [SettingChange(name, before.get(name), after.get(name))
               for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]
    changes += [SettingChange("camera", was.get(key), is_.get(key))
                for key in sorted(set(was) | set(is_)) if was.get(key) != is_.get(key)]
    return changes


def require_current(latest: ImpactAssessment | None, face: FaceSettingsData, *,
                    demo_mode: bool = False) -> ImpactAssessment:
    """The one gate every face feature passes (called from `Deps.face_engine`). A DEMONSTRATION
    assessment licenses face processing in demo mode only: an office's real visitors need the
    office's own assessment."""
    if latest is None:
        raise ImpactAssessmentMissing()
    if latest.demo and not demo_mode:
        raise ImpactAssessmentIsDemo()
    if not latest.covers(face):
        raise ImpactAssessmentStale(assessed=latest.settings_hash[:12],
                                    current=face_settings_hash(face)[:12])
    return latest


def processing_record_expired(recorded_at: datetime, now: datetime,
                              keep_days: int = PROCESSING_RECORD_MIN_DAYS) -> bool:
    """Whether a PIA or audit record may leave the store: never before three years."""
    return now - recorded_at >= timedelta(days=max(keep_days, PROCESSING_RECORD_MIN_DAYS))


def demo_content(legal_entity: str) -> dict[str, str]:
    """A DEMONSTRATION assessment for `keyuan init`, the demo and tests — not a real PIA. A real
    office records its own with `keyuan pia record` before switching faces on."""
    return {
        "legality_necessity": f"【演示评估 DEMO】{legal_entity}：仅为判客(到访归属)目的，"
                              "经单独同意处理人脸特征；不同意者使用手机号登记，无任何不利。",
        "impact_risks": "【演示评估 DEMO】风险：特征泄露、误识别、超期保存。影响限于到访归属证据。",
        "security_measures": "【演示评估 DEMO】本地存储；AES-256-GCM 加密；假名化分库；不保存照片；"
                             "全量哈希链审计；撤回即删除；到期自动清除。",
        "effectiveness": "【演示评估 DEMO】措施与风险相称；正式上线前须由办公室自行评估并记录。",
    }
