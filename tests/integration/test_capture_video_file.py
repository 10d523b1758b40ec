"""Reading a video file, for measuring only (C13: `keyuan bench capture` reads its clip with it;
pulls that record visits take live streams only): sampling at the set rate, and a file that
dies mid-way is an error that names where it stopped (after the frames it could read were
delivered)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from keyuan.domain.capture.errors import CaptureSourceError
from keyuan.evaluation.video import file_frames

cv2 = pytest.importorskip("cv2")
START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
FRAMES, NATIVE_FPS = 60, 20.0


def gradient_video(path: Path) -> Path:
    """A synthetic clip of moving gradients: nothing a face detector could find."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), NATIVE_FPS, (64, 48))
    ramp = np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None].repeat(48, 0).repeat(3, 2)
    for n in range(FRAMES):
        writer.write(np.roll(ramp, n, axis=1))
    writer.release()
    return path


def test_c13_the_bench_reads_a_file_sampled_at_the_set_rate_and_timed_by_its_position(
    tmp_path: Path,
) -> None:
    frames = list(file_frames(str(gradient_video(tmp_path / "clip.avi")), 5.0, START,
                              progress=False))
    assert len(frames) == FRAMES // 4
    assert [(f.captured_at - START).total_seconds() for f in frames[:3]] == [0.0, 0.2, 0.4]
    assert frames[0].image.shape == (48, 64, 3) and frames[0].image.dtype == np.uint8


def test_a_file_that_dies_mid_way_is_a_clear_error_after_what_could_be_read(
    tmp_path: Path,
) -> None:
    path = gradient_video(tmp_path / "clip.avi")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    got = []
    with pytest.raises(CaptureSourceError, match="ended at frame"):
        got.extend(file_frames(str(path), NATIVE_FPS, START, progress=False))
    assert 0 < len(got) < FRAMES


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureSourceError, match="Cannot open"):
        list(file_frames(str(tmp_path / "absent.mp4"), 2.0, START, progress=False))
