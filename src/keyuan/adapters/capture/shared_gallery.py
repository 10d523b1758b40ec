"""The consented gallery, published to the capture worker processes through shared memory.

The parent owns the gallery (`keyuan.services.faces.gallery.Gallery`), which follows the store's
gallery version (`services.checkin.gallery_sync`). Whenever its version changes (enrollment,
withdrawal, erasure, retention purge — in this process or any other — and the start-up load)
`refresh` publishes a fresh, immutable segment holding it at once — the float32 template matrix,
its squared norms and the pseudonyms — and unlinks the superseded one at once, or as soon as
the frame still using it is answered. Each frame handed to a worker carries the name of the
current segment; the worker maps it read-only for that frame only and unmaps it when it
answers, so an idle worker maps nothing and an unlinked segment is gone from memory. Only
(pseudonym, distance) of a match or review-band candidate ever comes back, and an unmatched
face's template never leaves the worker.

Where it lives: POSIX shared memory, which on Linux is /dev/shm — a tmpfs in RAM, not disk
(C15/C16: no template is written to a file system on storage). Segments are created 0600 (this
user only), named `keyuan_gallery_<parent pid>_<version>_<random>`, and all unlinked on
shutdown. A `kill -9` of the
service leaves them to Python's resource tracker (which unlinks what a dead parent registered)
and, should that be killed too, to `remove_stale`, which the next start runs: any segment whose
pid is no longer alive is unlinked."""

from __future__ import annotations

import contextlib
import math
import mmap
import os
import re
import secrets
import struct
import threading
from dataclasses import dataclass
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import numpy as np
import numpy.typing as npt

from keyuan.services.faces.engine import TEMPLATE_DIM, Template
from keyuan.services.faces.gallery import Gallery, IdentifyResult

SHM_DIR = Path("/dev/shm")
PREFIX = "keyuan_gallery_"
_HEADER = struct.Struct("<4sQII")  # magic, version, rows, key bytes
_MAGIC = b"KYG1"
_NAME = re.compile(rf"^{PREFIX}(\d+)_")


def _layout(n: int) -> tuple[int, int, int]:
    """Offsets of the matrix, the squared norms and the keys (all 4-byte aligned)."""
    rows_at = 64
    norms_at = rows_at + 4 * n * TEMPLATE_DIM
    return rows_at, norms_at, norms_at + 4 * n


@dataclass
class _Segment:
    shm: SharedMemory
    version: int
    size: int
    rows: int
    in_use: int = 0
    retired: bool = False


class GalleryPublisher:
    """Parent side: `acquire` gives the segment of the current gallery version for one frame
    (publishing it first if the gallery changed); `release` when the worker answered;
    `refresh` publishes a changed gallery at once, while no frame comes."""

    def __init__(self, gallery: Gallery) -> None:
        self._gallery = gallery
        self._lock = threading.Lock()
        self._current: _Segment | None = None
        self._segments: dict[str, _Segment] = {}

    def acquire(self) -> tuple[str, int]:
        with self._lock:
            current = self._current
            if current is None or current.version != self._gallery.version:
                current = self._publish()
            current.in_use += 1
            return current.shm.name, current.size

    def release(self, name: str) -> None:
        with self._lock:
            segment = self._segments.get(name)
            if segment is None:
                return
            segment.in_use -= 1
            if segment.retired and segment.in_use <= 0:
                self._unlink(name)

    def refresh(self) -> None:
        """Once anything was published: publish the gallery's current version now if it moved
        (the superseded segment goes at once unless a frame in flight still uses it)."""
        with self._lock:
            if self._current is not None and self._current.version != self._gallery.version:
                self._publish()

    @property
    def version(self) -> int | None:
        """The gallery version the current segment holds (None: nothing published)."""
        with self._lock:
            return None if self._current is None else self._current.version

    @property
    def templates(self) -> int:
        """How many templates the current segment holds (0: nothing published)."""
        with self._lock:
            return 0 if self._current is None else self._current.rows

    def names(self) -> list[str]:
        with self._lock:
            return list(self._segments)

    def close(self) -> None:
        with self._lock:
            for name in list(self._segments):
                self._unlink(name)
            self._current = None

    def _publish(self) -> _Segment:
        version, keys, rows = self._gallery.snapshot()
        blob = "\n".join(keys).encode()
        rows_at, norms_at, keys_at = _layout(len(keys))
        size = keys_at + len(blob)
        shm = SharedMemory(name=f"{PREFIX}{os.getpid()}_{version}_{secrets.token_hex(4)}",
                           create=True, size=size)
        buf = shm.buf
        assert buf is not None
        _HEADER.pack_into(buf, 0, _MAGIC, version, len(keys), len(blob))
        np.frombuffer(buf, np.float32, rows.size, rows_at)[:] = rows.ravel()
        np.frombuffer(buf, np.float32, len(keys), norms_at)[:] = np.einsum("ij,ij->i", rows, rows)
        buf[keys_at:size] = blob
        del buf
        shm.close()  # the parent never reads it back; the name lives until unlinked
        segment = _Segment(shm, version, size, len(keys))
        if self._current is not None:
            self._current.retired = True
            if self._current.in_use <= 0:
                self._unlink(self._current.shm.name)
        self._segments[shm.name] = self._current = segment
        return segment

    def _unlink(self, name: str) -> None:
        segment = self._segments.pop(name)
        with contextlib.suppress(FileNotFoundError):
            segment.shm.unlink()


