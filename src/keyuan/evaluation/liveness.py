"""`keyuan eval liveness`: how often `require_live` accepts attacks and rejects genuine
sequences, on PUBLIC data only (the shared photo sets and the public video clip).

Attack sets, per photo set: one still photo repeated; one still photo moved about (small
similarity warps, sensor-like noise, JPEG re-encoding, `liveness_attacks.warped_copy`). And the
public clip replayed against random challenges: a recording cannot react to prompts, so its
frames are cut into steps at a random point of the clip for each random challenge.

Genuine sets, per photo set: sequences ASSEMBLED FROM DISTINCT PHOTOS of one person, not live
recordings (the shared sets hold none): for the passive checks, three photos of a person; for a
challenge, a photo facing the camera, then per step a photo short of the step and one that
reaches it, chosen by the pose YuNet's landmarks give. A person whose photos hold no pose for a
step cannot meet a challenge with that step: such (person, challenge) pairs are counted as not
available, not as rejected. Each decision is made by the product's own `require_live`."""

from __future__ import annotations

import hashlib
import itertools
import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

from keyuan.adapters.biometrics.engines import make_engine, make_landmarker
from keyuan.config.face import FaceSettings
from keyuan.config.liveness import LivenessSettings
from keyuan.domain.checkin.liveness import (
    LivenessReason,
    NotLive,
    Pose,
    Step,
    estimate_pose,
    random_steps,
)
from keyuan.evaluation import metrics
from keyuan.evaluation.liveness_attacks import encode_jpeg, warped_copy
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceBox, FaceEngine, Image, Template
from keyuan.services.faces.landmarks import Landmarker
from keyuan.services.faces.liveness import TimedFrame, require_live

FRAME_MS = 300
"""Between two frames of an assembled sequence: a kiosk that sends about three frames a second."""
MAX_PIXELS, MAX_BYTES = 16_000_000, 8_000_000
CAMERA_SIDE = 640
"""Still attacks are shown at a kiosk camera's size: the photo fits 640 px."""


def _key(image: Image) -> str:
    return hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16).hexdigest()


class MemoLandmarker:
    """The real landmarker, remembering its answer per picture (the same public photo or clip
    frame recurs across trials). Evaluation only: it holds public test data in memory."""

    def __init__(self, inner: Landmarker) -> None:
        self.inner = inner
        self._seen: dict[str, list[FaceBox]] = {}
        self._lock = threading.Lock()

    def faces(self, image: Image) -> list[FaceBox]:
        key = _key(image)
        with self._lock:
            found = self._seen.get(key)
        if found is None:
            found = self.inner.faces(image)
            with self._lock:
                self._seen[key] = found
        return found


class MemoEngine:
    """The real engine, remembering templates per (picture, box) (evaluation only)."""

    def __init__(self, inner: FaceEngine) -> None:
        self.inner = inner
        self._seen: dict[tuple[str, FaceBox], Template] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed(self, image: Image, box: FaceBox) -> Template:
        key = (_key(image), box)
        if key not in self._seen:
            self._seen[key] = self.inner.embed(image, box)
        return self._seen[key]


@dataclass
class EvalDeps:
    """What `require_live` needs (`services.faces.liveness.Deps`)."""

    face: FaceSettings
    engine: Any
    landmarker: Any
    liveness: LivenessSettings


@dataclass
class Tally:
    """Decisions of one row: how many trials, how many accepted, why the others were refused."""

    trials: int = 0
    accepted: int = 0
    not_available: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, reason: LivenessReason | None) -> None:
        self.trials += 1
        if reason is None:
            self.accepted += 1
        else:
            self.reasons[str(reason)] += 1

    def as_dict(self, kind: str) -> dict[str, Any]:
        rejected = self.trials - self.accepted
        counted = self.accepted if kind == "attack" else rejected
        interval = metrics.clopper_pearson(counted, self.trials)
        return {"trials": self.trials, "accepted": self.accepted, "rejected": rejected,
                "not_available": self.not_available,
                "rate": metrics.rounded(interval.rate), "ci_low": metrics.rounded(interval.low),
                "ci_high": metrics.rounded(interval.high), "reasons": dict(self.reasons)}


