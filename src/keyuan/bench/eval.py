"""Evaluation benchmark: photos per second of `keyuan eval` against raw dlib in the same run.

Per photo on one core (interleaved, medians, `engine.compare`): raw dlib decode + HOG + 5-point +
ResNet against the eval path (decode with the size caps, detection with the tight-crop fallbacks,
quality verdict, embedding). Then the whole eval embedding run on worker processes with a cold
cache (a temporary directory, deleted afterwards) and again warm. Public test photos only."""

from __future__ import annotations

import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

from keyuan.adapters.biometrics.engines import make_engine
from keyuan.bench.engine import Out, compare
from keyuan.bench.raw_dlib import RawDlib
from keyuan.config.face import FaceSettings
from keyuan.evaluation.faces import record_from_bytes
from keyuan.evaluation.runner import DEFAULT_WORKERS, EmbedOptions, embed_photos

ROUNDS = 1
MAX_PHOTOS: int | None = None


def run_eval_bench(face: FaceSettings, data_root: Path | None, *, out: Out = print,
                   workers: int = DEFAULT_WORKERS) -> dict[str, Any]:
    """Print and return photos/s: raw dlib and the eval path on one core, the eval run on
    `workers` processes cold and warm."""
    if data_root is None or not (data_root / "identities").is_dir():
        out("eval bench: the public face set is absent (set KEYUAN_FACE_DATA); nothing to time")
        return {"skipped": "public face set absent"}
    paths = sorted((data_root / "identities").glob("*/*.jpg"))[:MAX_PHOTOS]
    photos = [p.read_bytes() for p in paths]  # held in memory: the timings exclude disk reads
    engine = make_engine(face)
    engine.warm_up()
    raw = RawDlib(upsample=face.hog_upsample, threshold=face.hog_score_threshold)
    raw.load()
    per_photo = compare(lambda i: _raw(raw, photos[i]),
                         lambda i: record_from_bytes(photos[i], engine=engine, settings=face),
                         len(photos), ROUNDS)
    results: dict[str, Any] = {
        "photos": len(photos), "workers": workers, "per_photo": per_photo,
        "model": engine.model.tag,
        "raw_photos_per_s": 1000.0 / per_photo["raw_ms"],
        "eval_photos_per_s_one_core": 1000.0 / per_photo["pipeline_ms"],
    }
    with tempfile.TemporaryDirectory(prefix="keyuan-eval-bench-") as cache:
        options = EmbedOptions(face, Path(cache), workers=workers, progress=False)
        for label in ("cold", "warm"):
            started = time.perf_counter()
            embed_photos(paths, options)
            results[f"eval_run_{label}_photos_per_s"] = len(paths) / (
                time.perf_counter() - started)
    for line in _lines(results, data_root):
        out(line)
    return results


def _raw(raw: RawDlib, data: bytes) -> object:
    """Exactly the library calls: Pillow decode, HOG, 5-point landmarks, ResNet descriptor."""
    with PILImage.open(BytesIO(data)) as picture:
        image = np.ascontiguousarray(np.asarray(picture.convert("RGB")))
    return raw.sample(image)


def _lines(r: dict[str, Any], root: Path) -> list[str]:
    p = r["per_photo"]
    raw = r["raw_photos_per_s"]
    return [
        f"eval bench: {r['photos']} photos from {root}/identities (long side <= 1024 px), "
        f"engine {r['model']}",
        f"  one core, per photo: raw dlib {p['raw_ms']:.1f} ms ({raw:.2f} photos/s), eval path "
        f"{p['pipeline_ms']:.1f} ms ({r['eval_photos_per_s_one_core']:.2f} photos/s), overhead "
        f"{p['overhead_pct']:+.1f}%",
        f"  eval run, {r['workers']} workers, cold cache: {r['eval_run_cold_photos_per_s']:.2f} "
        f"photos/s ({r['eval_run_cold_photos_per_s'] / raw:.2f}x raw dlib on one core; "
        "includes starting the workers and loading their models)",
        f"  eval run, warm cache: {r['eval_run_warm_photos_per_s']:.0f} photos/s "
        f"({r['eval_run_warm_photos_per_s'] / raw:.0f}x raw dlib)",
    ]
