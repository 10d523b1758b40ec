"""The real face engine: dlib HOG (+ mmod CNN for hard enrollment shots), 5-point landmarks and
the ResNet 128-d embedding. Weights come from the installed `face_recognition_models` package;
nothing is downloaded and nothing is loaded until first use."""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dlib
import face_recognition_models
import numpy as np
from PIL import Image as PILImage

from keyuan.adapters.biometrics.model_files import fingerprint
from keyuan.config.face import FaceSettings
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

CNN_MIN_CONFIDENCE = 0.0
"""mmod's own decision boundary; the CNN runs only when HOG found nothing at enrollment."""

CNN_UPSAMPLE = 0
CNN_MAX_PIXELS = 640 * 480


class DlibEngine:
    """`FaceEngine` over dlib. One instance per process; it is safe to share between threads.

    The raw dlib objects are exposed as `hog`, `cnn`, `shape_predictor` and `recognizer` so the
    benchmark can time them against the pipeline.
    """

    def __init__(self, settings: FaceSettings) -> None:
        self.settings = settings
        self._models: dict[str, Any] = {}
        self._load_lock = threading.Lock()
        # One call at a time per model. The HOG detector loads the image into its own scanner:
        # four threads sharing one detector were measured getting each other's boxes. dlib's
        # nets keep layer outputs inside the object, so the ResNet and mmod are locked too.
        # The shape predictor is stateless and runs unlocked.
        self._hog_lock = threading.Lock()
        self._recognizer_lock = threading.Lock()
        self._cnn_lock = threading.Lock()

    @property
    def model(self) -> EngineModel:
        return dlib_model()

    @property
    def unit_templates(self) -> bool:
        return False

    # --- lazily loaded dlib objects -------------------------------------------------------
    @property
    def hog(self) -> Any:
        return self._model("hog", lambda: dlib.get_frontal_face_detector())

    @property
    def shape_predictor(self) -> Any:
        return self._model("shape_predictor", lambda: dlib.shape_predictor(
            face_recognition_models.pose_predictor_five_point_model_location()))

    @property
    def recognizer(self) -> Any:
        return self._model("recognizer", lambda: dlib.face_recognition_model_v1(
            face_recognition_models.face_recognition_model_location()))

    @property
    def cnn(self) -> Any:
        return self._model("cnn", lambda: dlib.cnn_face_detection_model_v1(
            face_recognition_models.cnn_face_detector_model_location()))

    def _model(self, name: str, load: Callable[[], Any]) -> Any:
        model = self._models.get(name)
        if model is None:
            with self._load_lock:  # two first requests must not both read tens of MB of weights
                model = self._models.get(name)
                if model is None:
                    model = self._models[name] = load()
        return model

    def warm_up(self) -> None:
        """Load the models used on every frame now rather than on the first request."""
        _ = self.model, self.hog, self.shape_predictor, self.recognizer

    # --- FaceEngine ----------------------------------------------------------------------
    def detect(self, image: Image, *, purpose: Purpose = Purpose.PROBE) -> list[FaceBox]:
        image = _as_dlib_image(image)
        boxes = self._detect_hog(image)
        if not boxes and purpose is Purpose.ENROLL and self.settings.cnn_fallback_for_enrollment:
            boxes = self._detect_cnn(image)
        return boxes

    def embed(self, image: Image, box: FaceBox) -> Template:
        image = _as_dlib_image(image)
        rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
        shape = self.shape_predictor(image, rect)
        recognizer = self.recognizer
        with self._recognizer_lock:
            descriptor = recognizer.compute_face_descriptor(image, shape)
        template = np.asarray(descriptor, dtype=np.float32)
        if template.shape != (TEMPLATE_DIM,):
            raise RuntimeError(f"dlib returned a descriptor of shape {template.shape}")
        return template

    def sample(self, image: Image, *, purpose: Purpose) -> FaceSample:
        image = _as_dlib_image(image)
        best = pick_face(self.detect(image, purpose=purpose), purpose=purpose,
                         settings=self.settings)
        check_face(image, best, self.settings)
        return FaceSample(box=best, template=self.embed(image, best))

    # --- detectors -----------------------------------------------------------------------
    def _detect_hog(self, image: Image) -> list[FaceBox]:
        threshold = self.settings.hog_score_threshold
        hog = self.hog
        with self._hog_lock:
            rects, scores, _ = hog.run(image, self.settings.hog_upsample, threshold)
        found = [
            _clip(image, r.left(), r.top(), r.right(), r.bottom(), score=float(s), detector="hog")
            for r, s in zip(rects, scores, strict=True)
            if s >= threshold
        ]
        return _best_first(found)

    def _detect_cnn(self, image: Image) -> list[FaceBox]:
        # mmod's cost grows with pixels (~2 s at 640x480, ~8 s at 900x900 on this machine kind),
        # so a large frame is searched at VGA size and the boxes scaled back.
        small, scale = _shrink_to(image, CNN_MAX_PIXELS)
        cnn = self.cnn
        with self._cnn_lock:
            detections = cnn(small, CNN_UPSAMPLE)
        found = [
            _clip(image, *(round(v / scale) for v in
                           (d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom())),
                  score=float(d.confidence), detector="cnn")
            for d in detections
            if d.confidence >= CNN_MIN_CONFIDENCE
        ]
        return _best_first(found)


@functools.cache
def dlib_model() -> EngineModel:
    """dlib's model: the 5-point predictor and the ResNet that together make a template."""
    return EngineModel("dlib", fingerprint(
        Path(face_recognition_models.pose_predictor_five_point_model_location()),
        Path(face_recognition_models.face_recognition_model_location())))


def _best_first(boxes: list[FaceBox]) -> list[FaceBox]:
    # Never "largest box first": a big false box must not beat a confident small face.
    return sorted((b for b in boxes if b.width > 0 and b.height > 0),
                  key=lambda b: b.score, reverse=True)


def _clip(image: Image, left: int, top: int, right: int, bottom: int, *, score: float,
          detector: str) -> FaceBox:
    h, w = image.shape[:2]
    return FaceBox(
        left=max(0, left), top=max(0, top), right=min(w, right), bottom=min(h, bottom),
        score=score, detector=detector,
    )


def _shrink_to(image: Image, max_pixels: int) -> tuple[Image, float]:
    h, w = image.shape[:2]
    if h * w <= max_pixels:
        return image, 1.0
    scale = math.sqrt(max_pixels / (h * w))
    size = (max(1, int(w * scale)), max(1, int(h * scale)))
    small = PILImage.fromarray(image).resize(size, PILImage.Resampling.BILINEAR, reducing_gap=2.0)
    return np.ascontiguousarray(np.asarray(small, dtype=np.uint8)), scale


def _as_dlib_image(image: Image) -> Image:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 image, got {image.dtype} {image.shape}")
    return np.ascontiguousarray(image)


