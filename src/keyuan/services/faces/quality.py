"""Quality gates on a detected face: size, sharpness, brightness. Pure numpy, no dlib."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from keyuan.config.face import FaceSettings
from keyuan.domain import errors
from keyuan.services.faces.engine import FaceBox, Image, Purpose

GATE_SIZE = 128
"""Face crops are resampled to this square before measuring sharpness, so the score means the same
for an 80 px face and a 600 px one (dlib's own face chips are 150 px)."""

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, as JPEG uses

FloatArray = npt.NDArray[np.float32]


def face_crop(image: Image, box: FaceBox) -> Image:
    """The pixels inside `box`, clipped to the image (a view, not a copy)."""
    h, w = image.shape[:2]
    top, bottom = max(0, box.top), min(h, box.bottom)
    left, right = max(0, box.left), min(w, box.right)
    return image[top:bottom, left:right]


def grey(image: Image) -> FloatArray:
    rgb = image.astype(np.float32)
    return np.asarray(rgb @ _LUMA, dtype=np.float32)


def brightness(crop: Image) -> float:
    """Mean luma, 0-255."""
    if crop.size == 0:
        return 0.0
    return float(grey(crop).mean())


def sharpness(crop: Image) -> float:
    """Variance of the 4-neighbour Laplacian of the grey crop resampled to GATE_SIZE square."""
    if crop.shape[0] < 3 or crop.shape[1] < 3:
        return 0.0
    g = resize_area(grey(crop), GATE_SIZE)
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4.0 * g[1:-1, 1:-1]
    return float(lap.var())


def resize_area(g: FloatArray, size: int) -> FloatArray:
    """Resample a 2-d array to size x size: box-average when shrinking (no aliasing that would
    fake sharpness), bilinear when enlarging."""
    g = _shrink_by_integer_factor(g, size)
    rows = _bilinear_axis(g.shape[0], size)
    cols = _bilinear_axis(g.shape[1], size)
    r0, r1, rw = rows
    c0, c1, cw = cols
    top = g[r0][:, c0] * (1 - cw) + g[r0][:, c1] * cw
    bottom = g[r1][:, c0] * (1 - cw) + g[r1][:, c1] * cw
    return np.asarray(top * (1 - rw[:, None]) + bottom * rw[:, None], dtype=np.float32)


def _shrink_by_integer_factor(g: FloatArray, size: int) -> FloatArray:
    fy, fx = max(1, g.shape[0] // size), max(1, g.shape[1] // size)
    if fy == 1 and fx == 1:
        return g
    h, w = (g.shape[0] // fy) * fy, (g.shape[1] // fx) * fx
    blocks = g[:h, :w].reshape(h // fy, fy, w // fx, fx)
    return np.asarray(blocks.mean(axis=(1, 3)), dtype=np.float32)


IndexArray = npt.NDArray[np.intp]


def _bilinear_axis(n: int, size: int) -> tuple[IndexArray, IndexArray, FloatArray]:
    # Pixel-centre alignment, as Pillow and OpenCV do.
    pos = (np.arange(size, dtype=np.float32) + 0.5) * (n / size) - 0.5
    pos = np.clip(pos, 0, n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def pick_face(boxes: list[FaceBox], *, purpose: Purpose, settings: FaceSettings) -> FaceBox:
    """The face a sample is made of: the best-scoring box (`boxes` come best first). Enrollment
    refuses a second face big enough to be enrolled — it could be the wrong person; one too
    small for the size gate is someone far behind (or a false box) and is ignored."""
    if not boxes:
        raise errors.NoFace()
    if purpose is Purpose.ENROLL:
        rivals = [b for b in boxes[1:] if min(b.width, b.height) >= settings.min_face_px]
        if rivals:
            raise errors.MultipleFaces(faces=1 + len(rivals))
    return boxes[0]


def check_face(image: Image, box: FaceBox, settings: FaceSettings) -> None:
    """Raise the first gate the face fails. Exposure is judged before sharpness because a dark or
    washed-out face also has little contrast, and "too dark" is the advice that fixes it."""
    side = min(box.width, box.height)
    if side < settings.min_face_px:
        raise errors.FaceTooSmall(face_px=side, min_px=settings.min_face_px)
    crop = face_crop(image, box)
    luma = brightness(crop)
    if luma < settings.min_brightness:
        raise errors.FaceTooDark(brightness=round(luma, 1), min_brightness=settings.min_brightness)
    if luma > settings.max_brightness:
        raise errors.FaceTooBright(
            brightness=round(luma, 1), max_brightness=settings.max_brightness
        )
    score = sharpness(crop)
    if score < settings.min_sharpness:
        raise errors.FaceTooBlurry(sharpness=round(score, 1), min_sharpness=settings.min_sharpness)
