"""Who is using a data directory: `keyuan serve`, `keyuan capture pull` and `keyuan backup` hold
a shared lock on the data directory itself while they run; `keyuan restore` and `keyuan vault
rotate-key` need it exclusively, so they refuse while any of those runs (and those refuse to
start while a restore or a rotation runs). An `flock`: the kernel drops it when the process
ends, however it ends, so a crash never leaves a stale lock. The directory is the lock (flock on
its descriptor), so no file is written for it: a command refused for another reason leaves the
data directory exactly as it found it."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from keyuan.domain.errors import MaintenanceRunning, ServeRunning


@contextmanager
def _locked(data_dir: Path, operation: int, refusal: Exception) -> Iterator[None]:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
        except BlockingIOError:
            raise refusal from None
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def in_use(data_dir: Path) -> AbstractContextManager[None]:
    """Held while serving (or pulling, or backing up); `MaintenanceRunning` if a restore or a
    key rotation holds the directory."""
    return _locked(data_dir, fcntl.LOCK_SH, MaintenanceRunning())


def exclusive(data_dir: Path) -> AbstractContextManager[None]:
    """Held while restoring or rotating the vault key; `ServeRunning` if anything else holds
    the directory."""
    return _locked(data_dir, fcntl.LOCK_EX, ServeRunning())
