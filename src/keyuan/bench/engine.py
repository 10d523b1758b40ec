"""Face engine benchmark: raw dlib (the library's calls, `raw_dlib.RawDlib`), the dlib engine and
the SFace engine timed in one run, interleaved, and compared by medians so machine noise hits all
three alike: detection per 640x480 frame, embedding per face, a full sample, a 3-frame
enrollment, each as a ratio to raw dlib. Then detection recall on the public set's labelled
scenes (HOG without and with upsampling, YuNet) and 1:N search over large galleries.

Frames are 640x480 (a kiosk camera): real photos from the public face set when given, otherwise
scikit-image's astronaut. Everything stays in memory."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
from PIL import Image as PILImage
from skimage import data as skimage_data

from keyuan.adapters.biometrics.engines import make_engine
from keyuan.bench.detection import load_scenes, measure_recall
from keyuan.bench.raw_dlib import RawDlib
from keyuan.config.face import FaceSettings
from keyuan.domain.errors import FaceQualityError
from keyuan.services.faces.engine import TEMPLATE_DIM, FaceEngine, Image, Purpose
from keyuan.services.faces.enrollment import enroll_from_frames
from keyuan.services.faces.gallery import Gallery

FRAME_SIZE = (640, 480)
MAX_FRAMES = 12
ROUNDS = {"detect": 5, "embed": 3, "sample": 3, "enroll": 5, "search": 40}
GALLERY_SIZES = (10_000, 100_000, 170_000)
OVERHEAD_TARGET_PCT = 10.0
ENGINES = ("dlib", "sface")
RAW = "raw dlib"

Out = Callable[[str], object]
Timed = Callable[[int], object]


def run_engine_bench(
    face: FaceSettings, data_root: Path | None, *, out: Out = print
) -> dict[str, Any]:
    """Print and return per-step medians (ms) of raw dlib and both engines, their ratios to raw
    dlib, detection recall per detector, and 1:N search latency."""
    raw = RawDlib(upsample=face.hog_upsample, threshold=face.hog_score_threshold)
    settings = {kind: face.model_copy(update={"engine": kind}) for kind in ENGINES}
    engines = {kind: make_engine(settings[kind]) for kind in ENGINES}
    load_ms = {RAW: _timed_ms(raw.load)} | {
        kind: _timed_ms(engine.warm_up) for kind, engine in engines.items()}
    frames, source = _frames(raw, engines, data_root)
    out(f"engine bench: {len(frames)} frames {FRAME_SIZE[0]}x{FRAME_SIZE[1]} from {source}; "
        f"HOG upsample {face.hog_upsample}, score >= {face.hog_score_threshold}; YuNet score >= "
        f"{face.yunet_score_threshold}; models: "
        + ", ".join(f"{kind} {engines[kind].model.tag}" for kind in ENGINES))
    out("  model load (and hash check): " + ", ".join(
        f"{_name(k)} {v:.0f} ms" for k, v in load_ms.items()))
    results: dict[str, Any] = {"frames": len(frames), "source": source, "model_load_ms": load_ms,
                               "models": {k: e.model.tag for k, e in engines.items()}}
    for name, (label, fns, items) in _steps(raw, engines, settings, frames).items():
        results[name] = stats = side_by_side(fns, items, ROUNDS[name])
        out(_ratio_line(label, stats))
    results["recall"] = _bench_recall(face, engines["sface"], data_root, out)
    results["search"] = {}
    for size in GALLERY_SIZES:
        results["search"][size] = stats = _bench_search(size, face)
        out(_line(f"1:N search over {size:,}", stats)
            + f"  (gallery built in {stats['build_ms']:.0f} ms)")
    return results


def _steps(raw: RawDlib, engines: dict[str, FaceEngine], settings: dict[str, FaceSettings],
           frames: list[Image]) -> dict[str, tuple[str, dict[str, Timed], int]]:
    """Per step: its label, the callables timed side by side (raw dlib first), the item count."""
    rects = [raw.detect(f)[0] for f in frames]
    boxes = {kind: [e.detect(f)[0] for f in frames] for kind, e in engines.items()}
    shots = _enrollment_shots(frames[0])

    def per_engine(make: Callable[[str, FaceEngine], Timed]) -> dict[str, Timed]:
        return {kind: make(kind, engine) for kind, engine in engines.items()}

    def raw_enroll(_: int) -> object:
        templates = [raw.template(np.asarray(PILImage.open(BytesIO(d)).convert("RGB")))
                     for d in shots]
        return np.mean(templates, axis=0)

    return {
        "detect": ("detection / 640x480 frame", {
            RAW: lambda i: raw.detect(frames[i]),
            **per_engine(lambda _, e: lambda i: e.detect(frames[i]))}, len(frames)),
        "embed": ("embedding / face", {
            RAW: lambda i: raw.descriptor(frames[i], rects[i]),
            **per_engine(lambda k, e: lambda i: e.embed(frames[i], boxes[k][i]))}, len(frames)),
        "sample": ("full sample (detect+gates+embed)", {
            RAW: lambda i: raw.sample(frames[i]),
            **per_engine(lambda _, e: lambda i: e.sample(frames[i], purpose=Purpose.PROBE))},
            len(frames)),
        "enroll": ("enrollment, 3 JPEG frames", {
            RAW: raw_enroll,
            **per_engine(lambda k, e: lambda _: enroll_from_frames(
                shots, engine=e, settings=settings[k]))}, 1),
    }


def _enrollment_shots(frame: Image) -> list[bytes]:
    return [jpeg(shifted(frame, dx, dy, gain)) for dx, dy, gain in
            ((8, 0, 0.95), (0, -8, 1.05), (-8, 8, 1.0))]


def _bench_recall(face: FaceSettings, sface: FaceEngine, data_root: Path | None,
                  out: Out) -> dict[str, dict[str, float]]:
    """Labelled faces found and false boxes per detector on the public set's group scenes."""
    if data_root is None or not (data_root / "detection" / "training.xml").is_file():
        out("  detection recall: the public set's labelled scenes are absent; not measured")
        return {}
    scenes = load_scenes(data_root, max_pixels=face.max_image_pixels,
                         max_bytes=face.max_image_bytes)
    detectors = {
        f"HOG, upsample {n}": make_engine(face.model_copy(
            update={"engine": "dlib", "hog_upsample": n})) for n in (0, 1)} | {"YuNet": sface}
    found: dict[str, dict[str, float]] = {}
    for label, engine in detectors.items():
        started = time.perf_counter()
        recall = measure_recall(scenes, engine.detect)
        ms = _ms(time.perf_counter() - started) / len(scenes)
        found[label] = {"labelled": recall.labelled, "found": recall.found,
                        "false_boxes": recall.false_boxes, "ms_per_scene": ms}
        out(f"  detection recall, {label:<16} {recall.found:3d}/{recall.labelled} labelled faces "
            f"({recall.rate:5.1%}), {recall.false_boxes} false boxes, {ms:6.1f} ms per scene "
            f"({len(scenes)} scenes)")
    return found


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


