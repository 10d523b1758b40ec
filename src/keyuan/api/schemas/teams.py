"""Wire shapes of 渠道团队: a distributor company's teams (门店, 团队) with their agents and the
rules in force at each place (where each value comes from, in words), and a statement's
per-team subtotals."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Strict
from keyuan.domain.attribution.teams import MAX_NAME, EffectiveRules, TeamSubtotal
from keyuan.services.attribution.teams import ChannelTeams, TeamView

TeamId = Annotated[str, Field(min_length=1, max_length=16)]
ValidHours = Annotated[int | None, Field(None, ge=1, le=2160, description=(
    "报备有效期: hours from the registration to the first visit; null: inherited."))]
ProtectionDays = Annotated[int | None, Field(None, ge=1, le=365, description=(
    "保护期: days after the first visit; null: inherited."))]


class TeamIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    parent_id: TeamId | None = Field(None, description="null: directly under the company.")


class TeamNameIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]


class TeamParentIn(Strict):
    parent_id: TeamId | None = Field(description="null: directly under the company.")


class AgentTeamIn(Strict):
    team_id: TeamId | None = Field(description="null: directly in the company.")


class RuleOverrideIO(Strict):
    registration_valid_hours: ValidHours = None
    protection_days: ProtectionDays = None


class RulesInForcePublic(BaseModel):
    registration_valid_hours: int
    protection_days: int
    known_lookback_days: int
    inherited_from: list[str] = Field(description=(
        "Who set each value that is not the office's (nearest wins); empty: the office's."))


class TeamAgentPublic(BaseModel):
    agent_id: str
    name: str
    active: bool


class TeamPublic(BaseModel):
    team_id: str
    parent_id: str | None
    name: str
    label: str = Field(description="The name with its ancestors: 华东区 / 南京路店 / 一组.")
    depth: int
    active: bool
    own_rules: RuleOverrideIO
    rules_in_force: RulesInForcePublic
    agents: list[TeamAgentPublic]


class ChannelTeamsPublic(BaseModel):
    channel_id: str
    name: str
    company_rules: RuleOverrideIO
    rules_in_force: RulesInForcePublic
    teams: list[TeamPublic]
    unassigned_agents: list[TeamAgentPublic]


class TeamSubtotalPublic(BaseModel):
    team_id: str | None = Field(description="null: the company itself (deals of agents in no "
                                            "team, and adjustments).")
    label: str
    depth: int
    deals: int
    own_fen: int
    subtree_deals: int
    subtree_fen: int


def _in_force(rules: EffectiveRules) -> RulesInForcePublic:
    r = rules.rules
    return RulesInForcePublic(registration_valid_hours=r.registration_valid_hours,
                              protection_days=r.protection_days,
                              known_lookback_days=r.known_lookback_days,
                              inherited_from=list(rules.sources))


def _agents(view_agents: list) -> list[TeamAgentPublic]:  # type: ignore[type-arg]
    return [TeamAgentPublic(agent_id=a.id, name=a.name, active=a.active) for a in view_agents]


def _team(view: TeamView) -> TeamPublic:
    t = view.team
    return TeamPublic(team_id=t.id, parent_id=t.parent_id, name=t.name, label=view.label,
                      depth=view.depth, active=t.active,
                      own_rules=RuleOverrideIO(registration_valid_hours=t.registration_valid_hours,
                                               protection_days=t.protection_days),
                      rules_in_force=_in_force(view.rules), agents=_agents(view.agents))


def channel_teams_public(tree: ChannelTeams) -> ChannelTeamsPublic:
    c = tree.channel
    return ChannelTeamsPublic(
        channel_id=c.id, name=c.name,
        company_rules=RuleOverrideIO(registration_valid_hours=c.registration_valid_hours,
                                     protection_days=c.protection_days),
        rules_in_force=_in_force(tree.company), teams=[_team(v) for v in tree.teams],
        unassigned_agents=_agents(tree.unassigned))


def subtotal_public(s: TeamSubtotal) -> TeamSubtotalPublic:
    return TeamSubtotalPublic(team_id=s.team_id, label=s.label, depth=s.depth, deals=s.deals,
                              own_fen=s.own_fen, subtree_deals=s.subtree_deals,
                              subtree_fen=s.subtree_fen)
