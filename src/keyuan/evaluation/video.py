"""Recorded video, for measuring only (C13): `keyuan bench capture` reads the public set's clip
with this, and nothing that records visits may import it (the `recorded-footage-measures-only`
import contract). Visits come from live streams alone (`adapters/capture/pull.py`)."""

from __future__ import annotations

import time
from collections.abc import Generator
from datetime import datetime, timedelta

from tqdm import tqdm

from keyuan.adapters.capture.pull import Frame, open_source, rgb
from keyuan.domain.capture.errors import CaptureSourceError


def file_frames(path: str, fps: float, start: datetime, *,
                progress: bool = True) -> Generator[Frame, None, None]:
    """Every (native fps / fps)-th frame, timed from `start` by its position in the file.
    Raises CaptureSourceError when the file cannot be opened or ends before its declared length
    (a stream that died mid-file), after yielding what it could read."""
    import cv2  # heavy: loaded by the first read

    capture = open_source(path)
    if capture is None:
        raise CaptureSourceError(f"Cannot open video {path!r}.")
    native = capture.get(cv2.CAP_PROP_FPS) or fps
    declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    step = max(1.0, native / fps)
    bar = tqdm(total=declared or None, unit="frame", disable=not progress, desc="video")
    index, next_pick = 0, 0.0
    try:
        while capture.grab():
            if index >= next_pick:
                ok, bgr = capture.retrieve()
                if not ok:
                    break
                next_pick += step
                yield Frame(start + timedelta(seconds=index / native), rgb(bgr),
                            time.perf_counter())
            index += 1
            bar.update(1)
    finally:
        bar.close()
        capture.release()
    if declared and index < declared - 1:
        raise CaptureSourceError(f"The video ended at frame {index} of {declared}.",
                                 frames_read=index, frames_declared=declared)