def side_by_side(fns: dict[str, Timed], items: int, rounds: int) -> dict[str, float]:
    """Median ms of each callable over the same items, the order rotated every item so no side
    is always first (warm caches) or last; `ratio_<name>` is each median over the first's."""
    names = list(fns)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for i in range(items):
            shift = (r * items + i) % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(_time(fns[name], i))
    medians = {f"{name}_ms": median(times[name]) for name in names}
    first = medians[f"{names[0]}_ms"]
    return medians | {f"ratio_{name}": medians[f"{name}_ms"] / first for name in names[1:]}


def _ratio_line(label: str, stats: dict[str, float]) -> str:
    parts = [f"{_name(RAW)} {stats[f'{RAW}_ms']:7.1f} ms"] + [
        f"{_name(kind)} {stats[f'{kind}_ms']:7.1f} ms (x{stats[f'ratio_{kind}']:.2f})"
        for kind in ENGINES]
    return f"  {label:<34} " + "   ".join(parts)


def _name(kind: str) -> str:
    return kind if kind == RAW else f"{kind} engine"


def _timed_ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return _ms(time.perf_counter() - started)


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
def _frames(raw: RawDlib, engines: dict[str, FaceEngine],
            data_root: Path | None) -> tuple[list[Image], str]:
    """Frames on which raw dlib and every engine's whole pipeline succeed, so all sides time the
    same work."""
    usable: list[Image] = []
    for frame in _candidate_frames(data_root):
        try:
            for engine in engines.values():
                engine.sample(frame, purpose=Purpose.PROBE)
        except FaceQualityError:
            continue
        if not raw.detect(frame):
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
