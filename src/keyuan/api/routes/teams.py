"""渠道团队 over HTTP. Reading a company's tree: the company's own distributor accounts (never
another channel's: the policy resolves `channel_id`), finance, managers and admin. Changing it
(add, rename, move a team, move an agent, deactivate): admin. The 报备 rules of the company or a
team: managers and admin, like the office's rules."""

from __future__ import annotations

from fastapi import APIRouter

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.admin import ActiveIn, AdminAgentPublic, agent_public
from keyuan.api.schemas.teams import (
    AgentTeamIn,
    ChannelTeamsPublic,
    RuleOverrideIO,
    TeamIn,
    TeamNameIn,
    TeamParentIn,
    channel_teams_public,
)
from keyuan.domain.attribution.teams import RuleOverride
from keyuan.services.attribution import teams as svc

router = APIRouter(prefix="/api", tags=["teams"])


def _tree(channel_id: str, deps: ServiceDeps) -> ChannelTeamsPublic:
    return channel_teams_public(svc.channel_teams(channel_id, deps))


@router.get("/channels/{channel_id}/teams")
def channel_teams(channel_id: str, deps: ServiceDeps) -> ChannelTeamsPublic:
    """The company's teams depth first, each with its agents and the rules in force there."""
    return _tree(channel_id, deps)


@router.post("/admin/channels/{channel_id}/teams", status_code=201)
def add_team(channel_id: str, body: TeamIn, who: CurrentPrincipal,
             deps: ServiceDeps) -> ChannelTeamsPublic:
    svc.add_team(channel_id, body.name, deps, actor=who.actor, parent_id=body.parent_id)
    return _tree(channel_id, deps)


@router.put("/admin/teams/{team_id}/name")
def rename_team(team_id: str, body: TeamNameIn, who: CurrentPrincipal,
                deps: ServiceDeps) -> ChannelTeamsPublic:
    team = svc.rename_team(team_id, body.name, deps, actor=who.actor)
    return _tree(team.channel_id, deps)


@router.put("/admin/teams/{team_id}/parent")
def move_team(team_id: str, body: TeamParentIn, who: CurrentPrincipal,
              deps: ServiceDeps) -> ChannelTeamsPublic:
    team = svc.move_team(team_id, body.parent_id, deps, actor=who.actor)
    return _tree(team.channel_id, deps)


@router.put("/admin/teams/{team_id}/active")
def set_team_active(team_id: str, body: ActiveIn, who: CurrentPrincipal,
                    deps: ServiceDeps) -> ChannelTeamsPublic:
    """Deactivating a team that still holds an active agent or team is refused (409
    `team_not_empty`, naming them): move them first."""
    team = svc.set_team_active(team_id, body.active, deps, actor=who.actor)
    return _tree(team.channel_id, deps)


@router.put("/admin/agents/{agent_id}/team")
def move_agent(agent_id: str, body: AgentTeamIn, who: CurrentPrincipal,
               deps: ServiceDeps) -> AdminAgentPublic:
    return agent_public(svc.move_agent(agent_id, body.team_id, deps, actor=who.actor))


@router.put("/admin/teams/{team_id}/rules")
def set_team_rules(team_id: str, body: RuleOverrideIO, who: CurrentPrincipal,
                   deps: ServiceDeps) -> ChannelTeamsPublic:
    team = svc.set_team_rules(team_id, RuleOverride(body.registration_valid_hours,
                                                    body.protection_days), deps, actor=who.actor)
    return _tree(team.channel_id, deps)


@router.put("/admin/channels/{channel_id}/rules")
def set_company_rules(channel_id: str, body: RuleOverrideIO, who: CurrentPrincipal,
                      deps: ServiceDeps) -> ChannelTeamsPublic:
    svc.set_company_rules(channel_id, RuleOverride(body.registration_valid_hours,
                                                   body.protection_days), deps, actor=who.actor)
    return _tree(channel_id, deps)
