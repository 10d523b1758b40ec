"""Channels for the admin workspace (admin role only): every channel with its id (search by name
or id, filter by status), add, edit, deactivate or reactivate; a channel's agents (add,
deactivate, reactivate) and its agreements (listed; added by finance). Adding goes through the
same services as `keyuan attribution channel|agent add`; changes are audited with the admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.admin import (
    ActiveIn,
    AdminAgentIn,
    AdminAgentPublic,
    AdminChannelIn,
    AdminChannelPublic,
    ChannelPatch,
    agent_public,
    channel_public,
)
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import channel_admin as svc
from keyuan.services.attribution.registration import add_agent, create_channel

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/channels")
def list_channels(deps: ServiceDeps,
                  q: Annotated[str, Query(max_length=svc.MAX_QUERY)] = "",
                  status: svc.ChannelStatus = svc.ChannelStatus.ALL) -> list[AdminChannelPublic]:
    return [channel_public(card) for card in svc.channel_cards(deps, query=q, status=status)]


@router.post("/channels", status_code=201)
def add_channel(body: AdminChannelIn, who: CurrentPrincipal,
                deps: ServiceDeps) -> AdminChannelPublic:
    channel = create_channel(body.office_id, ChannelKind(body.kind), body.name, deps,
                             contract_ref=body.contract_ref, actor=who.actor)
    return channel_public(svc.channel_card(channel.id, deps))


@router.patch("/channels/{channel_id}")
def edit_channel(channel_id: str, body: ChannelPatch, who: CurrentPrincipal,
                 deps: ServiceDeps) -> AdminChannelPublic:
    svc.edit_channel(channel_id, deps, actor=who.actor, name=body.name,
                     contract_ref=body.contract_ref)
    return channel_public(svc.channel_card(channel_id, deps))


@router.put("/channels/{channel_id}/active")
def set_channel_active(channel_id: str, body: ActiveIn, who: CurrentPrincipal,
                       deps: ServiceDeps) -> AdminChannelPublic:
    """A deactivated channel takes no new 报备; its history, agreements and statements stay."""
    svc.set_channel_active(channel_id, body.active, deps, actor=who.actor)
    return channel_public(svc.channel_card(channel_id, deps))


@router.post("/channels/{channel_id}/agents", status_code=201)
def add_channel_agent(channel_id: str, body: AdminAgentIn, who: CurrentPrincipal,
                      deps: ServiceDeps) -> AdminAgentPublic:
    return agent_public(add_agent(channel_id, body.name, deps, actor=who.actor))


@router.put("/agents/{agent_id}/active")
def set_agent_active(agent_id: str, body: ActiveIn, who: CurrentPrincipal,
                     deps: ServiceDeps) -> AdminAgentPublic:
    return agent_public(svc.set_agent_active(agent_id, body.active, deps, actor=who.actor))
