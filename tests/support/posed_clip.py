"""A fake-camera clip of one person FOLLOWING a liveness challenge (issue 18): that person's real
photos, each in the pose a step asks (turned left, turned right, looking up, looking down), timed
to what `static/liveness.js` captures under each prompt. The genuine counterpart of the still
photo the challenge refuses; the server checks every frame with its real rules (YuNet
landmarks, real engine), nothing is loosened for the test.

The photos are chosen by the product's own landmarker (`measure`, `cast`): each is framed as the
fake camera shows it (`framed`) and sent through JPEG as the page sends it, and its pose is read
as the server reads it. A step is filmed only with a photo that reaches that step's target with a
margin, and moves towards no other; the frames facing the camera are short of half of every step.

Timing: Chromium's fake camera plays the file in a loop from the moment the page opens the
camera. The page starts its challenge a moment later (`CAMERA_LEAD_MS`: the challenge's request
and a click). Each step of the clip opens facing the camera (`FRONTAL_MS`) and holds the pose
until the step ends, so the page's shot at 120 ms sees the face ahead, the one at 1400 ms the
pose; a start up to `LATE_MS` later or `EARLY_MS` earlier than planned still gives every step a
frame ahead and one in the pose (the 2450 ms shot catches it when the page started early).
The clip is written to the test's temporary folder only."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from keyuan.domain.checkin.liveness import ChallengeRules, Pose, Step, estimate_pose
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.landmarks import Landmarker
from support.browser import FRAME_SIZE, write_frames

LEAD_MS = 900
"""liveness.js LEAD_MS: facing the camera before the first step (the lead-in shot at its end)."""
STEP_MS = 2600
"""liveness.js STEP_MS: one step's time; its shots at 120, 1400 and 2450 ms (SHOTS_AT)."""
FRONTAL_MS = 1000
"""Each step of the clip faces the camera this long before the pose (shot at 120 ms: ahead)."""
CAMERA_LEAD_MS = 500
"""Planned time from the camera's start to the page's challenge start."""
LATE_MS = FRONTAL_MS - 120
"""The page may start its challenge this much later than planned: its first shot of a step
still sees the face ahead."""
EARLY_MS = 1450
"""...or this much earlier: the step's last shot (2450 ms) still sees the pose."""
FRONTAL_SWAP_MS = 400
"""The photos facing the camera take turns this often (a face is never one still image)."""
PHOTO_SIDE = 300
"""The photo's longer side in the 640x480 frame: YuNet reads the set's 350 px crops' poses
alike at this size (scaled to the frame's full height the turns read some 30% smaller)."""
MARGIN = 1.1
"""A posed photo goes at least this share past its step's target; a frontal one stays under
half of every step's by the same factor."""
FPS = 15


@dataclass(frozen=True)
class PosedPhoto:
    """One photo as the camera films it, with the pose the server will read from it."""

    path: Path
    picture: Image.Image
    pose: Pose


def framed(photo: Image.Image, side: int = PHOTO_SIDE,
           size: tuple[int, int] = FRAME_SIZE) -> Image.Image:
    """The photo scaled to `side` px (longer side), centred on a neutral grey camera frame."""
    scale = side / max(photo.width, photo.height)
    fitted = photo.convert("RGB").resize((round(photo.width * scale),
                                          round(photo.height * scale)))
    frame = Image.new("RGB", size, (128, 128, 128))
    frame.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    return frame


def measure(paths: Sequence[Path], landmarker: Landmarker) -> list[PosedPhoto]:
    """Each photo with a face, framed, and its pose as the server reads it from a JPEG frame."""
    out = []
    for path in paths:
        picture = framed(Image.open(path))
        sent = io.BytesIO()
        picture.save(sent, format="JPEG", quality=85)  # the desk sends 0.85, the kiosk 0.9
        image = decode_image(sent.getvalue(), max_pixels=10**8, max_bytes=10**8)
        found = [f for f in landmarker.faces(image) if len(f.landmarks) == 5]
        if found:
            out.append(PosedPhoto(path, picture, estimate_pose(found[0].landmarks)))
    return out


