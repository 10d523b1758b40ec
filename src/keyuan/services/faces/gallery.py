"""In-memory 1:N gallery: exact search over every enrolled template, keyed by a pseudonym."""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from keyuan.services.faces.engine import TEMPLATE_DIM, Template
from keyuan.services.faces.matching import as_template

Outcome = Literal["match", "needs_review", "unknown"]

INITIAL_CAPACITY = 1024
GROWTH_FACTOR = 2


@dataclass(frozen=True)
class IdentifyResult:
    """`key` is set for "match" and "needs_review" (the candidate a person must confirm), never
    for "unknown". `distance` is to the nearest template; None only when the gallery is empty."""

    outcome: Outcome
    key: str | None
    distance: float | None


class Gallery:
    """Templates in one float32 matrix; search is one matrix-vector product over the used rows.

    Rows are kept dense: `remove` moves the last row into the hole (O(1)), so row order is not
    insertion order. All methods are safe to call from several threads.
    """

    def __init__(self, capacity: int = INITIAL_CAPACITY) -> None:
        self._lock = threading.Lock()
        self._rows = np.zeros((max(1, capacity), TEMPLATE_DIM), dtype=np.float32)
        self._sq_norms = np.zeros(max(1, capacity), dtype=np.float32)
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._version = 0  # bumped on every change: copies elsewhere (capture workers) follow it

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._keys))

    def get(self, key: str) -> Template:
        with self._lock:
            return np.array(self._rows[self._index[key]], dtype=np.float32)

    def add(self, key: str, template: Template) -> None:
        """Add one template. A key already present is a caller bug (`put` replaces)."""
        self.add_many([key], as_template(template)[None, :])

    def add_many(self, keys: Sequence[str], templates: npt.NDArray[np.float32]) -> None:
        """Bulk load, e.g. the whole vault at start-up; all or nothing."""
        matrix = self._checked(keys, templates)
        with self._lock:
            if any(k in self._index for k in keys):
                raise ValueError("a gallery key may be added only once")
            self._append(keys, matrix)

    def put_many(self, keys: Sequence[str], templates: npt.NDArray[np.float32]) -> None:
        """Add these templates, each replacing any the key held, in one step: what keeps a
        copy in line with the store whichever of two writers (an after-commit hook, the
        follower) comes first."""
        matrix = self._checked(keys, templates)
        with self._lock:
            for key in keys:
                if key in self._index:
                    self._drop(key)
            self._append(keys, matrix)

    def put(self, key: str, template: Template) -> None:
        self.put_many([key], as_template(template)[None, :])

    def remove(self, key: str) -> None:
        """Remove the key's template; a key not held is a caller bug (KeyError)."""
        with self._lock:
            self._drop(key)

    def discard(self, key: str) -> bool:
        """Remove the key's template if held; True when it was."""
        with self._lock:
            if key not in self._index:
                return False
            self._drop(key)
            return True

    def _checked(self, keys: Sequence[str],
                 templates: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        matrix = np.ascontiguousarray(templates, dtype=np.float32)
        if matrix.shape != (len(keys), TEMPLATE_DIM) or not np.all(np.isfinite(matrix)):
            raise ValueError(f"expected {len(keys)} finite templates of {TEMPLATE_DIM} values")
        if len(set(keys)) != len(keys):
            raise ValueError("a gallery key may be added only once")
        return matrix

    def _append(self, keys: Sequence[str], matrix: npt.NDArray[np.float32]) -> None:
        start = len(self._keys)
        self._reserve(start + len(keys))
        self._rows[start : start + len(keys)] = matrix
        self._sq_norms[start : start + len(keys)] = np.einsum("ij,ij->i", matrix, matrix)
        for offset, key in enumerate(keys):
            self._index[key] = start + offset
        self._keys.extend(keys)
        self._version += 1

    def _drop(self, key: str) -> None:
        row = self._index.pop(key)
        last = len(self._keys) - 1
        if row != last:
            moved = self._keys[last]
            self._rows[row] = self._rows[last]
            self._sq_norms[row] = self._sq_norms[last]
            self._keys[row] = moved
            self._index[moved] = row
        self._rows[last] = 0.0  # no copy of a removed template stays behind in the matrix
        self._keys.pop()
        self._version += 1

    @property
    def version(self) -> int:
        """Changes whenever a template is added or removed (enrollment, withdrawal, purge)."""
        return self._version

    def snapshot(self) -> tuple[int, list[str], npt.NDArray[np.float32]]:
        """(version, keys, a copy of their templates), consistent with each other: what the
        capture workers' shared-memory copy is published from."""
        with self._lock:
            n = len(self._keys)
            return self._version, list(self._keys), np.array(self._rows[:n], dtype=np.float32)

    def identify(
        self, template: Template, match_threshold: float, review_threshold: float
    ) -> IdentifyResult:
        """辨识: who is this, if anyone? distance <= match_threshold is a match,
        <= review_threshold needs a person to review, beyond is unknown (no key: never a guess)."""
        if not match_threshold <= review_threshold:
            raise ValueError("match_threshold must not exceed review_threshold")
        probe = np.ascontiguousarray(template, dtype=np.float32)
        if probe.shape != (TEMPLATE_DIM,):
            raise ValueError(f"a template has shape ({TEMPLATE_DIM},), not {probe.shape}")
        probe_sq = float(probe @ probe)  # also the finiteness check: NaN/inf propagate into it
        if not math.isfinite(probe_sq):
            raise ValueError("a template must not contain NaN or infinity")
        with self._lock:
            n = len(self._keys)
            if n == 0:
                return IdentifyResult("unknown", None, None)
            # |x - q|^2 = |x|^2 - 2 x.q + |q|^2: one BLAS matvec, no (n, 128) temporary; only
            # the winner's distance is recomputed directly (the expansion cancels badly near 0).
            sq = self._sq_norms[:n] - 2.0 * (self._rows[:n] @ probe)
            best = int(np.argmin(sq))
            key = self._keys[best]
            diff = self._rows[best] - probe
        nearest = math.sqrt(float(diff @ diff))
        if nearest <= match_threshold:
            return IdentifyResult("match", key, nearest)
        if nearest <= review_threshold:
            return IdentifyResult("needs_review", key, nearest)
        return IdentifyResult("unknown", None, nearest)

    def candidates(self, template: Template, match_threshold: float,
                   review_threshold: float, *,
                   among: Collection[str] | None = None) -> list[IdentifyResult]:
        """Every template within `review_threshold`, nearest first, each "match" or
        "needs_review": the candidates a person reviews (never a single guess). `among`: only
        these keys are compared (the others' templates are not touched)."""
        if not match_threshold <= review_threshold:
            raise ValueError("match_threshold must not exceed review_threshold")
        probe = as_template(template)
        with self._lock:
            n = len(self._keys)
            rows = (np.arange(n) if among is None else
                    np.array(sorted(self._index[k] for k in among if k in self._index),
                             dtype=np.intp))
            if rows.size == 0:
                return []
            sq = (self._sq_norms[rows] - 2.0 * (self._rows[rows] @ probe)
                  + float(probe @ probe))
            near = rows[np.flatnonzero(sq <= (review_threshold + 1e-3) ** 2)]  # exact below
            found = [(self._keys[i], self._rows[i] - probe) for i in near]
        out = []
        for key, diff in found:
            d = math.sqrt(float(diff @ diff))
            if d <= review_threshold:
                out.append(IdentifyResult("match" if d <= match_threshold else "needs_review",
                                          key, d))
        return sorted(out, key=lambda r: r.distance or 0.0)

    def _reserve(self, needed: int) -> None:
        capacity = self._rows.shape[0]
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= GROWTH_FACTOR
        rows = np.zeros((capacity, TEMPLATE_DIM), dtype=np.float32)
        norms = np.zeros(capacity, dtype=np.float32)
        used = len(self._keys)
        rows[:used] = self._rows[:used]
        norms[:used] = self._sq_norms[:used]
        self._rows, self._sq_norms = rows, norms


@dataclass
class GalleryFollowing:
    """How far this process's galleries follow the store: the store's gallery version they were
    last brought to (None: never) and, per model tag, each template's seal then (a re-derived
    or re-enrolled template has a new one). Kept by `services.checkin.gallery_sync`."""

    version: int | None = None
    seals: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
