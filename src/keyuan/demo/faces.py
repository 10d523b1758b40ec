"""Photos for the demos: the public face set (or scikit-image's two bundled photos), read as bytes
and turned into kiosk frames in memory — never written anywhere (C11, C15)."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from importlib import resources
from io import BytesIO
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageEnhance, ImageOps

MAX_SIDE = 800
PHOTOS_EACH = 6
"""Photos a demo visitor needs: three distinct ones to enroll, three others to return."""


def find_face_set() -> Path | None:
    """The public face set: $KEYUAN_FACE_DATA if it holds labels.csv, else ../shared/data/faces
    beside the project root (the directory with pyproject.toml above this package or the cwd)."""
    env = os.environ.get("KEYUAN_FACE_DATA")
    candidates = [Path(env)] if env else []
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        root = next((p for p in (start, *start.parents) if (p / "pyproject.toml").is_file()), None)
        if root is not None:
            candidates.append(root.parent / "shared" / "data" / "faces")
    return next((c for c in candidates if (c / "labels.csv").is_file()), None)


class CannotStart(Exception):
    """The demo has no photos to play with; nothing was run."""


CAMERA_START_MS = 48_250
"""Where a kiosk page's `performance.now()` stands when its camera starts (any ms will do)."""
CAMERA_GAP_MS = 150
"""The kiosk's gap between the frames of one request (kiosk.js)."""


def camera_times(n: int, *, start_ms: int = CAMERA_START_MS) -> tuple[int, ...]:
    """`n` capture times in whole ms as the kiosk's camera stamps them: `CAMERA_GAP_MS` apart,
    give or take a timer's few ms. The liveness check refuses frames without them."""
    return tuple(start_ms + i * CAMERA_GAP_MS + (7 * i) % 5 for i in range(n))


@dataclass(frozen=True)
class FaceMaterial:
    """One visitor's kiosk frames (encoded image bytes, in memory only), each sequence with the
    capture times a camera would give it."""

    source: str
    enroll: tuple[bytes, ...]
    again: tuple[bytes, ...]
    """A return visit: different photos (or augmentations) than the enrollment frames."""
    live: bool = True
    """The frames are distinct pictures of the person, as a live camera gives them. False: one
    photo moved about and re-lit, which the liveness check refuses (`not_live`)."""

    @property
    def enroll_times(self) -> tuple[int, ...]:
        return camera_times(len(self.enroll))

    @property
    def again_times(self) -> tuple[int, ...]:
        return camera_times(len(self.again))


def _open(data: bytes) -> PILImage.Image:
    with PILImage.open(BytesIO(data)) as picture:
        image = ImageOps.exif_transpose(picture).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return image


def _frame(image: PILImage.Image, *, scale: float = 1.0, margin: int = 0,
           shift: tuple[int, int] = (0, 0), brightness: float = 1.0, mirror: bool = False) -> bytes:
    """A kiosk frame: the camera a little closer or off-centre, the light a little different."""
    if scale != 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)),
                             PILImage.Resampling.LANCZOS)
    dx, dy = shift
    image = image.crop((margin + dx, margin + dy, image.width - margin + dx,
                        image.height - margin + dy))
    if brightness != 1.0:
        image = ImageEnhance.Brightness(image).enhance(brightness)
    if mirror:
        image = ImageOps.mirror(image)
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def public_faces(
    root: Path, labels: tuple[str, ...], preferred: tuple[str, ...] = (),
) -> dict[str, FaceMaterial]:
    """Face visitors `labels` from people with >= 6 photos (`preferred` first): enroll from 3
    photos, return with 3 others. Distinct photos of one person are the stand-in for a live
    camera's sequence the public set allows (the person looks different in each)."""
    photos: dict[str, list[str]] = {}
    with (root / "labels.csv").open(newline="", encoding="utf-8") as table:
        for row in csv.DictReader(table):
            photos.setdefault(row["identity"], []).append(row["path"])
    ranked = sorted((p for p, paths in photos.items() if len(paths) >= PHOTOS_EACH),
                    key=lambda p: (preferred.index(p) if p in preferred else len(preferred), p))
    if len(ranked) < len(labels):
        raise CannotStart(f"{root} has fewer than {len(labels)} people with {PHOTOS_EACH} photos")
    faces = {}
    for label, person in zip(labels, ranked, strict=False):
        images = [_open((root / path).read_bytes())
                  for path in sorted(photos[person])[:PHOTOS_EACH]]
        faces[label] = FaceMaterial(
            source=f"{person} (enroll 3 photos, return with 3 others)",
            enroll=tuple(_frame(image) for image in images[:3]),
            again=tuple(_frame(image) for image in images[3:]),
        )
    return faces


def bundled_faces(labels: tuple[str, str]) -> dict[str, FaceMaterial]:
    """scikit-image's astronaut (A) and cameraman (D), augmented: each visitor's frames are ONE
    photo cropped, moved and re-lit — exactly the still-photo attack the liveness check refuses
    (`not_live`), so `live` is False and the demo shows that refusal. The cameraman's face is a
    hard case for HOG, so his kiosk shows more frames."""
    pictures = resources.files("skimage.data")  # scikit-image ships them; read as bytes
    astronaut = _open(pictures.joinpath("astronaut.png").read_bytes())
    camera = _open(pictures.joinpath("camera.png").read_bytes())
    a, d = labels
    return {
        a: FaceMaterial(
            source="scikit-image astronaut (one photo, augmented frames; return mirrored)",
            live=False,
            enroll=(_frame(astronaut, margin=10), _frame(astronaut, margin=26, shift=(12, -8),
                    brightness=1.1), _frame(astronaut, margin=20, shift=(-10, 6), brightness=0.9)),
            again=(_frame(astronaut, margin=40, shift=(4, 10), brightness=1.05, mirror=True),
                   _frame(astronaut, margin=30, shift=(-6, 4), brightness=0.95, mirror=True)),
        ),
        d: FaceMaterial(
            source="scikit-image cameraman (one photo, augmented frames)",
            live=False,
            enroll=tuple(_frame(camera, scale=s, margin=16, shift=(dx, -dx // 2), brightness=b)
                         for s, dx, b in ((1.4, -8, 0.9), (1.4, 0, 1.1), (2.35, 0, 1.0),
                                          (1.25, 0, 1.0))),
            again=tuple(_frame(camera, scale=s, margin=16, brightness=b)
                        for s, b in ((2.35, 0.9), (2.5, 0.9), (2.5, 1.1), (1.4, 0.9), (2.35, 1.1))),
        ),
    }
