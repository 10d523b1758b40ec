"""Tracks: sightings of one matched person on one camera within a short gap. In memory only,
keyed by the consented pseudonym — an unmatched face never gets a track (C11)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class Track:
    camera_id: str
    person_id: str
    first_at: datetime
    last_at: datetime
    sightings: int = 1
    visit_due: bool = False


class Tracks:
    """Thread-safe. `observe` returns the track after counting this sighting; a gap longer than
    `gap` (or going backwards beyond it) starts a fresh track."""

    def __init__(self, gap: timedelta, min_sightings: int) -> None:
        self._gap = gap
        self._min = min_sightings
        self._lock = threading.Lock()
        self._tracks: dict[tuple[str, str], Track] = {}

    def observe(self, camera_id: str, person_id: str, at: datetime) -> Track:
        key = (camera_id, person_id)
        with self._lock:
            track = self._tracks.get(key)
            if track is None or abs(at - track.last_at) > self._gap:
                track = self._tracks[key] = Track(camera_id, person_id, at, at)
            else:
                track.sightings += 1
                track.first_at, track.last_at = min(track.first_at, at), max(track.last_at, at)
            track.visit_due = track.sightings >= self._min
            return Track(**vars(track))

    def prune(self, now: datetime) -> int:
        """Forget tracks idle for longer than the gap; returns how many were dropped."""
        with self._lock:
            stale = [k for k, t in self._tracks.items() if now - t.last_at > self._gap]
            for key in stale:
                del self._tracks[key]
            return len(stale)

    def __len__(self) -> int:
        return len(self._tracks)
