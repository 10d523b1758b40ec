"""A deterministic `FaceEngine` for unit tests of services: no dlib, no models, microseconds.

How a test draws people with numpy (see `solid_face`):

- The face's identity is its **median colour**, quantised to `COLOUR_STEP` levels per channel:
  images of the same quantised colour are the same person (distance 0.0); different colours are
  different people (random 128-d vectors, distance about 1.4, far beyond any threshold).
- An all-black image has no face -> `NoFace`.
- A magenta pixel at [0, 0] (`MULTI_FACE_MARKER`) means two faces: the left half (best) and the
  right half, each with its own colour. Enrollment refuses it -> `MultipleFaces`; a probe takes
  the left one.
- Size and brightness gates are the real ones (`quality.check_face`) applied to the box;
  sharpness is not judged (a solid colour has none). Pass `fail_with` to make every `sample`
  raise a given error instead.
"""

from __future__ import annotations

import numpy as np

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
from keyuan.services.faces.quality import check_face, face_crop

COLOUR_STEP = 16
FAKE_FINGERPRINT = "fake"
MULTI_FACE_MARKER = (255, 0, 255)


def solid_face(rgb: tuple[int, int, int], size: tuple[int, int] = (480, 640)) -> Image:
    """An image the fake engine sees as one face of the person `rgb`."""
    image = np.empty((*size, 3), dtype=np.uint8)
    image[:] = rgb
    return image


