"""Frame sequences for face decisions, as a camera gives them (issue 18): several distinct pictures
of one person taken over a moment, each with its capture time — never copies of one still photo,
which the liveness check rightly refuses. Also the attacks it must refuse: one still repeated,
and one still under small warps. Everything stays in memory (frames are bytes, never files).

`Shots` is what a face request carries; `wire()` / `desk_wire()` give the JSON fields and
`cmd()` the command's keyword arguments."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

CAMERA_START_MS = 48_250
"""Where a page's `performance.now()` stands when its camera starts (any non-negative ms)."""
CAMERA_GAP_MS = 150
"""The kiosk's gap between the frames of one request (kiosk.js `verifyReturn`)."""


def camera_times(n: int, *, start_ms: int = CAMERA_START_MS,
                 gap_ms: int = CAMERA_GAP_MS) -> list[int]:
    """`n` capture times in whole ms, `gap_ms` apart give or take a timer's few ms."""
    return [start_ms + i * gap_ms + (7 * i) % 5 for i in range(n)]


def b64(frame: bytes) -> str:
    return base64.b64encode(frame).decode()


@dataclass(frozen=True)
class Shots:
    """A sequence of frames with their capture times, as one face request carries it."""

    frames: tuple[bytes, ...]
    times_ms: tuple[int, ...]

    def wire(self) -> dict[str, Any]:
        """The kiosk's and the rights desk's fields: `frames` and `frame_times_ms`."""
        return {"frames": [b64(f) for f in self.frames], "frame_times_ms": list(self.times_ms)}

    def desk_wire(self) -> dict[str, Any]:
        """The signing desk's fields: `live_frames` and `frame_times_ms`."""
        return {"live_frames": [b64(f) for f in self.frames],
                "frame_times_ms": list(self.times_ms)}

    def cmd(self) -> dict[str, Any]:
        """A face command's keyword arguments (`frames` and `frame_times_ms`)."""
        return {"frames": list(self.frames), "frame_times_ms": list(self.times_ms)}

    def desk_cmd(self) -> dict[str, Any]:
        """A signing command's keyword arguments (`live_frames` and `frame_times_ms`)."""
        return {"live_frames": list(self.frames), "frame_times_ms": list(self.times_ms)}


def shots(frames: Sequence[bytes], *, start_ms: int = CAMERA_START_MS,
          gap_ms: int = CAMERA_GAP_MS) -> Shots:
    """`frames` as taken one after another, `gap_ms` apart."""
    return Shots(tuple(frames), tuple(camera_times(len(frames), start_ms=start_ms,
                                                   gap_ms=gap_ms)))


def jpeg(picture: Image.Image, quality: int = 92) -> bytes:
    out = io.BytesIO()
    picture.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


# --- real photographs (the public face set) -------------------------------------------------

def identity_photos(face_root: Path, identity: str) -> list[Path]:
    """Every still of one person in the public set, in name order."""
    return sorted((face_root / "identities" / identity).glob("*.jpg"))


def photo_shots(photos: Sequence[Path], *, n: int = 3, skip: int = 0,
                start_ms: int = CAMERA_START_MS) -> Shots:
    """`n` distinct photos of one person (after the first `skip`), as one sequence: the
    stand-in for a live camera the public set allows (the person looks different in each)."""
    chosen = photos[skip:skip + n]
    assert len(chosen) == n, f"{len(photos)} photos, {skip} skipped: fewer than {n} left"
    return shots([p.read_bytes() for p in chosen], start_ms=start_ms)


def still_shots(photo: bytes, n: int = 3) -> Shots:
    """The attack the issue names: one still photo shown to the camera, `n` identical frames
    with plausible times."""
    return shots([photo] * n)


WARPS = ((0, 0, 1.0, 0.0), (6, -4, 1.03, 1.5), (-5, 5, 0.97, -2.0), (3, 7, 1.01, 0.8))
"""(dx, dy, scale, degrees): a hand holding a printed photo before the camera."""


