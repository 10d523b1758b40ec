"""What every area's wire shapes share: the strict base (unknown fields refused), frames as
base64 decoded in memory, and an optional trimmed name."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from keyuan.domain.errors import NotAnImage


def _b64(value: str) -> str:
    head, _, tail = value.partition(",")
    return tail if head.startswith("data:") else value


def decode_frames(frames: list[str]) -> list[bytes]:
    out = []
    for i, frame in enumerate(frames):
        try:
            out.append(base64.b64decode(_b64(frame), validate=True))
        except (binascii.Error, ValueError) as exc:
            raise NotAnImage(f"frame {i} is not base64-encoded image data") from exc
    return out


def _strip(value: str | None) -> str | None:
    return value.strip() or None if value else None


Name = Annotated[str | None, Field(None, max_length=50), AfterValidator(_strip)]
Frames = Annotated[list[str], Field(min_length=1, max_length=10, description=(
    "JPEG/PNG frames, base64 (a data: URL prefix is accepted). Decoded in memory, never stored."
))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoBody(Strict):
    """For actions that need no input: an empty object (or no body) is accepted, any field is
    refused — a client cannot name an actor here either."""
