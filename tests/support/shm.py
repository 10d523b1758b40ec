"""What a process holds of the shared-memory gallery, seen from outside it: the segments it
maps (/proc/<pid>/maps), its child processes, and how many templates a segment holds."""

from __future__ import annotations

from pathlib import Path

from keyuan.adapters.capture.shared_gallery import PREFIX, SHM_DIR, GalleryView


def mapped_segments(pid: int) -> list[str]:
    """Names of gallery segments process `pid` has mapped now (an unlinked one shows as
    "(deleted)": it still counts, as its memory is still there)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return sorted({line.split("/")[-1].split()[0] for line in maps.splitlines()
                   if f"/{PREFIX}" in line})


def children(pid: int) -> list[int]:
    """Direct children of `pid` (the capture workers, the resource tracker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return sorted(set(found))


def segment_templates(name: str) -> int:
    """How many templates the linked segment `name` holds."""
    return len(segment_keys(name))


def segment_keys(name: str) -> list[str]:
    """Whose templates the segment `name` holds ([] once it is unlinked)."""
    try:
        view = GalleryView(name, (SHM_DIR / name).stat().st_size)
    except FileNotFoundError:
        return []
    try:
        return view.pseudonyms
    finally:
        view.close()