def two_faces(left: tuple[int, int, int], right: tuple[int, int, int]) -> Image:
    """An image the fake engine sees as two people side by side."""
    image = solid_face(left)
    image[:, image.shape[1] // 2 :] = right
    image[0, 0] = MULTI_FACE_MARKER
    return image


class FakeEngine:
    def __init__(
        self,
        settings: FaceSettings | None = None,
        *,
        fail_with: errors.FaceQualityError | None = None,
        model: EngineModel | None = None,
    ) -> None:
        # model_validate({}) rather than FaceSettings(): mypy without the pydantic plugin
        # does not see Field's positional defaults.
        self.settings = settings or FaceSettings.model_validate({})
        self.fail_with = fail_with
        # The fake stands in for the configured engine kind, so that engine's thresholds apply
        # (its distances, 0.0 or about 1.4, fall clearly on either side of any of them).
        self.model = model or EngineModel(self.settings.engine, FAKE_FINGERPRINT)
        self.unit_templates = True
        self.calls: list[str] = []

    def warm_up(self) -> None:
        """Nothing to load."""

    def detect(self, image: Image, *, purpose: Purpose = Purpose.PROBE) -> list[FaceBox]:
        self.calls.append("detect")
        h, w = image.shape[:2]
        if not image.any():
            return []
        if tuple(int(v) for v in image[0, 0]) == MULTI_FACE_MARKER:
            return [FaceBox(0, 0, w // 2, h, 1.0, "fake"), FaceBox(w // 2, 0, w, h, 0.9, "fake")]
        return [FaceBox(0, 0, w, h, 1.0, "fake")]

    def embed(self, image: Image, box: FaceBox) -> Template:
        self.calls.append("embed")
        crop = face_crop(image, box).reshape(-1, 3)
        colour = np.median(crop, axis=0).astype(np.int64) // COLOUR_STEP
        seed = int(colour[0] * 65536 + colour[1] * 256 + colour[2])
        vector = np.random.default_rng(seed).normal(size=TEMPLATE_DIM)
        return (vector / np.linalg.norm(vector)).astype(np.float32)

    def sample(self, image: Image, *, purpose: Purpose) -> FaceSample:
        if self.fail_with is not None:
            raise self.fail_with
        boxes = self.detect(image, purpose=purpose)
        if not boxes:
            raise errors.NoFace()
        if purpose is Purpose.ENROLL and len(boxes) > 1:
            raise errors.MultipleFaces(faces=len(boxes))
        best = boxes[0]
        _check_size_and_light(image, best, self.settings)
        return FaceSample(box=best, template=self.embed(image, best))


def _check_size_and_light(image: Image, box: FaceBox, settings: FaceSettings) -> None:
    # Sharpness is switched off by a zero gate: solid colours have no edges to measure.
    check_face(image, box, settings.model_copy(update={"min_sharpness": 0.0}))


# --- landmarks, for liveness (services.faces.liveness) ----------------------------------
POSE_MARKER_PIXEL = (0, 1)
"""Where `posed_face` writes the head pose the fake landmarker reads back: red is yaw (128 +
degrees), green is pitch (128 + degrees), blue a jitter seed; pixel (0, 2) is then
`POSE_SENTINEL`."""
POSE_SENTINEL = (1, 254, 1)


def synthetic_landmarks(yaw_deg: float, pitch_deg: float, *, centre: tuple[float, float] = (
        80.0, 80.0), scale: float = 40.0, jitter: float = 0.0,
        seed: int = 0) -> tuple[tuple[float, float], ...]:
    """YuNet's five points for a head turned `yaw_deg` to the person's own left (negative: right)
    and tilted `pitch_deg` up, seen by a camera that does not mirror: a rigid 3D face (eyes and
    mouth on a plane, the nose tip 0.6 eye distances in front) projected orthographically.
    `jitter` adds that many eye distances of deterministic noise per coordinate."""
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    face = np.array([[-0.5, 0.0, 0.0], [0.5, 0.0, 0.0], [0.0, 0.55, 0.6],
                     [-0.4, 1.0, 0.05], [0.4, 1.0, 0.05]])
    face[:, 1] -= 0.5  # turn about the face's middle
    x = face[:, 0] * np.cos(yaw) + face[:, 2] * np.sin(yaw)
    z = -face[:, 0] * np.sin(yaw) + face[:, 2] * np.cos(yaw)
    y = face[:, 1] * np.cos(pitch) - z * np.sin(pitch)
    noise = np.random.default_rng(seed).normal(0.0, jitter, (5, 2)) if jitter else 0.0
    points = np.stack([x, y], axis=1) + noise
    return tuple((float(centre[0] + scale * px), float(centre[1] + scale * py))
                 for px, py in points)


def posed_face(rgb: tuple[int, int, int], yaw_deg: int = 0, pitch_deg: int = 0, *,
               seed: int = 0, size: tuple[int, int] = (160, 160)) -> Image:
    """A face of the person `rgb` (see `solid_face`) whose head pose `FakeLandmarker` reads as
    given, with a faint per-`seed` blotchy texture (8 px blocks, ±3 grey levels) so that frames
    of one sequence differ as a camera's do (the person, the median colour, stays the same)."""
    image = solid_face(rgb, size).astype(np.int16)
    blocks = np.random.default_rng(seed).integers(-3, 4, (size[0] // 8 + 1, size[1] // 8 + 1, 3),
                                                  dtype=np.int16)
    image += blocks.repeat(8, axis=0).repeat(8, axis=1)[:size[0], :size[1]]
    out = np.clip(image, 0, 255).astype(np.uint8)
    out[POSE_MARKER_PIXEL] = (128 + yaw_deg, 128 + pitch_deg, seed % 256)
    out[0, 2] = POSE_SENTINEL
    return out


class FakeLandmarker:
    """A `Landmarker` for unit tests of services: no face in an all-black frame, else one face
    filling the frame whose five points show the pose `posed_face` wrote (facing the camera when
    none was written), with a little per-seed jitter."""

    def faces(self, image: Image) -> list[FaceBox]:
        h, w = image.shape[:2]
        if not image.any():
            return []
        r, g, b = (int(v) for v in image[POSE_MARKER_PIXEL])
        posed = tuple(int(v) for v in image[0, 2]) == POSE_SENTINEL
        yaw, pitch = (r - 128, g - 128) if posed else (0, 0)
        points = synthetic_landmarks(yaw, pitch, centre=(w / 2, h / 2), scale=min(w, h) / 4,
                                     jitter=0.01, seed=b)
        return [FaceBox(0, 0, w, h, 1.0, "fake", landmarks=points)]