class GalleryView:
    """Worker side: one published version mapped read-only (a worker cannot alter it), for
    one frame: `close` unmaps it."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        fd = os.open(SHM_DIR / name, os.O_RDONLY)
        try:
            self._map = mmap.mmap(fd, size, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
        magic, self.version, n, key_bytes = _HEADER.unpack_from(self._map, 0)
        if magic != _MAGIC:
            raise ValueError(f"{name} is not a published gallery")
        rows_at, norms_at, keys_at = _layout(n)
        self._rows = np.frombuffer(self._map, np.float32, n * TEMPLATE_DIM,
                                   rows_at).reshape(n, TEMPLATE_DIM)
        self._sq_norms = np.frombuffer(self._map, np.float32, n, norms_at)
        raw = self._map[keys_at:keys_at + key_bytes].decode()
        self._keys = raw.split("\n") if n else []

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def pseudonyms(self) -> list[str]:
        """Whose templates this version holds (tests look, from outside the workers)."""
        return list(self._keys)

    def identify(self, template: Template, match_threshold: float,
                 review_threshold: float) -> IdentifyResult:
        """The same search and outcome bands as `Gallery.identify`."""
        probe = np.ascontiguousarray(template, dtype=np.float32)
        if not self._keys:
            return IdentifyResult("unknown", None, None)
        best = _nearest(self._rows, self._sq_norms, probe)
        diff = self._rows[best] - probe
        nearest = math.sqrt(float(diff @ diff))
        if nearest <= match_threshold:
            return IdentifyResult("match", self._keys[best], nearest)
        if nearest <= review_threshold:
            return IdentifyResult("needs_review", self._keys[best], nearest)
        return IdentifyResult("unknown", None, nearest)

    def close(self) -> None:
        del self._rows, self._sq_norms  # numpy views must go before the map can be closed
        with contextlib.suppress(BufferError):  # a view kept alive (a traceback): unmapped
            self._map.close()  # when that goes


def _nearest(rows: npt.NDArray[np.float32], sq_norms: npt.NDArray[np.float32],
             probe: npt.NDArray[np.float32]) -> int:
    return int(np.argmin(sq_norms - 2.0 * (rows @ probe)))


def segments_of(pid: int) -> list[str]:
    """Names of gallery segments published by process `pid` (tests, and the stale sweep)."""
    if not SHM_DIR.is_dir():
        return []
    return sorted(p.name for p in SHM_DIR.glob(f"{PREFIX}{pid}_*"))


def remove_stale() -> list[str]:
    """Unlink gallery segments whose publishing process is gone (a `kill -9` that also took
    the resource tracker with it). Returns what was removed."""
    removed = []
    for path in SHM_DIR.glob(f"{PREFIX}*") if SHM_DIR.is_dir() else []:
        match = _NAME.match(path.name)
        if match is None or _alive(int(match.group(1))):
            continue
        try:
            path.unlink()
            removed.append(path.name)
        except FileNotFoundError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True
