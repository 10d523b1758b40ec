"""Impact assessment use cases (C23): record one, say whether face features may run."""

from __future__ import annotations

from dataclasses import dataclass

from keyuan.domain.compliance.pia import (
    ImpactAssessment,
    SettingChange,
    demo_content,
    face_settings_hash,
    settings_changes,
)
from keyuan.services.checkin.face_gate import assessed_settings
from keyuan.services.ports import Deps


def record_assessment(
    content: dict[str, str], deps: Deps, *, assessor: str, demo: bool = False,
    actor: str | None = None,
) -> ImpactAssessment:
    """Record a PIA of the face settings in use now; incomplete content is refused (422). The
    assessor is part of the record; `actor` (who records it, default the assessor) is audited."""
    with deps.uow() as uow:
        now = deps.clock.now()
        pia = ImpactAssessment.record(assessor=assessor, content=content,
                                      face=assessed_settings(deps, uow), now=now, demo=demo)
        uow.compliance.add_assessment(pia)
        uow.audit.append(at=now, actor=(actor or assessor)[:64], action="pia_recorded",
                         subject=pia.id, detail={"settings_hash": pia.settings_hash,
                                                 "demo": demo, "content_hash": pia.content_hash})
        uow.commit()
        return pia


def record_demo_pia(deps: Deps, *, legal_entity: str) -> ImpactAssessment:
    """A DEMONSTRATION assessment (`keyuan init`, the demo, test fixtures), marked `demo=True`
    everywhere it shows. A real office records its own before processing real faces."""
    return record_assessment(demo_content(legal_entity), deps, assessor="demo-assessment",
                             demo=True)


@dataclass(frozen=True)
class AssessmentStatus:
    current: bool
    latest: ImpactAssessment | None
    settings_hash: str


def assessment_status(deps: Deps) -> AssessmentStatus:
    with deps.uow() as uow:
        latest = uow.compliance.latest_assessment()
    settings = assessed_settings(deps)
    licensed = latest is not None and (not latest.demo or deps.demo)  # demo: demo mode only
    return AssessmentStatus(current=licensed and latest is not None and latest.covers(settings),
                            latest=latest, settings_hash=face_settings_hash(settings))


@dataclass(frozen=True)
class AssessmentReport:
    """The assessment status in a page's terms: `state` is current, stale, missing or demo (a
    demonstration outside demo mode), with what changed since the latest was recorded."""

    state: str
    latest: ImpactAssessment | None
    changes: list[SettingChange]
    face_module_on: bool


def assessment_report(deps: Deps) -> AssessmentReport:
    status = assessment_status(deps)
    latest = status.latest
    on = deps.engine is not None
    if latest is None:
        return AssessmentReport("missing", None, [], on)
    changes = settings_changes(latest.settings, assessed_settings(deps))
    if latest.demo and not deps.demo:  # a demonstration licenses demo mode only
        return AssessmentReport("demo", latest, changes, on)
    return AssessmentReport("current" if status.current else "stale", latest, changes, on)
