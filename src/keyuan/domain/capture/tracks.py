"""Tracks: sightings of one matched person on one camera within a short gap. In memory only,
keyed by the consented pseudonym — an unmatched face never gets a track (C11).

活体: a track becomes a visit only once its sightings look like a live person (issue 18), by the
product's passive rules (`domain.checkin.liveness`, `services.faces.liveness`) applied sighting
by sighting: each sighting's face is compared with the track's first (`Judge`, measured by the
services), and the track is live once some sighting is neither identical to the first (pixels
AND landmarks) nor the first picture moved about (aligned residual), with at least
`min_sightings` sightings whose capture times lie apart as a camera's frames do (a capture time
within `min_gap` of one already seen — the same frame pushed again, a replay with one time —
does not count). The first sighting's cue (an opaque object: a small aligned thumbnail and five
landmarks) is the only face data a track holds; it is dropped as soon as the track is live, and
by `drop_cues` once the track has been idle for the gap."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from keyuan.domain.checkin.liveness import LivenessReason

MAX_TIMES = 64
"""Capture times a track keeps to spot a repeated time (the newest)."""


@dataclass(frozen=True)
class Difference:
    """How one sighting's face differs from its track's first (the services measure it)."""

    pixels: float
    """Mean absolute grey difference of the 32x32 thumbnails."""
    landmarks: float
    """Largest landmark displacement, in eye distances."""
    residual: float
    """What is left once the aligned faces are registered (one picture moved: about 0.01-0.05)."""
    shape: float = 0.0
    """Change of the landmark geometry (`shape_signature`)."""


Judge = Callable[[object, object], Difference]
"""Measures a sighting's cue against the track's first cue."""


@dataclass(frozen=True)
class LaneRules:
    """The passive thresholds the lane applies (from `LivenessSettings`)."""

    identical_pixels: float
    identical_landmarks: float
    single_image_residual: float
    single_image_shape: float
    min_gap: timedelta


@dataclass
class Track:
    camera_id: str
    person_id: str
    first_at: datetime
    last_at: datetime
    sightings: int = 1
    visit_due: bool = False
    live: bool = False
    not_live: LivenessReason | None = None
    """Why a track with enough sightings is not (yet) a visit; None when live or too short."""


@dataclass
class _Evidence:
    """What a track has seen towards liveness: the first cue, the times counted, the largest
    differences from the first. Numbers, and one cue until the track is live or idle."""

    reference: object | None = None
    times: list[datetime] = field(default_factory=list)
    pixels: float = 0.0
    landmarks: float = 0.0
    residual: float = 0.0
    shape: float = 0.0
    repeated_time: bool = False
    no_cue: bool = False
    touched: float = 0.0

    def verdict(self, needed: int, rules: LaneRules) -> LivenessReason | None:
        if len(self.times) < needed:
            return (LivenessReason.TIMESTAMPS_IMPLAUSIBLE if self.repeated_time
                    else LivenessReason.NO_FACE if self.no_cue
                    else LivenessReason.TOO_FEW_FRAMES)
        if self.pixels < rules.identical_pixels and self.landmarks < rules.identical_landmarks:
            return LivenessReason.FRAMES_IDENTICAL
        if self.residual < rules.single_image_residual or self.shape < rules.single_image_shape:
            return LivenessReason.SINGLE_IMAGE
        return None


class Tracks:
    """Thread-safe. `observe` returns the track after counting this sighting; a gap longer than
    `gap` (or going backwards beyond it) starts a fresh track. A track's `visit_due` needs
    `min_sightings` sightings and liveness (`judge` under `rules`)."""

    def __init__(self, gap: timedelta, min_sightings: int, *, judge: Judge,
                 rules: LaneRules) -> None:
        self._gap = gap
        self._min = min_sightings
        self._judge = judge
        self._rules = rules
        self._lock = threading.Lock()
        self._tracks: dict[tuple[str, str], Track] = {}
        self._evidence: dict[tuple[str, str], _Evidence] = {}

    def observe(self, camera_id: str, person_id: str, at: datetime, cue: object | None = None,
                received: float = 0.0) -> Track:
        """Count a sighting at capture time `at` with its face's `cue` (None: no landmarks
        found); `received` is a monotonic clock reading, for `drop_cues`."""
        key = (camera_id, person_id)
        with self._lock:
            track = self._tracks.get(key)
            if track is None or abs(at - track.last_at) > self._gap:
                track = self._tracks[key] = Track(camera_id, person_id, at, at)
                self._evidence[key] = _Evidence()
            else:
                track.sightings += 1
                track.first_at, track.last_at = min(track.first_at, at), max(track.last_at, at)
            if not track.live:
                evidence = self._evidence.setdefault(key, _Evidence())
                evidence.touched = received
                self._weigh(evidence, at, cue)
                reason = evidence.verdict(self._min, self._rules)
                track.live = reason is None
                track.not_live = reason if track.sightings >= self._min else None
                if track.live:
                    del self._evidence[key]  # decided: the cue is no longer needed
            track.visit_due = track.sightings >= self._min and track.live
            return Track(**vars(track))

    def _weigh(self, evidence: _Evidence, at: datetime, cue: object | None) -> None:
        if cue is None:
            evidence.no_cue = True
            return
        if any(abs(at - seen) < self._rules.min_gap for seen in evidence.times):
            evidence.repeated_time = True  # the same capture time again: not a camera's frame
            return
        evidence.times = [*evidence.times[-(MAX_TIMES - 1):], at]
        if evidence.reference is None:
            evidence.reference = cue
            return
        difference = self._judge(evidence.reference, cue)
        evidence.pixels = max(evidence.pixels, difference.pixels)
        evidence.landmarks = max(evidence.landmarks, difference.landmarks)
        evidence.residual = max(evidence.residual, difference.residual)
        evidence.shape = max(evidence.shape, difference.shape)

    def drop_cues(self, idle_before: float) -> int:
        """Forget the liveness evidence (and its cue) of tracks last touched before
        `idle_before` (a monotonic reading): a later sighting starts it afresh. Returns how
        many were dropped."""
        with self._lock:
            stale = [k for k, e in self._evidence.items() if e.touched < idle_before]
            for key in stale:
                del self._evidence[key]
            return len(stale)

    @property
    def cues_held(self) -> int:
        """Tracks holding a face cue right now."""
        with self._lock:
            return sum(1 for e in self._evidence.values() if e.reference is not None)

    def prune(self, now: datetime) -> int:
        """Forget tracks idle for longer than the gap; returns how many were dropped."""
        with self._lock:
            stale = [k for k, t in self._tracks.items() if now - t.last_at > self._gap]
            for key in stale:
                del self._tracks[key]
                self._evidence.pop(key, None)
            return len(stale)

    def __len__(self) -> int:
        return len(self._tracks)
