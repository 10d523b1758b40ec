"""Embedding cache for PUBLIC labelled test photos only (never visitor data): one small JSON file
per photo, keyed by the SHA-256 of the photo's bytes, under a directory named after everything
that changes a template: the engine's model tag (kind + weight fingerprint, so two engines' or two
models' templates never mix), the detection settings and the cache format. Thresholds are not
part of it: they change decisions, not templates. No image and no file name is stored.

Each entry is written to a temporary file and renamed into place, so an interrupted run leaves
only whole entries and the next run resumes where it stopped."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from pathlib import Path

from keyuan.adapters.biometrics.codec import TemplateFormatError, decode_template, encode_template
from keyuan.config.face import FaceSettings
from keyuan.evaluation.faces import FaceRecord

CACHE_FORMAT = 2
"""2: records carry the face's quality measures (detector score, sharpness, size)."""
DEFAULT_CACHE_DIR = Path("var/eval-cache")


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


THRESHOLD_FIELDS = {"dlib", "sface"}


def settings_fingerprint(settings: FaceSettings, whole_crop_fallback: bool, *,
                         model_tag: str) -> str:
    """Templates made by another model or under other settings live in another directory."""
    face = settings.model_dump(mode="json", exclude=THRESHOLD_FIELDS)
    blob = json.dumps({"format": CACHE_FORMAT, "model": model_tag, "face": face,
                       "whole_crop_fallback": whole_crop_fallback}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class TemplateCache:
    """Directory-backed map from photo SHA-256 to `FaceRecord`."""

    def __init__(self, root: Path, fingerprint: str) -> None:
        self.directory = root / fingerprint

    def _path(self, digest: str) -> Path:
        return self.directory / digest[:2] / f"{digest}.json"

    def get(self, digest: str) -> FaceRecord | None:
        """The stored record, or None when absent or unreadable (then it is simply recomputed)."""
        try:
            entry = json.loads(self._path(digest).read_text(encoding="utf-8"))
            template = entry["template"]
            score, sharpness, face_px = (float(v) for v in entry["measures"])
            return FaceRecord(
                entry["status"], entry["box_source"], entry["quality"],
                None if template is None else decode_template(base64.b64decode(template)),
                score, sharpness, face_px,
            )
        except (OSError, ValueError, KeyError, TypeError, TemplateFormatError):
            return None

    def put(self, digest: str, record: FaceRecord) -> None:
        template = None if record.template is None else base64.b64encode(
            encode_template(record.template)).decode("ascii")
        entry = {"status": record.status, "box_source": record.box_source,
                 "quality": record.quality, "template": template,
                 "measures": [record.detector_score, record.sharpness, record.face_px]}
        target = self._path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
