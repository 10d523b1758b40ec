"""Raw dlib, the benchmarks' fixed reference: the library's own HOG detector, 5-point predictor
and ResNet, built here straight from `dlib` and the weight files, with none of keyuan's engine
code (no locks, no gates, no box handling). Every engine is timed as a ratio against this."""

from __future__ import annotations

import functools
from typing import Any

import dlib
import face_recognition_models
import numpy as np

from keyuan.services.faces.engine import Image


class RawDlib:
    """dlib's calls exactly as its documentation chains them."""

    def __init__(self, *, upsample: int = 0, threshold: float = 0.0) -> None:
        self.upsample, self.threshold = upsample, threshold

    @functools.cached_property
    def hog(self) -> Any:
        return dlib.get_frontal_face_detector()

    @functools.cached_property
    def shape_predictor(self) -> Any:
        return dlib.shape_predictor(
            face_recognition_models.pose_predictor_five_point_model_location())

    @functools.cached_property
    def recognizer(self) -> Any:
        return dlib.face_recognition_model_v1(
            face_recognition_models.face_recognition_model_location())

    def load(self) -> None:
        _ = self.hog, self.shape_predictor, self.recognizer

    def detect(self, frame: Image) -> Any:
        rects, _, _ = self.hog.run(frame, self.upsample, self.threshold)
        return rects

    def descriptor(self, frame: Image, rect: Any) -> Any:
        return self.recognizer.compute_face_descriptor(frame, self.shape_predictor(frame, rect))

    def sample(self, frame: Image) -> Any:
        """Detect, then embed the first face (None when HOG finds nothing)."""
        rects = self.detect(frame)
        return self.descriptor(frame, rects[0]) if rects else None

    def template(self, frame: Image) -> Any:
        found = self.sample(frame)
        return None if found is None else np.asarray(found, dtype=np.float32)
