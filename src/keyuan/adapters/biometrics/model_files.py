"""Weight files of the face engines: where they are and a fingerprint of their bytes. A template
is tagged with the fingerprint of the weights that made it (`EngineModel`)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

FINGERPRINT_HEX = 16


@functools.cache
def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(*paths: Path) -> str:
    """A short fingerprint over several weight files, in order."""
    combined = hashlib.sha256("".join(file_sha256(p) for p in paths).encode("ascii"))
    return combined.hexdigest()[:FINGERPRINT_HEX]
