"""扫码带访 wire shapes: the pass the agent's phone shows, and reception's scan. No biometric
field and no full mobile anywhere (C21): numbers are masked 前三后四."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Name, Strict
from keyuan.services.attribution.escort import EscortDone, IssuedPass


class EscortPassPublic(BaseModel):
    pass_id: str
    registration_id: str
    office_id: str
    customer_name: str
    masked_mobile: str
    token: str = Field(description="What the QR code carries (KYE1.…), signed; scan it once.")
    code: str = Field(description="The same pass as a short code to type (XXXX-XXXX).")
    qr_url: str = Field(description="The QR code as SVG, for the agent's phone.")
    issued_at: datetime
    expires_at: datetime


class EscortIn(Strict):
    token: str | None = Field(None, max_length=200,
                              description="The scanned QR code's text (KYE1.…).")
    code: str | None = Field(None, max_length=20, description="The typed short code.")
    mobile: str = Field(max_length=20, description="The number the customer states.")
    name: Name = None


class EscortPublic(BaseModel):
    visit_id: str
    at: datetime
    method: Literal["staff"] = Field(description="到访确认, as every escorted visit.")
    via: str = Field(description="qr (the camera read the pass) or code (typed)")
    registration_id: str
    customer_name: str
    masked_mobile: str
    channel: str
    agent: str = Field(description="The account that showed the pass.")
    agent_name: str | None


def pass_public(issued: IssuedPass) -> EscortPassPublic:
    e, r = issued.escort, issued.registration
    return EscortPassPublic(
        pass_id=e.id, registration_id=r.id, office_id=e.office_id,
        customer_name=r.customer_name, masked_mobile=r.masked_mobile, token=issued.token,
        code=issued.code, qr_url=f"/api/channels/{e.channel_id}/escort-passes/{e.id}/qr.svg",
        issued_at=e.issued_at, expires_at=e.expires_at)


def escort_public(done: EscortDone) -> EscortPublic:
    r = done.registration
    return EscortPublic(
        visit_id=done.visit.id, at=done.visit.at, method="staff",
        via=str(done.visit.evidence["escort"]["via"]), registration_id=r.id,
        customer_name=r.customer_name, masked_mobile=r.masked_mobile, channel=done.channel_name,
        agent=done.escort.issued_by, agent_name=done.agent_name)
