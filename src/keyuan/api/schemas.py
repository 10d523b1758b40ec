"""Wire shapes. Separate request and public response models; never an ORM object on the wire.
Nothing here carries a template, a distance to anyone else, or another person's name."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

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


class StartSession(Strict):
    office_id: str = Field(max_length=64)


class FaceConsentIn(Strict):
    notice_hash: str = Field(min_length=64, max_length=64)
    age_14_or_over: bool = Field(description="Face check-in is refused under 14 (C5).")
    agree: Literal[True] = Field(description="The separate biometric consent; must be ticked.")
    name: Name = None


class EnrollIn(Strict):
    consent_id: str = Field(max_length=64)
    frames: Frames


class FrameCheckIn(Strict):
    consent_id: str = Field(max_length=64)
    frame: str = Field(min_length=1, description=(
        "One live JPEG/PNG frame, base64 (a data: URL prefix is accepted). Checked in memory for "
        "live guidance only: no template is computed, nothing is stored."))


class CodeIn(Strict):
    mobile: str = Field(max_length=20)


class PhoneCheckInIn(Strict):
    mobile: str = Field(max_length=20)
    code: str = Field(min_length=4, max_length=8)
    notice_hash: str = Field(min_length=64, max_length=64)
    agree: bool
    name: Name = None


class ReturnIn(Strict):
    receipt_id: str | None = Field(None, max_length=64)
    mobile: str | None = Field(None, max_length=20)
    frames: Frames


class NoticePublic(BaseModel):
    office_id: str
    language: str
    version: int
    content_hash: str
    published_at: datetime | None
    summary: str
    sections: dict[str, str]


class SessionPublic(BaseModel):
    session_id: str
    office_id: str
    face_available: bool
    face_declined: bool
    notice: NoticePublic


class ReceiptPublic(BaseModel):
    receipt_id: str
    scope: str
    status: Literal["active", "withdrawn"]
    given_at: datetime
    withdrawn_at: datetime | None
    receipt_sha256: str
    receipt: dict[str, Any]


class CheckInPublic(BaseModel):
    visit_id: str
    office_id: str
    method: str
    at: datetime
    receipt: ReceiptPublic


class FrameCheckPublic(BaseModel):
    ok: bool
    advice: str | None = Field(None, description=(
        "The quality gate's reason code when the frame would be refused (no_face, "
        "multiple_faces, face_too_small, face_too_blurry, face_too_dark, face_too_bright)."))


class CodeSentPublic(BaseModel):
    masked_mobile: str
    expires_at: datetime


class DeclinedPublic(BaseModel):
    session_id: str
    next: Literal["phone"] = "phone"
