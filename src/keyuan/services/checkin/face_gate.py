"""The one gate every face use case passes: the face module is on (C10) and an impact assessment
of the face settings in force is on record (C23). Without it every face use case refuses and the
phone path keeps working; pages ask `face_available` to offer face check-in only when it works."""

from __future__ import annotations

from keyuan.domain.compliance.pia import require_current
from keyuan.domain.errors import FaceModuleDisabled, KeyuanError
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.ports import Deps


def face_engine(deps: Deps) -> FaceEngine:
    """The engine, or `FaceModuleDisabled` / `ImpactAssessmentMissing` / `…Stale`."""
    if deps.engine is None:
        raise FaceModuleDisabled()
    with deps.uow() as uow:
        require_current(uow.compliance.latest_assessment(), deps.face.as_data())
    return deps.engine


def face_available(deps: Deps) -> bool:
    try:
        face_engine(deps)
    except KeyuanError:
        return False
    return True
