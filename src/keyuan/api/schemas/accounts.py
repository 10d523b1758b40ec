"""Account wire shapes: log in, bearer tokens, who am I. A password is never echoed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Strict


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256, repr=False)


class MePublic(BaseModel):
    username: str
    role: str
    channel_id: str | None


class LoginPublic(MePublic):
    csrf_token: str
    expires_at: datetime


class TokenPublic(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
