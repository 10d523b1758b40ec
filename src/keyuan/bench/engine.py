"""Face engine benchmark: each pipeline step against the raw dlib/numpy calls it wraps, timed in
the same run, interleaved, and compared by medians so machine noise hits both sides alike.

Frames are 640x480 (a kiosk camera): real photos from the public face set when given, otherwise
scikit-image's astronaut. Everything stays in memory."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from statistics import median
from typing import Any

import dlib
import numpy as np
from PIL import Image as PILImage
from skimage import data as skimage_data

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.errors import FaceQualityError
from keyuan.services.faces.engine import TEMPLATE_DIM, FaceBox, Image, Purpose
from keyuan.services.faces.enrollment import enroll_from_frames
from keyuan.services.faces.gallery import Gallery

FRAME_SIZE = (640, 480)
MAX_FRAMES = 12
ROUNDS = {"detect": 5, "embed": 3, "sample": 3, "enroll": 5, "search": 40}
GALLERY_SIZES = (10_000, 100_000, 170_000)
OVERHEAD_TARGET_PCT = 10.0

Out = Callable[[str], object]


def run_engine_bench(
    face: FaceSettings, data_root: Path | None, *, out: Out = print
) -> dict[str, Any]:
    """Print and return per-step latencies (ms, medians) and pipeline overhead vs raw calls."""
    engine = DlibEngine(face)
    started = time.perf_counter()
    engine.warm_up()
    load_ms = _ms(time.perf_counter() - started)
    frames, source = _frames(engine, data_root)
    out(f"engine bench: {len(frames)} frames {FRAME_SIZE[0]}x{FRAME_SIZE[1]} from {source}; "
        f"HOG upsample {face.hog_upsample}, score >= {face.hog_score_threshold}")
    out(f"  model load (HOG + 5-point + ResNet): {load_ms:.0f} ms")
    results: dict[str, Any] = {"frames": len(frames), "source": source, "model_load_ms": load_ms}
    boxes = [engine.detect(f)[0] for f in frames]
    steps: dict[str, tuple[Callable[[int], object], Callable[[int], object], int]] = {
        "detect": (lambda i: _raw_detect(engine, frames[i]),
                   lambda i: engine.detect(frames[i]), len(frames)),
        "embed": (lambda i: _raw_embed(engine, frames[i], boxes[i]),
                  lambda i: engine.embed(frames[i], boxes[i]), len(frames)),
        "sample": (lambda i: raw_sample(engine, frames[i]),
                   lambda i: engine.sample(frames[i], purpose=Purpose.PROBE), len(frames)),
    }
    labels = {"detect": "detection / frame", "embed": "embedding / face",
              "sample": "detect+gates+embed / frame"}
    for name, (raw, pipeline, items) in steps.items():
        results[name] = compare(raw, pipeline, items, ROUNDS[name])
        out(_line(labels[name], results[name]))
    results["enroll"] = _bench_enroll(engine, frames[0], face)
    out(_line("enrollment, 3 JPEG frames", results["enroll"]))
    results["search"] = {}
    for size in GALLERY_SIZES:
        results["search"][size] = stats = _bench_search(size, face)
        out(_line(f"1:N search over {size:,}", stats)
            + f"  (gallery built in {stats['build_ms']:.0f} ms)")
    return results


# --- the raw references: exactly the library calls the pipeline wraps ----------------------
def _raw_detect(engine: DlibEngine, frame: Image) -> object:
    s = engine.settings
    return engine.hog.run(frame, s.hog_upsample, s.hog_score_threshold)


def _raw_embed(engine: DlibEngine, frame: Image, box: FaceBox) -> object:
    shape = engine.shape_predictor(frame, dlib.rectangle(box.left, box.top, box.right, box.bottom))
    return engine.recognizer.compute_face_descriptor(frame, shape)


def raw_sample(engine: DlibEngine, frame: Image) -> object:
    s = engine.settings
    rects, _, _ = engine.hog.run(frame, s.hog_upsample, s.hog_score_threshold)
    shape = engine.shape_predictor(frame, rects[0])
    return engine.recognizer.compute_face_descriptor(frame, shape)


def _bench_enroll(engine: DlibEngine, frame: Image, face: FaceSettings) -> dict[str, float]:
    shots = [jpeg(shifted(frame, dx, dy, gain)) for dx, dy, gain in
             ((8, 0, 0.95), (0, -8, 1.05), (-8, 8, 1.0))]

    def raw(_: int) -> object:
        templates = []
        for data in shots:
            image = np.asarray(PILImage.open(BytesIO(data)).convert("RGB"))
            templates.append(np.asarray(raw_sample(engine, image), dtype=np.float32))
        return np.mean(templates, axis=0)

    def pipeline(_: int) -> object:
        return enroll_from_frames(shots, engine=engine, settings=face)

    return compare(raw, pipeline, 1, ROUNDS["enroll"])


def _bench_search(size: int, face: FaceSettings) -> dict[str, float]:
    rng = np.random.default_rng(size)
    # dlib-like: a shared offset (|mean| ~1.4) plus per-person spread (strangers ~0.9 apart).
    offset = rng.normal(0.0, 0.12, TEMPLATE_DIM).astype(np.float32)
    matrix = (offset + rng.normal(0.0, 0.056, (size, TEMPLATE_DIM))).astype(np.float32)
    started = time.perf_counter()
    gallery = Gallery()
    gallery.add_many([f"p{i:06d}" for i in range(size)], matrix)
    build_ms = _ms(time.perf_counter() - started)
    norms = np.einsum("ij,ij->i", matrix, matrix)
    probes = matrix[rng.integers(0, size, ROUNDS["search"])] + rng.normal(
        0.0, 0.02, (ROUNDS["search"], TEMPLATE_DIM)).astype(np.float32)

    def raw(i: int) -> object:
        return int(np.argmin(norms - 2.0 * (matrix @ probes[i])))

    def pipeline(i: int) -> object:
        return gallery.identify(probes[i], face.identify_threshold, face.identify_review_threshold)

    stats = compare(raw, pipeline, ROUNDS["search"], 1)
    stats["build_ms"] = build_ms
    return stats


# --- timing ------------------------------------------------------------------------------
def compare(
    raw: Callable[[int], object], pipeline: Callable[[int], object], items: int, rounds: int
) -> dict[str, float]:
    """Time raw and pipeline on the same items, alternating which goes first; overhead is the
    median paired difference over the median raw time."""
    raw_times: list[float] = []
    pipe_times: list[float] = []
    for r in range(rounds):
        for i in range(items):
            if (r + i) % 2 == 0:
                raw_times.append(_time(raw, i))
                pipe_times.append(_time(pipeline, i))
            else:
                pipe_times.append(_time(pipeline, i))
                raw_times.append(_time(raw, i))
    raw_ms, pipe_ms = median(raw_times), median(pipe_times)
    paired = median(p - q for p, q in zip(pipe_times, raw_times, strict=True))
    return {"raw_ms": raw_ms, "pipeline_ms": pipe_ms, "overhead_ms": paired,
            "overhead_pct": 100.0 * paired / raw_ms}


def _time(fn: Callable[[int], object], i: int) -> float:
    started = time.perf_counter()
    fn(i)
    return _ms(time.perf_counter() - started)


def _line(label: str, stats: dict[str, float]) -> str:
    flag = "" if stats["overhead_pct"] < OVERHEAD_TARGET_PCT else "  (over target)"
    return (f"  {label:<28} raw {stats['raw_ms']:8.2f} ms   pipeline {stats['pipeline_ms']:8.2f} ms"
            f"   overhead {stats['overhead_pct']:+6.1f}% ({stats['overhead_ms']:+.3f} ms;"
            f" target < {OVERHEAD_TARGET_PCT:.0f}%)" + flag)


def _ms(seconds: float) -> float:
    return seconds * 1000.0


# --- frames ------------------------------------------------------------------------------
def _frames(engine: DlibEngine, data_root: Path | None) -> tuple[list[Image], str]:
    """Frames on which the whole pipeline succeeds, so both sides time the same work."""
    usable: list[Image] = []
    for frame in _candidate_frames(data_root):
        try:
            engine.sample(frame, purpose=Purpose.PROBE)
        except FaceQualityError:
            continue
        usable.append(frame)
        if len(usable) == MAX_FRAMES:
            break
    if usable and data_root is not None:
        return usable, f"{data_root}/identities"
    astronaut = astronaut_frame()
    variants = [shifted(astronaut, dx, 0, 1.0) for dx in (0, 8, 16, -8)]
    return variants, "skimage.data.astronaut()"


def _candidate_frames(data_root: Path | None) -> Iterator[Image]:
    if data_root is None:
        return
    by_person: dict[str, list[Path]] = {}
    for path in sorted((data_root / "identities").glob("*/*.jpg")):
        by_person.setdefault(path.parent.name, []).append(path)
    # One photo per person first, so the frames are as varied as the set allows.
    for k in range(max((len(v) for v in by_person.values()), default=0)):
        for photos in by_person.values():
            if k < len(photos):
                with PILImage.open(photos[k]) as photo:
                    yield _letterbox(np.asarray(photo.convert("RGB")))


def _letterbox(image: Image) -> Image:
    h, w = image.shape[:2]
    scale = min(FRAME_SIZE[0] / w, FRAME_SIZE[1] / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resized = np.asarray(PILImage.fromarray(image).resize(size, PILImage.Resampling.BILINEAR))
    frame = np.zeros((FRAME_SIZE[1], FRAME_SIZE[0], 3), np.uint8)
    top, left = (FRAME_SIZE[1] - size[1]) // 2, (FRAME_SIZE[0] - size[0]) // 2
    frame[top : top + size[1], left : left + size[0]] = resized
    return frame


def shifted(image: Image, dx: int, dy: int, gain: float) -> Image:
    """The next camera frame: moved a few pixels (padded, not wrapped), light changed a bit."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
    ]
    return np.asarray(np.clip(out.astype(np.float32) * gain, 0, 255), dtype=np.uint8)


def jpeg(image: Image) -> bytes:
    buffer = BytesIO()  # in memory: frames are never written to disk
    PILImage.fromarray(image).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def astronaut_frame() -> Image:
    # Cropped, not scaled: scaling 512 -> 480 would leave its 87 px face near the 80 px gate.
    astronaut: Callable[[], Image] = skimage_data.astronaut
    frame = np.zeros((FRAME_SIZE[1], FRAME_SIZE[0], 3), np.uint8)
    frame[:, 64:576] = astronaut()[: FRAME_SIZE[1]]
    return frame
