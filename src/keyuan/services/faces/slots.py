"""A cap on concurrent face work in one server process: a face request waits a little for one of
`size` slots, then is refused (`FaceBusy`, 503 with `Retry-After`) instead of queueing behind
minutes of CPU while normal requests slow down."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from keyuan.domain.errors import FaceBusy, FrameTimesMismatch, TooManyFrames


class FaceSlots:
    def __init__(self, size: int, wait_seconds: float) -> None:
        self.size = size
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """One slot for the duration of the block, or `FaceBusy` after `wait_seconds`."""
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise FaceBusy(retry_after=max(1, math.ceil(self.wait_seconds)))
        try:
            yield
        finally:
            self._slots.release()


def require_frame_count(frames: list[bytes], limit: int) -> None:
    """Refuse more images than one face request may carry, before any is decoded."""
    if len(frames) > limit:
        raise TooManyFrames(f"At most {limit} images per request; {len(frames)} were sent.")


def require_frame_times(frames: Sequence[bytes], times: Sequence[int] | None) -> None:
    """Each frame its own capture time (ms, the client's clock) or none at all, before any frame
    is decoded: a count that differs is `FrameTimesMismatch`. No times at all is the liveness
    check's to refuse (`timestamps_missing`), with words the visitor can act on."""
    if times is not None and len(times) != len(frames):
        raise FrameTimesMismatch(f"{len(frames)} frames but {len(times)} capture times.")
