"""Liveness benchmark: what `require_live` costs beside the face work it guards, as a ratio.

Per sequence of three distinct photos of one public-set person, shrunk to a kiosk camera's 640
px and JPEG-encoded (held in memory): the engine's own work on those frames (decode with the
size caps, detection, embedding of the best face, as a return visit runs it) against
`require_live`'s passive checks on the same frames (decode, YuNet's landmarks, thumbnails,
alignment and registration), interleaved, medians (`engine.compare`). Public test photos only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from keyuan.adapters.biometrics.engines import make_engine, make_landmarker
from keyuan.bench.engine import Out, compare
from keyuan.config.face import FaceSettings
from keyuan.config.liveness import LivenessSettings
from keyuan.evaluation.liveness import EvalDeps, camera_sized
from keyuan.evaluation.liveness_attacks import encode_jpeg
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import Purpose
from keyuan.services.faces.liveness import TimedFrame, require_live

ROUNDS = 3


def run_liveness_bench(face: FaceSettings, liveness: LivenessSettings, data_root: Path | None,
                       *, out: Out = print, max_sequences: int | None = None) -> dict[str, Any]:
    """Print and return the median ms of both sides and their ratio."""
    if data_root is None or not (data_root / "identities").is_dir():
        out("liveness bench: the public face set is absent (set KEYUAN_FACE_DATA); nothing to "
            "time")
        return {"skipped": "public face set absent"}
    sequences = _sequences(data_root, max_sequences)
    engine = make_engine(face)
    engine.warm_up()
    landmarker = make_landmarker(face)
    deps = EvalDeps(face=face, engine=engine, landmarker=landmarker, liveness=liveness)

    def decision(i: int) -> object:
        templates = []
        for frame in sequences[i]:
            image = decode_image(frame.image, max_pixels=face.max_image_pixels,
                                 max_bytes=face.max_image_bytes)
            boxes = engine.detect(image, purpose=Purpose.PROBE)
            templates.append(engine.embed(image, boxes[0]) if boxes else None)
        return templates

    def live(i: int) -> object:
        require_live(sequences[i], deps)
        return None

    live(0)  # loads YuNet before timing
    timed = compare(decision, live, len(sequences), ROUNDS)
    results = {"sequences": len(sequences), "frames_per_sequence": 3,
               "model": engine.model.tag, "face_work_ms": timed["raw_ms"],
               "liveness_ms": timed["pipeline_ms"],
               "ratio": timed["pipeline_ms"] / timed["raw_ms"]}
    out(f"liveness bench: {results['sequences']} sequences of 3 distinct photos (640 px) from "
        f"{data_root}/identities, engine {results['model']}")
    out(f"  per sequence: face work (decode, detect, embed) {results['face_work_ms']:.1f} "
        f"ms; require_live passive checks {results['liveness_ms']:.1f} ms; ratio "
        f"{results['ratio']:.2f}x")
    return results


def _sequences(root: Path, limit: int | None) -> list[list[TimedFrame]]:
    out: list[list[TimedFrame]] = []
    for folder in sorted(p for p in (root / "identities").iterdir() if p.is_dir()):
        photos = sorted(folder.glob("*.jpg"))[:3]
        if len(photos) < 3:
            continue
        frames = [encode_jpeg(camera_sized(decode_image(p.read_bytes(), max_pixels=16_000_000,
                                                        max_bytes=8_000_000)))
                  for p in photos]
        out.append([TimedFrame(data, 1_000 + 300 * k) for k, data in enumerate(frames)])
        if limit is not None and len(out) >= limit:
            break
    return out