def decide(frames: Sequence[TimedFrame], deps: EvalDeps,
           steps: Sequence[Step] | None = None) -> LivenessReason | None:
    """`require_live`'s answer: None when accepted, else the reason."""
    try:
        require_live(frames, deps, steps=steps)
    except NotLive as refused:
        return refused.reason
    return None


# --- photos -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Photo:
    data: bytes
    pose: Pose | None
    """YuNet's pose of the photo's best face (None: no face found)."""


def load_people(root: Path, landmarker: Landmarker) -> dict[str, list[Photo]]:
    """Each identity's photos under `root/identities` (or `root`), with their poses."""
    base = root / "identities" if (root / "identities").is_dir() else root
    people: dict[str, list[Photo]] = {}
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        photos = []
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
                continue
            data = path.read_bytes()
            found = landmarker.faces(decode_image(data, max_pixels=MAX_PIXELS,
                                                  max_bytes=MAX_BYTES))
            pose = estimate_pose(found[0].landmarks) if found and found[0].landmarks else None
            photos.append(Photo(data, pose))
        if photos:
            people[folder.name] = photos
    return people


def timed(images: Sequence[bytes], steps: Sequence[int | None] | None = None,
          frame_ms: int = FRAME_MS) -> list[TimedFrame]:
    marks = steps if steps is not None else [None] * len(images)
    return [TimedFrame(data, 1_000 + k * frame_ms, step)
            for k, (data, step) in enumerate(zip(images, marks, strict=True))]


def challenge_marks(steps: int, per_step: int) -> list[int | None]:
    """Step indices of a sequence: one lead-in frame, then `per_step` frames per step."""
    return [None] + [k for k in range(steps) for _ in range(per_step)]


def still_attacks(people: dict[str, list[Photo]], deps: EvalDeps, rng: random.Random,
                  n_steps: int) -> dict[str, dict[str, Tally]]:
    """Every photo with a face, repeated and moved about: passive and with a challenge."""
    rows = {name: {"passive": Tally(), "challenge": Tally()}
            for name in ("still_repeated", "still_warped")}
    marks = challenge_marks(n_steps, 2)
    for photos in people.values():
        for photo in photos:
            if photo.pose is None:
                continue
            image = camera_sized(decode_image(photo.data, max_pixels=MAX_PIXELS,
                                              max_bytes=MAX_BYTES))
            shown = encode_jpeg(image)
            steps = random_steps(n_steps, rng)
            rows["still_repeated"]["passive"].add(decide(timed([shown] * 3), deps))
            rows["still_repeated"]["challenge"].add(
                decide(timed([shown] * len(marks), marks), deps, steps))
            warped = [warped_copy(image, rng) for _ in range(len(marks))]
            rows["still_warped"]["passive"].add(decide(timed(warped[:3]), deps))
            rows["still_warped"]["challenge"].add(decide(timed(warped, marks), deps, steps))
    return rows


# --- genuine sequences assembled from distinct photos --------------------------------------
def genuine_passive(people: dict[str, list[Photo]], deps: EvalDeps) -> Tally:
    """Three distinct photos of one person, in turn through each person's photos."""
    tally = Tally()
    for photos in people.values():
        usable = [p for p in photos if p.pose is not None]
        for start in range(0, len(usable) - 2, 3):
            tally.add(decide(timed([p.data for p in usable[start:start + 3]]), deps))
        if len(usable) < 3:
            tally.not_available += 1
    return tally


def camera_sized(image: Image, side: int = CAMERA_SIDE) -> Image:
    """`image` shrunk to fit `side` px (a kiosk camera's frame), as a photo held up to it."""
    h, w = image.shape[:2]
    if max(h, w) <= side:
        return image
    scale = side / max(h, w)
    small = PILImage.fromarray(image).resize((max(1, round(w * scale)), max(1, round(h * scale))),
                                             PILImage.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.uint8)


