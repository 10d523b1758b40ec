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


@dataclass(frozen=True)
class FaceMaterial:
    """One visitor's kiosk frames (encoded image bytes, in memory only)."""

    source: str
    enroll: tuple[bytes, ...]
    again: tuple[bytes, ...]
    """A return visit: a different photo or augmentation than the enrollment frames."""


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
    """Face visitors `labels` from people with >= 4 photos (`preferred` first): enroll from 3
    photos, return with a 4th."""
    photos: dict[str, list[str]] = {}
    with (root / "labels.csv").open(newline="", encoding="utf-8") as table:
        for row in csv.DictReader(table):
            photos.setdefault(row["identity"], []).append(row["path"])
    ranked = sorted((p for p, paths in photos.items() if len(paths) >= 4), key=lambda p: (
        preferred.index(p) if p in preferred else len(preferred), p))
    if len(ranked) < len(labels):
        raise CannotStart(f"{root} has fewer than {len(labels)} people with 4 photos")
    faces = {}
    for label, person in zip(labels, ranked, strict=False):
        images = [_open((root / path).read_bytes()) for path in sorted(photos[person])[:4]]
        faces[label] = FaceMaterial(
            source=f"{person} (enroll 3 photos, return with a 4th)",
            enroll=tuple(_frame(image) for image in images[:3]),
            again=(_frame(images[3]), _frame(images[3], margin=8, shift=(6, -4), brightness=0.92)),
        )
    return faces


def bundled_faces(labels: tuple[str, str]) -> dict[str, FaceMaterial]:
    """scikit-image's astronaut (A) and cameraman (D), augmented. The cameraman's face is a hard
    case for HOG, so his kiosk shows more frames; the services drop the ones without a face."""
    pictures = resources.files("skimage.data")  # scikit-image ships them; read as bytes
    astronaut = _open(pictures.joinpath("astronaut.png").read_bytes())
    camera = _open(pictures.joinpath("camera.png").read_bytes())
    a, d = labels
    return {
        a: FaceMaterial(
            source="scikit-image astronaut (augmented frames; return mirrored)",
            enroll=(_frame(astronaut, margin=10), _frame(astronaut, margin=26, shift=(12, -8),
                    brightness=1.1), _frame(astronaut, margin=20, shift=(-10, 6), brightness=0.9)),
            again=(_frame(astronaut, margin=40, shift=(4, 10), brightness=1.05, mirror=True),
                   _frame(astronaut, margin=30, shift=(-6, 4), brightness=0.95, mirror=True)),
        ),
        d: FaceMaterial(
            source="scikit-image cameraman (augmented frames)",
            enroll=tuple(_frame(camera, scale=s, margin=16, shift=(dx, -dx // 2), brightness=b)
                         for s, dx, b in ((1.4, -8, 0.9), (1.4, 0, 1.1), (2.35, 0, 1.0),
                                          (1.25, 0, 1.0))),
            again=tuple(_frame(camera, scale=s, margin=16, brightness=b)
                        for s, b in ((2.35, 0.9), (2.5, 0.9), (2.5, 1.1), (1.4, 0.9), (2.35, 1.1))),
        ),
    }
