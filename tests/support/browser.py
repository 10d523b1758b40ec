"""Browser-test helpers: a fake camera file made from a public-set photo (in the test's temp
folder, never committed), screenshots as artifacts, and page checks (labels, keyboard)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
FRAME_SIZE = (640, 480)


def letterbox(photo: Image.Image, size: tuple[int, int] = FRAME_SIZE) -> Image.Image:
    """The photo scaled to fit the camera frame, on a neutral grey background."""
    w, h = size
    scale = min(w / photo.width, h / photo.height)
    fitted = photo.convert("RGB").resize((round(photo.width * scale), round(photo.height * scale)))
    frame = Image.new("RGB", size, (128, 128, 128))
    frame.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
    return frame


def write_y4m(frame: Image.Image, path: Path, *, count: int = 8, fps: int = 15) -> Path:
    """A YUV4MPEG2 (4:2:0, JPEG range) clip of `count` frames of one picture, each moved by a
    pixel or two so the "live" frames differ — what Chromium's fake camera plays in a loop."""
    w, h = frame.size
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        base = np.asarray(frame)
        for i in range(count):
            moved = np.roll(base, shift=(i % 3) - 1, axis=1)
            ycc = Image.fromarray(moved).convert("YCbCr")
            y, cb, cr = ycc.split()
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            out.write(cb.resize((w // 2, h // 2), Image.Resampling.BOX).tobytes())
            out.write(cr.resize((w // 2, h // 2), Image.Resampling.BOX).tobytes())
    return path


class Shooter:
    """`shoot(page, "step")` saves a full-page PNG under test-artifacts/screenshots/<test>/."""

    def __init__(self, test_name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)[:120]
        self.count = 0

    def __call__(self, page: object, name: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


# Every form control a person can use must have a name a screen reader reads out.
UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !el.closest('[hidden]'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
               && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""


def unlabelled(page: object) -> list[str]:
    """Form controls without a label (empty list: every input is labelled)."""
    return list(page.evaluate(UNLABELLED_JS))  # type: ignore[attr-defined]
