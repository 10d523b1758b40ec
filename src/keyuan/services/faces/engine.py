"""Face engine port. The real adapter is `dlib_engine.DlibEngine`; tests of services use
`fake.FakeEngine`. Engine output is a box, a quality verdict, a template and a score only (C12)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
"""An RGB image, shape (h, w, 3), decoded in memory from bytes."""

Template = npt.NDArray[np.float32]
"""A 128-d face template (unit scale as dlib produces it; distances are Euclidean)."""

TEMPLATE_DIM = 128


@dataclass(frozen=True)
class FaceBox:
    left: int
    top: int
    right: int
    bottom: int
    score: float
    detector: str = "hog"

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class FaceSample:
    """One face seen in one frame: where it was and its template."""

    box: FaceBox
    template: Template


class Purpose(StrEnum):
    """Why a face is processed. Enrollment wants one clear face; a probe takes the best one."""

    ENROLL = "enroll"
    PROBE = "probe"


class FaceEngine(Protocol):
    """Detects, gates and embeds faces.

    - `detect` MUST return boxes whose detector score passed the configured threshold, best first.
    - `sample` MUST raise a `FaceQualityError` subclass (errors.py) naming the reason when the frame
      fails a gate: `NoFace`, `MultipleFaces` (enrollment only), `FaceTooSmall`, `FaceTooBlurry`,
      `FaceTooDark`, `FaceTooBright`.
    - Nothing here MAY write an image, crop or template to disk or to a log.
    """

    def detect(self, image: Image, *, purpose: Purpose = Purpose.PROBE) -> list[FaceBox]: ...

    def embed(self, image: Image, box: FaceBox) -> Template: ...

    def sample(self, image: Image, *, purpose: Purpose) -> FaceSample: ...
