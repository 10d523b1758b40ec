"""The one gate every face use case passes: the face module is on (C10) and an impact assessment
of the face settings in force is on record (C23). Without it every face use case refuses and the
phone path keeps working; pages ask `face_available` to offer face check-in only when it works."""

from __future__ import annotations

from typing import Any

from keyuan.domain.compliance.pia import require_current
from keyuan.domain.errors import FaceModuleDisabled, KeyuanError, TemplateModelMismatch
from keyuan.services.faces.engine import LEGACY_MODEL_TAG, FaceEngine
from keyuan.services.ports import Deps, UnitOfWork

NOT_ASSESSED_CAPTURE = frozenset({"picture_fetch_timeout_seconds"})
"""Capture settings that change no processing of anyone's face (a network timeout): left out of
what the assessment is bound to, so adding or tuning them leaves a current assessment current."""


def assessed_settings(deps: Deps, uow: UnitOfWork | None = None) -> dict[str, Any]:
    """What an impact assessment is bound to (C23): every face setting, the model the engine
    runs, the capture settings and the cameras switched on, each with the marked lane it covers
    and the unwatched alternative route (C11) — so changing the weights, a threshold, switching
    a camera on or changing a lane text makes the assessment stale. `uow`: the caller's unit of
    work (else one is opened to read the cameras)."""
    model = deps.engine.model.tag if deps.engine is not None else None
    if uow is None:
        with deps.uow() as own:
            return assessed_settings(deps, own)
    cameras = sorted((c.lane_facts() for c in uow.capture.cameras() if c.enabled),
                     key=lambda facts: facts["camera"])
    capture = (deps.capture.model_dump(mode="json", exclude=set(NOT_ASSESSED_CAPTURE))
               if deps.capture is not None else None)
    return {**deps.face.as_data(), "model": model, "capture": capture, "cameras": cameras}


def face_engine(deps: Deps) -> FaceEngine:
    """The engine, or `FaceModuleDisabled` / `ImpactAssessmentMissing` / `…Stale`."""
    if deps.engine is None:
        raise FaceModuleDisabled()
    with deps.uow() as uow:
        require_current(uow.compliance.latest_assessment(), assessed_settings(deps, uow),
                        demo_mode=deps.demo)
    return deps.engine


def engine_for(deps: Deps, tag: str) -> FaceEngine:
    """The engine that made templates tagged `tag`: the active one, or an earlier model kept for
    1:1 until re-derivation. Any other model → `TemplateModelMismatch` (never compared)."""
    active = face_engine(deps)
    for engine in (active, *deps.legacy_engines):
        if engine.model.made(tag):
            return engine
    raise TemplateModelMismatch(model=tag, active=active.model.tag)


def forget_face(deps: Deps, person_id: str) -> None:
    """After a commit that deleted the person's template: drop them from every gallery of this
    process. The gallery may not hold them (not loaded yet, or enrolled by another process); the
    deletion has committed either way and must not fail now."""
    for gallery in (deps.gallery, *deps.legacy_galleries.values()):
        gallery.discard(person_id)


def gallery_models(engine: FaceEngine) -> list[str]:
    """The model tags 1:N searches with `engine`: its own templates only."""
    tags = [engine.model.tag]
    if engine.model.made(LEGACY_MODEL_TAG):
        tags.append(LEGACY_MODEL_TAG)
    return tags


def face_available(deps: Deps) -> bool:
    try:
        face_engine(deps)
    except KeyuanError:
        return False
    return True