def warped_shots(photo: bytes, n: int = 3) -> Shots:
    """One still photo under small moves, zooms and turns (re-encoded each time): not identical
    frames, still a single image (`single_image`)."""
    picture = Image.open(io.BytesIO(photo)).convert("RGB")
    frames = []
    for dx, dy, scale, degrees in WARPS[:n]:
        w, h = picture.size
        moved = picture.rotate(degrees, resample=Image.Resampling.BILINEAR, translate=(dx, dy),
                               fillcolor=(128, 128, 128))
        zoomed = moved.resize((round(w * scale), round(h * scale)), Image.Resampling.BILINEAR)
        left, top = (zoomed.width - w) // 2, (zoomed.height - h) // 2
        canvas = Image.new("RGB", (w, h), (128, 128, 128))
        canvas.paste(zoomed, (-left, -top))
        frames.append(jpeg(canvas, quality=90 - 2 * len(frames)))
    return shots(frames)


# --- the fake engine's people (adapters/biometrics/fake.py: a person is a colour) -------------

def fake_shots(rgb: tuple[int, int, int], n: int = 3, *, size: tuple[int, int] = (160, 160),
               fmt: str = "PNG", seed: int = 0) -> Shots:
    """`n` frames of the fake engine's person `rgb` as a live camera would give them to
    `FakeLandmarker`: the same person, each frame with its own faint texture and landmark
    jitter (`posed_face`), with capture times. What a fake-engine test posts for a face. Black
    (0, 0, 0) is nobody, as for the fake engine: all-black frames, in which no face is found."""
    from keyuan.adapters.biometrics.fake import posed_face, solid_face

    frames = []
    for i in range(n):
        out = io.BytesIO()
        picture = (posed_face(rgb, seed=seed + i + 1, size=size) if any(rgb)
                   else solid_face(rgb, size))
        Image.fromarray(picture).save(out, format=fmt)
        frames.append(out.getvalue())
    return shots(frames)


def fake_still(rgb: tuple[int, int, int], n: int = 3) -> Shots:
    """The fake engine's person as one still photo: `n` identical frames (`frames_identical`)."""
    from keyuan.adapters.biometrics.fake import posed_face

    out = io.BytesIO()
    Image.fromarray(posed_face(rgb, seed=1)).save(out, format="PNG")
    return still_shots(out.getvalue(), n)


def landmarker_for(engine: object) -> Any:
    """The landmarker a test app runs beside `engine`: `FakeLandmarker` beside the fake engine
    (YuNet finds no face in its solid colours), else None — bootstrap's YuNet."""
    from keyuan.adapters.biometrics.fake import FakeEngine, FakeLandmarker

    return FakeLandmarker() if isinstance(engine, FakeEngine) else None


STEP_TARGET = {"turn_left": (32, 0), "turn_right": (-32, 0), "look_up": (0, 16),
               "look_down": (0, -16)}
"""(yaw, pitch) in degrees `posed_face` writes for a challenge step reached."""


def fake_followed(rgb: tuple[int, int, int], steps: Sequence[str], *,
                  size: tuple[int, int] = (160, 160)) -> dict[str, Any]:
    """What liveness.js sends for the fake engine's person `rgb` following a challenge of
    `steps` (`Step`s): facing the camera, then three frames per movement (before moving, on the
    way, there), with capture times and each frame's step — the wire fields `frames`,
    `frame_times_ms`, `frame_steps`."""
    from keyuan.adapters.biometrics.fake import posed_face

    def b64_posed(yaw: int, pitch: int, seed: int) -> str:
        out = io.BytesIO()
        Image.fromarray(posed_face(rgb, yaw, pitch, seed=seed, size=size)).save(out, "PNG")
        return b64(out.getvalue())

    frames, times, tags = [b64_posed(0, 0, 0)], [0], [None]
    for index, step in enumerate(steps):
        yaw, pitch = STEP_TARGET[str(step)]
        for share, at in ((0.0, 150), (0.6, 1400), (1.0, 2450)):
            frames.append(b64_posed(round(yaw * share), round(pitch * share), len(frames)))
            times.append(900 + 2600 * index + at)
            tags.append(index)
    return {"frames": frames, "frame_times_ms": times, "frame_steps": tags}
