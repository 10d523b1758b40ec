"""Detection recall on the public set's hand-labelled group scenes (`detection/training.xml` and
`testing.xml`, dlib imglab format: `<box top left width height>`): how many labelled faces a
detector finds, and how many of its boxes match no labelled face (false boxes)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceBox, Image

LABEL_FILES = ("training.xml", "testing.xml")
MATCH_IOU = 0.4
"""A box finds a labelled face when they overlap this much (the labels are hand-drawn and
detectors draw faces differently: HOG squares, YuNet forehead to chin)."""

Rect = tuple[int, int, int, int]
"""left, top, right, bottom"""


@dataclass(frozen=True)
class Recall:
    labelled: int
    found: int
    false_boxes: int

    @property
    def rate(self) -> float:
        return self.found / self.labelled if self.labelled else 0.0


def labelled_scenes(root: Path) -> list[tuple[Path, list[Rect]]]:
    """(image path, labelled face rectangles) for every labelled scene under `root/detection`."""
    scenes = []
    for name in LABEL_FILES:
        for image in ET.parse(root / "detection" / name).getroot().iter("image"):
            rects = [
                (int(b.get("left", 0)), int(b.get("top", 0)),
                 int(b.get("left", 0)) + int(b.get("width", 0)),
                 int(b.get("top", 0)) + int(b.get("height", 0)))
                for b in image.iter("box")
            ]
            scenes.append((root / "detection" / str(image.get("file")), rects))
    return scenes


def iou(rect: Rect, box: FaceBox) -> float:
    w = min(rect[2], box.right) - max(rect[0], box.left)
    h = min(rect[3], box.bottom) - max(rect[1], box.top)
    inter = max(0, w) * max(0, h)
    union = (rect[2] - rect[0]) * (rect[3] - rect[1]) + box.width * box.height - inter
    return inter / union if union > 0 else 0.0


def measure_recall(scenes: list[tuple[Image, list[Rect]]],
                   detect: Callable[[Image], list[FaceBox]]) -> Recall:
    """Each labelled face is matched to at most one box (its best overlap), each box to at most
    one face; boxes left over are false boxes."""
    labelled = found = false = 0
    for image, rects in scenes:
        unmatched = list(detect(image))
        for rect in rects:
            best = max(unmatched, key=lambda b: iou(rect, b), default=None)
            if best is not None and iou(rect, best) >= MATCH_IOU:
                unmatched.remove(best)
                found += 1
        labelled += len(rects)
        false += len(unmatched)
    return Recall(labelled, found, false)


def load_scenes(root: Path, *, max_pixels: int, max_bytes: int) -> list[tuple[Image, list[Rect]]]:
    """The labelled scenes decoded in memory, as a probe frame would be."""
    return [(decode_image(path.read_bytes(), max_pixels=max_pixels, max_bytes=max_bytes), rects)
            for path, rects in labelled_scenes(root)]
