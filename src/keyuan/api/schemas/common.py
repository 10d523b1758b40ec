"""What every area's wire shapes share: the strict base (unknown fields refused, no control
characters in any string), frames as base64 decoded in memory, trimmed names, and the bounded
types every money, count and time field uses (`domain/bounds.py`)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from keyuan.domain import bounds
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


_IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def _image_data(value: str) -> str:
    try:
        head = base64.b64decode(_b64(value), validate=True)[:12]
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64-encoded image data") from exc
    webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if not (webp or head.startswith(_IMAGE_SIGNATURES)):
        raise ValueError("not a JPEG, PNG or WebP image")
    return value


def _strip(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _instant(value: datetime) -> datetime:
    problem = bounds.instant_problem(value)
    if problem is not None:
        raise ValueError(f"the time {problem}")
    return value.astimezone(UTC)


Name = Annotated[str | None, Field(None, max_length=50), AfterValidator(_strip)]
NOT_BLANK = StringConstraints(strip_whitespace=True, min_length=1)
"""A name that must be there: blank or whitespace-only is refused (trimmed otherwise)."""
Fen = Annotated[int, Field(ge=0, le=bounds.MAX_FEN, description="Integer fen (分), at most 10^12.")]
Count = Annotated[int, Field(ge=0, le=bounds.MAX_COUNT)]
Instant = Annotated[datetime, AfterValidator(_instant), Field(
    description="An aware ISO 8601 time (with offset or Z) within the years 2000–2099 UTC.")]
"""Every time the API accepts: naive times and years outside 2000–2099 (after conversion to
UTC) are refused with 422; the value is handed on in UTC."""
ImageData = Annotated[str, Field(min_length=1, description=(
    "One JPEG/PNG/WebP image, base64 (a data: URL prefix is accepted); anything else is refused."
)), AfterValidator(_image_data)]
Frames = Annotated[list[str], Field(min_length=1, max_length=12, description=(
    "JPEG/PNG frames, base64 (a data: URL prefix is accepted). Decoded in memory, never stored."
))]
FrameTime = Annotated[int, Field(ge=0, le=bounds.MAX_FRAME_TIME_MS)]
FrameTimes = Annotated[list[FrameTime] | None, Field(max_length=12, description=(
    "When each frame was captured, in ms on the client's clock (a page's performance.now()), "
    "one per frame in the same order: the liveness check reads how they are spread. A count "
    "that differs from the frames' is frame_times_mismatch (422); none at all is refused "
    "wherever the liveness check runs (not_live, timestamps_missing): the kiosk's face "
    "enrollment and return visit, the in-person rights check, the signing desk's live frames, "
    "and any decision that carries a challenge."))]
"""The capture times beside every list of frames a face decision reads (issue 18)."""
FrameStep = Annotated[int, Field(ge=0, le=9)] | None
FrameSteps = Annotated[list[FrameStep] | None, Field(max_length=12, description=(
    "Where a liveness challenge runs: for each frame, in the same order, the index of the "
    "challenge's step it was captured under (0 = the first step), or null for the lead-in "
    "facing the camera before the first step. A count that differs from the frames' is "
    "frame_times_mismatch (422)."))]
"""The challenge step of each frame, beside `FrameTimes` (issue 18 item 2)."""


def _refuse_control_characters(value: Any, where: str = "") -> None:
    if isinstance(value, str):
        if bounds.has_control_characters(value):
            raise ValueError(f"{where or 'text'}: control characters are not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(key, where)
            _refuse_control_characters(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_control_characters(item, where)


class Input(BaseModel):
    """Every request body: no string anywhere in it (keys included) may hold NUL or another
    control character (PostgreSQL refuses U+0000; a name or an id has no use for them)."""

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        _refuse_control_characters(data)
        return data


class Strict(Input):
    model_config = ConfigDict(extra="forbid")


class NoBody(Strict):
    """For actions that need no input: an empty object (or no body) is accepted, any field is
    refused — a client cannot name an actor here either."""
