"""Attack frames for measuring liveness (evaluation and tests only): one still photo repeated,
or moved about by small similarity warps with sensor-like noise and JPEG re-encoding, as a phone
held up to the kiosk camera would give. Never used by anything that decides a visit."""

from __future__ import annotations

import io
import math
from random import Random

import numpy as np
from PIL import Image as PILImage

from keyuan.services.faces.engine import Image


def encode_jpeg(image: Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    PILImage.fromarray(np.ascontiguousarray(image)).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def warped_copy(image: Image, rng: Random, *, max_shift: float = 0.03,
                max_angle_deg: float = 4.0, max_scale: float = 0.04,
                noise_sigma: float = 3.0) -> bytes:
    """`image` under a small random similarity warp (shift up to `max_shift` of the side, turn
    up to `max_angle_deg`, scale by up to `max_scale`), Gaussian noise and a JPEG re-encode at a
    random quality (70-95)."""
    h, w = image.shape[:2]
    angle = math.radians(rng.uniform(-max_angle_deg, max_angle_deg))
    scale = 1.0 + rng.uniform(-max_scale, max_scale)
    dx, dy = rng.uniform(-max_shift, max_shift) * w, rng.uniform(-max_shift, max_shift) * h
    cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
    cx, cy = w / 2, h / 2
    # PIL maps output (x, y) to input (a x + b y + c, d x + e y + f): the inverse warp
    a, b, d, e = cos, sin, -sin, cos
    c = cx - a * (cx + dx) - b * (cy + dy)
    f = cy - d * (cx + dx) - e * (cy + dy)
    warped = PILImage.fromarray(np.ascontiguousarray(image)).transform(
        (w, h), PILImage.Transform.AFFINE, (a, b, c, d, e, f),
        resample=PILImage.Resampling.BILINEAR, fillcolor=(128, 128, 128))
    pixels = np.asarray(warped, dtype=np.float32)
    noise = np.random.default_rng(rng.getrandbits(32)).normal(0.0, noise_sigma, pixels.shape)
    noisy = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    return encode_jpeg(noisy, quality=rng.randint(70, 95))