def progress(step: Step, pose: Pose, base_pitch: float, rules: ChallengeRules) -> float:
    """How far `pose` goes towards `step` (1: reached), as `check_challenge` measures it."""
    if step is Step.TURN_LEFT:
        return pose.yaw / rules.turn_yaw
    if step is Step.TURN_RIGHT:
        return -pose.yaw / rules.turn_yaw
    if step is Step.LOOK_UP:
        return (pose.pitch - base_pitch) / rules.pitch_change
    return (base_pitch - pose.pitch) / rules.pitch_change


@dataclass(frozen=True)
class Cast:
    """One person's photos for a challenge: `frontal` facing the camera (the first one is the
    lead-in), and for each step the photos that make it, furthest first."""

    frontal: tuple[PosedPhoto, ...]
    posed: dict[Step, tuple[PosedPhoto, ...]]

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(step for step in Step if self.posed.get(step))


def cast(photos: Sequence[PosedPhoto], rules: ChallengeRules, *, frontal: int = 4) -> Cast:
    """The photos a clip may use: `frontal` photos facing the camera whose pitches agree (any of
    them may be the sequence's first frame, from which pitch is judged), short of half of every
    step; for each step the photos that reach it by `MARGIN` and go towards no other step, from
    any of those frontal photos' pitch."""
    ahead = sorted((p for p in photos if abs(p.pose.yaw) * MARGIN <= rules.start_yaw),
                   key=lambda p: abs(p.pose.yaw))
    chosen: list[PosedPhoto] = []
    for photo in ahead:
        group = [*chosen, photo]
        if all(progress(step, p.pose, q.pose.pitch, rules) * MARGIN < 0.5
               for p in group for q in group for step in Step):
            chosen = group
        if len(chosen) == frontal:
            break
    posed: dict[Step, tuple[PosedPhoto, ...]] = {}
    for step in Step:
        makes = [p for p in photos
                 if all(progress(step, p.pose, q.pose.pitch, rules) >= MARGIN
                        and all(progress(other, p.pose, q.pose.pitch, rules) * MARGIN < 1.0
                                for other in Step if other is not step) for q in chosen)]
        posed[step] = tuple(sorted(makes, key=lambda p: -progress(step, p.pose, 0.0, rules)))
    return Cast(tuple(chosen), {s: ps for s, ps in posed.items() if ps})


def picture_at(t_ms: float, clip: Cast, steps: Sequence[Step], *,
               camera_lead_ms: int = CAMERA_LEAD_MS) -> PosedPhoto:
    """What the camera shows `t_ms` after it started, for a page that starts `steps`
    `camera_lead_ms` after that."""
    run = t_ms - camera_lead_ms - LEAD_MS
    index, within = divmod(run, STEP_MS)
    if run < 0 or index >= len(steps) or within < FRONTAL_MS:
        return clip.frontal[int(t_ms // FRONTAL_SWAP_MS) % len(clip.frontal)]
    step = steps[int(index)]
    turn = sum(1 for s in steps[:int(index)] if s is step)  # a step asked again: its next photo
    options = clip.posed[step]
    return options[turn % len(options)]


def write_challenge_y4m(clip: Cast, steps: Sequence[Step], path: Path, *,
                        camera_lead_ms: int = CAMERA_LEAD_MS, tail_ms: int = 3000,
                        fps: int = FPS) -> Path:
    """The clip (see the module's docstring) for a page asking `steps`, then `tail_ms` facing
    the camera before it loops."""
    missing = [s for s in steps if s not in clip.posed]
    assert not missing, f"no photo of this person makes {missing}"
    length = camera_lead_ms + LEAD_MS + STEP_MS * len(steps) + tail_ms
    shown = [picture_at(k * 1000 / fps, clip, steps, camera_lead_ms=camera_lead_ms)
             for k in range(length * fps // 1000)]
    arrays = {id(p): np.asarray(p.picture) for p in shown}
    return write_frames([arrays[id(p)] for p in shown], path, fps=fps)
