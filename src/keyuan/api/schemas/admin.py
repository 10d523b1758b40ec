"""Wire shapes of the admin workspace's API: accounts (add, disable, reset password) and
channels with their agents and agreements. A temporary password appears once, in the answer
that made it, and never in a list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Strict
from keyuan.domain.accounts.model import Role, User


class AccountIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64, description=(
        "2-64 characters: a-z, 0-9, '.', '_', '-'."))]
    role: Role
    channel_id: Annotated[str | None, Field(None, max_length=16, description=(
        "Distributor and agent accounts: their channel; staff accounts: none."))] = None


class DisabledIn(Strict):
    disabled: bool


class AccountPublic(BaseModel):
    username: str
    role: str
    channel_id: str | None
    disabled: bool
    created_at: datetime


class TemporaryPasswordPublic(BaseModel):
    account: AccountPublic
    temporary_password: str = Field(description=(
        "Shown this once: hand it to the account's owner. Only its hash is stored; every "
        "session of the account has ended."))


def account_public(user: User) -> AccountPublic:
    return AccountPublic(username=user.username, role=user.role.value, channel_id=user.channel_id,
                         disabled=user.disabled, created_at=user.created_at)
