"""The admin's view of channels (渠道管理): every channel with its id, searchable by name and
status; edit a channel's name or contract, deactivate or reactivate a channel or one of its
agents. Adding a channel or an agent is `registration.create_channel` / `add_agent`, as the
CLI does. A deactivated channel or agent takes no new 报备 (`registration.register`); what it
registered, its agreements and statements stay. Every change is audited with the actor."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from keyuan.domain.attribution.channels import Agent, Channel, ChannelKind
from keyuan.domain.attribution.commission import Agreement
from keyuan.domain.errors import InvalidRegistration, UnknownAgent, UnknownChannel
from keyuan.services.ports import Deps

MAX_QUERY = 100


class ChannelStatus(StrEnum):
    """The list's status filter."""

    ALL = "all"
    ACTIVE = "active"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class ChannelCard:
    channel: Channel
    office_name: str
    agents: list[Agent]
    agreements: list[Agreement]


def channel_cards(deps: Deps, *, query: str = "",
                  status: ChannelStatus = ChannelStatus.ALL) -> list[ChannelCard]:
    """Channels whose name (or id) contains `query` (case-insensitive), of that status, with
    their agents and agreements. An office has tens of channels, not thousands."""
    wanted = query.strip().casefold()[:MAX_QUERY]
    with deps.uow() as uow:
        offices = {o.id: o.name for o in uow.offices.all()}
        cards = []
        for channel in uow.attribution.all_channels():
            if wanted and wanted not in channel.name.casefold() and wanted != channel.id:
                continue
            if status is not ChannelStatus.ALL \
                    and channel.active != (status is ChannelStatus.ACTIVE):
                continue
            cards.append(ChannelCard(channel, offices.get(channel.office_id, channel.office_id),
                                     uow.attribution.agents_of(channel.id),
                                     uow.attribution.agreements(channel.id)))
        return cards


def channel_card(channel_id: str, deps: Deps) -> ChannelCard:
    with deps.uow() as uow:
        channel = uow.attribution.channel(channel_id)
        if channel is None:
            raise UnknownChannel()
        office = uow.offices.get(channel.office_id)
        return ChannelCard(channel, office.name if office else channel.office_id,
                           uow.attribution.agents_of(channel.id),
                           uow.attribution.agreements(channel.id))


def edit_channel(channel_id: str, deps: Deps, *, actor: str, name: str | None = None,
                 contract_ref: str | None = None) -> Channel:
    """Only what is given changes. A referrer keeps a contract (老带新 needs one)."""
    with deps.uow() as uow:
        channel = uow.attribution.channel(channel_id, lock=True)
        if channel is None:
            raise UnknownChannel()
        changed: dict[str, object] = {}
        if name is not None:
            if not name.strip():
                raise InvalidRegistration("A channel needs a name.")
            channel.name, changed["name"] = name.strip(), True
        if contract_ref is not None:
            ref = contract_ref.strip() or None
            if ref is None and channel.kind is ChannelKind.REFERRER:
                raise InvalidRegistration(
                    "A referrer is an owner: give their signed contract number.")
            channel.contract_ref, changed["contract_ref"] = ref, True
        if changed:
            uow.audit.append(at=deps.clock.now(), actor=actor, action="channel_edited",
                             subject=channel.id, detail={"fields": sorted(changed)})
        uow.commit()
        return channel


def set_channel_active(channel_id: str, active: bool, deps: Deps, *, actor: str) -> Channel:
    """Deactivate or reactivate; the row is locked, so of parallel requests only the first
    changes it and is audited (the rest find it already so)."""
    with deps.uow() as uow:
        channel = uow.attribution.channel(channel_id, lock=True)
        if channel is None:
            raise UnknownChannel()
        if channel.active != active:
            channel.active = active
            uow.audit.append(at=deps.clock.now(), actor=actor,
                             action="channel_reactivated" if active else "channel_deactivated",
                             subject=channel.id, detail={})
        uow.commit()
        return channel


def set_agent_active(agent_id: str, active: bool, deps: Deps, *, actor: str) -> Agent:
    with deps.uow() as uow:
        agent = uow.attribution.agent(agent_id, lock=True)
        if agent is None:
            raise UnknownAgent()
        if agent.active != active:
            agent.active = active
            uow.audit.append(at=deps.clock.now(), actor=actor,
                             action="agent_reactivated" if active else "agent_deactivated",
                             subject=agent.id, detail={"channel_id": agent.channel_id})
        uow.commit()
        return agent