def _progress(step: Step, pose: Pose, base: Pose, settings: LivenessSettings) -> float:
    if step is Step.TURN_LEFT:
        return pose.yaw / settings.turn_yaw
    if step is Step.TURN_RIGHT:
        return -pose.yaw / settings.turn_yaw
    if step is Step.LOOK_UP:
        return (pose.pitch - base.pitch) / settings.pitch_change
    return (base.pitch - pose.pitch) / settings.pitch_change


def assemble(photos: Sequence[Photo], steps: Sequence[Step],
             settings: LivenessSettings) -> tuple[list[bytes], list[int | None]] | None:
    """A sequence from distinct photos that could meet `steps`, or None: the lead-in is the
    photo most facing the camera; each step gets a photo short of half of it and then the photo
    that goes furthest towards it (which must reach it). None when the person has no photo
    facing the camera or none reaching a step."""
    posed = [p for p in photos if p.pose is not None]
    frontal = [p for p in posed if p.pose is not None and abs(p.pose.yaw) <= settings.start_yaw]
    if not frontal:
        return None
    lead = min(frontal, key=lambda p: abs(p.pose.yaw) if p.pose else 1.0)
    assert lead.pose is not None
    images: list[bytes] = [lead.data]
    marks: list[int | None] = [None]
    for index, step in enumerate(steps):
        scored = [(_progress(step, p.pose, lead.pose, settings), p) for p in posed
                  if p.pose is not None]
        best_progress, best = max(scored, key=lambda pair: pair[0])
        if best_progress < 1.0:
            return None
        short = [p for g, p in scored if g < 0.5 and p is not best]
        start = min(short, key=lambda p: abs(p.pose.yaw) if p.pose else 1.0) if short else lead
        images += [start.data, best.data]
        marks += [index, index]
    return images, marks


def all_challenges(n: int) -> list[tuple[Step, ...]]:
    """Every challenge `random_steps(n)` can draw (no step twice in a row)."""
    return [c for c in itertools.product(list(Step), repeat=n)
            if all(a is not b for a, b in itertools.pairwise(c))]


def genuine_challenge(people: dict[str, list[Photo]], deps: EvalDeps, n_steps: int) -> Tally:
    """Every (person, challenge) pair: assembled and decided, or not available."""
    tally = Tally()
    for photos in people.values():
        for steps in all_challenges(n_steps):
            built = assemble(photos, steps, deps.liveness)
            if built is None:
                tally.not_available += 1
                continue
            images, marks = built
            tally.add(decide(timed(images, marks), deps, steps))
    return tally


# --- the replayed clip --------------------------------------------------------------------
def clip_frames(path: Path, every: int) -> list[tuple[int, bytes]]:
    """Every `every`-th frame of the clip as (time in ms, JPEG bytes), as a camera filming the
    replay would deliver them."""
    import cv2  # heavy (~0.2 s): only this command reads a video

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise FileNotFoundError(f"Cannot open the video {path}.")
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    out: list[tuple[int, bytes]] = []
    index = 0
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            if index % every == 0:
                rgb = np.ascontiguousarray(bgr[:, :, ::-1], dtype=np.uint8)
                out.append((round(index * 1000 / fps), encode_jpeg(rgb, quality=90)))
            index += 1
    finally:
        capture.release()
    return out


def replay_attacks(frames: Sequence[tuple[int, bytes]], deps: EvalDeps, rng: random.Random,
                   trials: int, n_steps: int, per_step: int) -> dict[str, Tally]:
    """The clip from a random point, against a random challenge: its frames cut into the
    challenge's steps as they come (a recording cannot react to the prompts)."""
    rows = {"passive": Tally(), "challenge": Tally()}
    length = 1 + n_steps * per_step
    if len(frames) < length:
        raise ValueError("the clip is shorter than one challenge")
    marks = challenge_marks(n_steps, per_step)
    for _ in range(trials):
        start = rng.randrange(0, len(frames) - length + 1)
        window = frames[start:start + length]
        steps = random_steps(n_steps, rng)
        sequence = [TimedFrame(data, t, mark)
                    for (t, data), mark in zip(window, marks, strict=True)]
        rows["passive"].add(decide([replace_step(f) for f in sequence[:3]], deps))
        rows["challenge"].add(decide(sequence, deps, steps))
    return rows


