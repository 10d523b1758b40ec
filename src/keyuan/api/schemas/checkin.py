"""Check-in wire shapes (kiosk, notice, receipts): separate request and public models, and the
domain → wire mapping. Nothing here carries a template, a distance to anyone else, or another
person's name."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Frames, FrameSteps, FrameTimes, Name, Strict
from keyuan.domain.checkin.challenge import LivenessChallenge
from keyuan.domain.checkin.consent import Consent
from keyuan.domain.checkin.notice import SECTIONS, Notice
from keyuan.domain.checkin.receipt_code import format_code
from keyuan.services.checkin.face import CheckInResult


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
    frame_times_ms: FrameTimes = None


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


class RenewalIn(Strict):
    """The visitor's consent to the return-visit check under the notice in force, which the kiosk
    asks for at every face return (C1): recorded only where the consent on file predates a
    notice naming the return visit, and only if the face matches."""

    notice_hash: str = Field(min_length=64, max_length=64)
    age_14_or_over: bool = Field(description="Face check-in is refused under 14 (C5).")
    agree: Literal[True] = Field(description="The separate biometric consent; must be ticked.")


class ReturnIn(Strict):
    receipt_id: str | None = Field(None, max_length=64)
    mobile: str | None = Field(None, max_length=20)
    frames: Frames
    frame_times_ms: FrameTimes = None
    frame_steps: FrameSteps = None
    renewal: RenewalIn | None = Field(None, description="The visitor's consent to this check "
                                      "under the notice in force, asked at every face return "
                                      "before any comparison. Without it a claim whose consent "
                                      "predates that notice gets `not_verified`, like any claim "
                                      "that cannot be verified.")
    challenge_id: str | None = Field(None, max_length=64, description=(
        "The liveness challenge issued for this session (POST …/liveness-challenge); it serves "
        "this one return."))


class ChallengeIn(Strict):
    """Who the visitor says they are, before the camera: the challenge is counted against that
    claim like the return itself (one of `receipt_id`, `mobile`)."""

    receipt_id: str | None = Field(None, max_length=64)
    mobile: str | None = Field(None, max_length=20)


class ChallengePublic(BaseModel):
    """A liveness challenge (活体挑战): the head movements to ask for, in order. Send its id with
    the frames of the decision it serves, before it expires; it serves one decision."""

    challenge_id: str
    steps: list[str] = Field(description="turn_left, turn_right, look_up, look_down, in order.")
    expires_at: datetime
    seconds: int = Field(description="Seconds from issue to expiry.")


def challenge_public(challenge: LivenessChallenge) -> ChallengePublic:
    return ChallengePublic(
        challenge_id=challenge.id, steps=list(challenge.steps), expires_at=challenge.expires_at,
        seconds=int((challenge.expires_at - challenge.issued_at).total_seconds()))


class ReturnCheckIn(Strict):
    """A receipt claim only: a mobile number gets no answer before the camera (see
    `services.checkin.face.face_on_file`)."""

    receipt_id: str = Field(min_length=1, max_length=64)


class ReturnCheckPublic(BaseModel):
    face_on_file: bool = Field(description=(
        "The receipt's person has a live face check-in: the kiosk turns the camera on. False: "
        "no face check-in behind this receipt (a mobile check-in, withdrawn, or no such "
        "receipt); the kiosk offers mobile check-in without filming."))


class NoticePublic(BaseModel):
    office_id: str
    language: str
    version: int
    content_hash: str
    published_at: datetime | None
    summary: str
    sections: dict[str, str]
    face_uses: list[str] = Field(description="The stable names of the face uses this notice "
                                 "names; a use it does not name does not run (C3).")


class SessionPublic(BaseModel):
    session_id: str
    office_id: str
    face_available: bool
    face_declined: bool
    notice: NoticePublic


class ReceiptPublic(BaseModel):
    receipt_id: str = Field(description="The consent id: the key of the signed receipt "
                            "(`consentReceiptID`); internal, never shown to visitors.")
    receipt_code: str = Field(description="回执编号 as visitors see and type it, e.g. "
                              "KY-7F3KQ-9Q2MX.")
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
    visit_number: int = Field(description=(
        "This visit's number among the visitor's visits to the office, this one included: 1 "
        "on a first visit; above 1 the kiosk says welcome back. Answered only after the visitor "
        "proved who they are (their SMS code or their own face)."))
    receipt: ReceiptPublic
    mobile_on_file: bool = Field(description="A rights-portal code can be sent to the visitor's "
                                 "mobile; false: the receipt sends them to reception instead.")


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


def notice_public(n: Notice) -> NoticePublic:
    return NoticePublic(
        office_id=n.office_id, language=n.language, version=n.version,
        content_hash=n.content_hash, published_at=n.published_at, summary=n.summary,
        sections={name: getattr(n, name) for name in SECTIONS}, face_uses=list(n.face_uses),
    )


def receipt_public(c: Consent) -> ReceiptPublic:
    return ReceiptPublic(
        receipt_id=c.id, receipt_code=format_code(c.receipt_code), scope=c.scope.value,
        status="active" if c.is_active else "withdrawn",
        given_at=c.given_at, withdrawn_at=c.withdrawn_at, receipt_sha256=c.receipt_hash,
        receipt=c.receipt,
    )


def check_in_public(r: CheckInResult) -> CheckInPublic:
    v = r.visit
    return CheckInPublic(visit_id=v.id, office_id=v.office_id, method=v.method.value, at=v.at,
                         visit_number=r.visit_number, receipt=receipt_public(r.consent),
                         mobile_on_file=r.mobile_on_file)
