"""1:1 comparison of templates: a distance (Euclidean; lower is more alike) and one of three
outcomes from the calibrated thresholds — match, uncertain, no match. An uncertain score never
decides on its own: each caller says what the uncertain band leads to (the mobile path, a
review, a second factor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from keyuan.config.face import FaceSettings
from keyuan.services.faces.engine import TEMPLATE_DIM, Template

Outcome = Literal["match", "uncertain", "no_match"]


@dataclass(frozen=True)
class VerifyResult:
    outcome: Outcome
    distance: float

    @property
    def matched(self) -> bool:
        return self.outcome == "match"

    @property
    def uncertain(self) -> bool:
        return self.outcome == "uncertain"


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


def verify(probe: Template, reference: Template, threshold: float,
           review_threshold: float | None = None) -> VerifyResult:
    """核验: does the probe belong to the claimed person? distance <= threshold is a match;
    <= review_threshold (default: the threshold, i.e. no band) uncertain; beyond, no match."""
    d = distance(probe, reference)
    edge = threshold if review_threshold is None else max(threshold, review_threshold)
    outcome: Outcome = "match" if d <= threshold else "uncertain" if d <= edge else "no_match"
    return VerifyResult(outcome=outcome, distance=d)


def verify_claim(probe: Template, reference: Template, face: FaceSettings,
                 kind: str | None = None) -> VerifyResult:
    """A claimed identity at the calibrated 1:1 thresholds and uncertain band of the engine
    `kind` that made both templates (default: the active engine)."""
    bands = face.thresholds_for(kind or face.engine)
    return verify(probe, reference, bands.verify, bands.verify_review)
