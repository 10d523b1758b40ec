"""1:1 comparison of templates. Distances are Euclidean over dlib's 128-d space."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keyuan.services.faces.engine import TEMPLATE_DIM, Template


@dataclass(frozen=True)
class VerifyResult:
    matched: bool
    distance: float


def as_template(vector: Template) -> Template:
    """Check a template's shape and values; return it as contiguous float32."""
    template = np.ascontiguousarray(vector, dtype=np.float32)
    if template.shape != (TEMPLATE_DIM,):
        raise ValueError(f"a template has shape ({TEMPLATE_DIM},), not {template.shape}")
    if not np.all(np.isfinite(template)):
        raise ValueError("a template must not contain NaN or infinity")
    return template


def distance(a: Template, b: Template) -> float:
    diff = as_template(a).astype(np.float64) - as_template(b)
    return float(np.sqrt(np.dot(diff, diff)))


def verify(probe: Template, reference: Template, threshold: float) -> VerifyResult:
    """核验: does the probe belong to the claimed person? A match is distance <= threshold."""
    d = distance(probe, reference)
    return VerifyResult(matched=d <= threshold, distance=d)
