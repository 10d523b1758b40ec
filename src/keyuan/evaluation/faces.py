"""One public test photo -> one template, the way a probe is made, plus what it took to find the
face. Tight crops (LFW-style aligned faces, 112-250 px) often give HOG no margin to work with, so
a photo where nothing is found is padded (and small ones enlarged) and searched again; a small
crop where even that fails may be embedded with the whole crop as the face box. The record says
which of these happened, so a report can count them. Everything stays in memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image as PILImage

from keyuan.config.face import FaceSettings
from keyuan.domain import errors
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceBox, FaceEngine, Image, Purpose, Template
from keyuan.services.faces.quality import check_face, face_crop, sharpness

BoxSource = Literal["detected", "padded", "whole_crop", "none"]
Status = Literal["ok", "no_face", "unreadable"]

PAD_FRACTION = 0.5
"""Border added on every side, as a share of the longer side, before the second search."""
PADDED_MIN_SIDE = 200
"""Crops are enlarged to at least this short side before padding: HOG needs ~80 px faces."""
MAX_CROP_SIDE = 400
"""Only photos no larger than this (on their longer side) count as crops for the whole-crop
fallback: on a larger scene the whole picture is not a face box."""


@dataclass(frozen=True)
class FaceRecord:
    status: Status
    box_source: BoxSource
    quality: str
    """"ok", or the code of the first quality gate the face fails (counted, not enforced:
    evaluation measures the matcher on every face it can embed)."""
    template: Template | None
    detector_score: float = 0.0
    """The detector's confidence in the box (HOG's margin, YuNet's score); 0 for a whole crop."""
    sharpness: float = 0.0
    """Variance of the Laplacian of the face crop (`quality.sharpness`)."""
    face_px: float = 0.0
    """The face box's shorter side in pixels."""


def record_from_bytes(data: bytes, *, engine: FaceEngine, settings: FaceSettings,
                      whole_crop_fallback: bool = True) -> FaceRecord:
    try:
        image = decode_image(data, max_pixels=settings.max_image_pixels,
                             max_bytes=settings.max_image_bytes)
    except (errors.NotAnImage, errors.ImageTruncated, errors.ImageTooLarge) as exc:
        return FaceRecord("unreadable", "none", exc.code, None)
    return record_from_image(image, engine=engine, settings=settings,
                             whole_crop_fallback=whole_crop_fallback)


def record_from_image(image: Image, *, engine: FaceEngine, settings: FaceSettings,
                      whole_crop_fallback: bool = True) -> FaceRecord:
    source: BoxSource = "detected"
    boxes = engine.detect(image, purpose=Purpose.PROBE)
    if not boxes:
        padded = pad_crop(image)
        boxes = engine.detect(padded, purpose=Purpose.PROBE)
        if boxes:
            image, source = padded, "padded"
    if boxes:
        box = boxes[0]
    elif whole_crop_fallback and max(image.shape[:2]) <= MAX_CROP_SIDE:
        h, w = image.shape[:2]
        box, source = FaceBox(0, 0, w, h, score=0.0, detector="whole_crop"), "whole_crop"
    else:
        return FaceRecord("no_face", "none", errors.NoFace.code, None)
    return FaceRecord("ok", source, _quality(image, box, settings), engine.embed(image, box),
                      round(float(box.score), 4), round(sharpness(face_crop(image, box)), 2),
                      float(min(box.width, box.height)))


def pad_crop(image: Image) -> Image:
    """Enlarge a small crop, then surround it with a mid-grey border so the detector sees a face
    with margin around it, as in a camera frame."""
    h, w = image.shape[:2]
    scale = max(1.0, PADDED_MIN_SIDE / min(h, w))
    if scale > 1.0:
        size = (round(w * scale), round(h * scale))
        image = np.asarray(PILImage.fromarray(image).resize(size, PILImage.Resampling.BICUBIC),
                           dtype=np.uint8)
        h, w = image.shape[:2]
    border = round(PAD_FRACTION * max(h, w))
    padded = np.full((h + 2 * border, w + 2 * border, 3), 128, dtype=np.uint8)
    padded[border:border + h, border:border + w] = image
    return padded


def _quality(image: Image, box: FaceBox, settings: FaceSettings) -> str:
    try:
        check_face(image, box, settings)
    except errors.FaceQualityError as exc:
        return exc.code
    return "ok"