def replace_step(frame: TimedFrame) -> TimedFrame:
    return TimedFrame(frame.image, frame.t_ms, None)


# --- the report ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LivenessEvalOptions:
    sets: Sequence[tuple[str, Path]]
    video: Path | None
    n_steps: int = 3
    replay_trials: int = 200
    replay_every: int = 3
    replay_per_step: int = 15
    seed: int = 18


def liveness_report(options: LivenessEvalOptions, deps: EvalDeps,
                    progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Attack acceptance and genuine rejection per set, passive only and with a challenge of
    `n_steps` steps."""
    rng = random.Random(options.seed)
    rows: list[dict[str, Any]] = []
    for name, root in options.sets:
        progress(f"{name}: reading photos")
        people = load_people(root, deps.landmarker)
        progress(f"{name}: still photos")
        stills = still_attacks(people, deps, rng, options.n_steps)
        for attack, modes in stills.items():
            rows.append({"set": name, "kind": "attack", "name": attack,
                         **{mode: t.as_dict("attack") for mode, t in modes.items()}})
        progress(f"{name}: genuine sequences")
        passive = genuine_passive(people, deps).as_dict("genuine")
        for n in sorted({1, 2, options.n_steps}):
            rows.append({"set": name, "kind": "genuine",
                         "name": f"from_photos_{n}_step" + ("s" if n > 1 else ""),
                         "passive": passive if n == 1 else None,
                         "challenge": genuine_challenge(people, deps, n).as_dict("genuine")})
    if options.video is not None:
        progress("replayed clip")
        frames = clip_frames(options.video, options.replay_every)
        replay = replay_attacks(frames, deps, rng, options.replay_trials, options.n_steps,
                                options.replay_per_step)
        rows.append({"set": options.video.name, "kind": "attack", "name": "replayed_clip",
                     **{mode: t.as_dict("attack") for mode, t in replay.items()}})
    return {"kind": "liveness", "n_steps": options.n_steps, "seed": options.seed,
            "settings": deps.liveness.model_dump(exclude={"measured"}), "rows": rows}


def _cell(cell: dict[str, Any] | None, kind: str) -> str:
    if cell is None:
        return "(as above)"
    counted = cell["accepted"] if kind == "attack" else cell["rejected"]
    text = (f"{counted}/{cell['trials']} = {100 * cell['rate']:.1f}% "
            f"[{100 * cell['ci_low']:.1f}-{100 * cell['ci_high']:.1f}%]")
    if cell["not_available"]:
        text += f" ({cell['not_available']} n/a)"
    return text


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The table: one row per set × attack or genuine set; attack rows count accepted attacks,
    genuine rows rejected genuine sequences; 95% Clopper-Pearson intervals."""
    lines = [
        "liveness — attacks ACCEPTED and genuine sequences REJECTED (95% Clopper-Pearson); "
        f"attacks meet {report['n_steps']} random steps; genuine rows every challenge of their "
        "length",
        f"{'set':<24}{'row':<34}{'passive only':<36}{'passive + challenge':<36}",
    ]
    for row in report["rows"]:
        label = f"{row['kind']}: {row['name']}"
        lines.append(f"{row['set'][:23]:<24}{label:<34}{_cell(row['passive'], row['kind']):<36}"
                     f"{_cell(row['challenge'], row['kind'])}")
    lines += [
        "genuine rows are sequences ASSEMBLED FROM DISTINCT PHOTOS of one person (the shared "
        "sets hold no live recordings);",
        "n/a = a person without photos for that pose (or fewer than 3 photos): not available, "
        "not counted as rejected.",
    ]
    for row in report["rows"]:
        for mode in ("passive", "challenge"):
            reasons = row[mode]["reasons"] if row[mode] else {}
            if reasons:
                shown = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
                lines.append(f"  refusals, {row['set']} {row['name']} {mode}: {shown}")
    return lines


def build_deps(face: FaceSettings, settings: LivenessSettings) -> EvalDeps:
    """The configured engine and the YuNet landmarker, each remembering its answers."""
    return EvalDeps(face=face, engine=MemoEngine(make_engine(face)),
                    landmarker=MemoLandmarker(make_landmarker(face)), liveness=settings)
