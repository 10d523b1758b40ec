"""Wire shapes of the admin workspace's API: accounts (add, disable, reset password) and
channels with their agents and agreements. A temporary password appears once, in the answer
that made it, and never in a list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Strict
from keyuan.domain.accounts.model import Role, User
from keyuan.domain.attribution.channels import Agent
from keyuan.services.attribution.channel_admin import ChannelCard


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


# --- channels (渠道), their agents and agreements ---
class AdminChannelIn(Strict):
    office_id: Annotated[str, Field(min_length=1, max_length=64)]
    kind: Literal["distributor", "referrer"]
    name: Annotated[str, Field(max_length=200)]
    contract_ref: Annotated[str | None, Field(None, max_length=64, description=(
        "Referrers (老带新): the owner's signed contract number."))] = None


class ChannelPatch(Strict):
    """Only the fields given change; "" takes a distributor's contract off file."""

    name: Annotated[str | None, Field(None, max_length=200)] = None
    contract_ref: Annotated[str | None, Field(None, max_length=64)] = None


class ActiveIn(Strict):
    active: bool


class AdminAgentIn(Strict):
    name: Annotated[str, Field(max_length=100)]


class AdminAgentPublic(BaseModel):
    agent_id: str
    channel_id: str
    name: str
    active: bool


class AgreementPublic(BaseModel):
    agreement_id: str
    kind: str
    value: int = Field(description="Basis points of the price (percent) or fen (fixed).")
    effective_from: datetime
    effective_to: datetime | None


class AdminChannelPublic(BaseModel):
    channel_id: str
    office_id: str
    office_name: str
    kind: str
    name: str
    contract_ref: str | None
    active: bool
    agents: list[AdminAgentPublic]
    agreements: list[AgreementPublic]


def agent_public(agent: Agent) -> AdminAgentPublic:
    return AdminAgentPublic(agent_id=agent.id, channel_id=agent.channel_id, name=agent.name,
                            active=agent.active)


def channel_public(card: ChannelCard) -> AdminChannelPublic:
    c = card.channel
    return AdminChannelPublic(
        channel_id=c.id, office_id=c.office_id, office_name=card.office_name, kind=c.kind.value,
        name=c.name, contract_ref=c.contract_ref, active=c.active,
        agents=[agent_public(a) for a in card.agents],
        agreements=[AgreementPublic(agreement_id=a.id, kind=a.kind.value, value=a.value,
                                    effective_from=a.effective_from, effective_to=a.effective_to)
                    for a in card.agreements])
