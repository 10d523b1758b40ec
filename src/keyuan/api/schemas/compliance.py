"""Compliance wire shapes: receipts and their check, the impact assessment, the audit chain, the
filing counter, the inspection, notices, and the visitor's rights."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Frames, FrameSteps, FrameTimes, Input, Strict


class ReceiptKeyPublic(BaseModel):
    algorithm: str
    public_key: str
    key_id: str


class ReceiptCheckPublic(BaseModel):
    genuine: bool
    problems: list[str]
    consent_status: str


class AssessmentPublic(BaseModel):
    current: bool
    settings_hash: str
    latest_id: str | None
    latest_recorded_at: datetime | None
    latest_is_demo: bool | None


class AuditPublic(BaseModel):
    intact: bool
    entries: int
    head: str
    problems: list[str]


class FilingPublic(BaseModel):
    legal_entity: str
    people: int
    state: str
    due_since: datetime | None
    deadline: date | None


class InspectionPublic(BaseModel):
    clean: bool
    templates: int
    violations: list[tuple[str, str]]
    audit_entries: int
    audit_problems: list[str]
    assessment_current: bool
    anchor_seq: int | None = Field(None, description="The newest audit anchor kept outside the "
                                   "store (the chain must still reach it); None: none kept.")
    anchor_at: datetime | None = None
    assessment: str = Field(description="The impact assessment (C23): current, not_needed (face "
                            "module off), missing, stale, or demo (a demonstration: a violation).")


# --- notices (C3, C9, C25): drafts, the completeness and grant lint, publish ---
class NoticeDraftIn(Input):
    language: str = Field("zh-CN", max_length=10)
    text: dict[str, str] = Field(description="The notice's text fields (controller, purpose, …).")


class NoticeAdminPublic(BaseModel):
    id: int
    office_id: str
    language: str
    state: str
    version: int
    content_hash: str | None
    published_at: datetime | None
    problems: list[str]
    text: dict[str, str]
    face_uses: list[str] = Field(default_factory=list, description="The face uses a published "
                                 "notice names (generated at publishing).")


class RightsCodeIn(Input):
    receipt_id: str = Field(min_length=8, max_length=32, description=(
        "回执编号 (KY-7F3KQ-9Q2MX; any case, dashes and spaces optional) or, from a receipt "
        "printed before codes existed, its long id."))


class RightsVerifyIn(RightsCodeIn):
    code: str = Field(pattern=r"^\d{6}$")


class RightsCodePublic(BaseModel):
    masked_mobile: str
    expires_at: datetime


class RightsAccessPublic(BaseModel):
    token: str
    expires_at: datetime


class CorrectIn(Input):
    name: str | None = Field(None, max_length=100)
    mobile: str | None = Field(None, max_length=20)


class RightsRequestPublic(BaseModel):
    id: str
    kind: str
    status: str
    received_at: datetime
    due_on: date | None
    detail: dict[str, Any]


class CloseIn(Strict):

    approve: bool
    outcome: str = Field(min_length=1, max_length=2000)


class InPersonIn(RightsCodeIn):
    frames: Frames
    frame_times_ms: FrameTimes = None
    frame_steps: FrameSteps = None
    id_document_checked: bool = Field(
        False, description="Staff looked at an ID document of the visitor: the second factor an "
        "uncertain face score needs before any data is shown (recorded in the audit log).")
    challenge_id: str | None = Field(None, max_length=64, description=(
        "The liveness challenge this member of staff asked for (POST /api/offices/{office_id}/"
        "rights-desk/liveness-challenges); it serves this one check."))


class InPersonPublic(BaseModel):
    """`verified`: the rights token (same as the mobile path's); `queued`: the staff task."""

    outcome: str
    token: str | None = None
    expires_at: datetime | None = None
    request: RightsRequestPublic | None = None
