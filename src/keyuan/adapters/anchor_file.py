"""Audit anchors in an append-only file beside the store (`data_dir/audit-anchors.log`, 0600):
one line per anchor, `<UTC time> <seq>:<hash>`. Opened with O_APPEND for every write and synced,
so earlier lines are never rewritten; an unreadable line is skipped, never trusted."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from keyuan.domain.compliance.audit import Anchor


class AnchorFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, anchor: Anchor, at: datetime) -> None:
        line = f"{at.isoformat()} {anchor}\n".encode()
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def latest(self) -> tuple[Anchor, datetime] | None:
        try:
            lines = self.path.read_text("ascii").splitlines()
        except FileNotFoundError:
            return None
        for line in reversed(lines):
            when, _, text = line.partition(" ")
            try:
                return Anchor.parse(text), datetime.fromisoformat(when)
            except ValueError:
                continue
        return None
