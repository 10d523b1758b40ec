"""渠道团队: a distributor company's tree of teams (门店, 团队) and its agents' places in it;
the rules and agreements set on the company or on a team, inherited down the tree (nearest
wins, `domain.attribution.teams`).

Every change to one company's tree — add, rename, move a team, move an agent, deactivate —
runs under the channel's row lock, so parallel changes are applied one after the other, each
on the tree the previous one left (no two siblings of one name, no cycle, no team left active
under a deactivated one). Each change is audited with the actor, only when something changed."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import NamedTuple, Protocol

from keyuan.domain.attribution.adjudication import ClaimFact
from keyuan.domain.attribution.channels import Agent, Channel, ChannelKind
from keyuan.domain.attribution.commission import Statement
from keyuan.domain.attribution.registration import AttributionRules
from keyuan.domain.attribution.teams import (
    EffectiveRules,
    InvalidTeam,
    RuleOverride,
    Team,
    TeamInactive,
    TeamNode,
    TeamNotEmpty,
    TeamSubtotal,
    TeamTree,
    UnknownTeam,
    effective_rules,
    rules_span,
    team_name,
    team_subtotals,
)
from keyuan.domain.errors import UnknownAgent, UnknownChannel
from keyuan.services.ports import Deps, UnitOfWork


def tree_of(uow: UnitOfWork, channel_id: str) -> tuple[TeamTree, list[Team]]:
    teams = uow.teams.teams_of([channel_id])
    return TeamTree(TeamNode.of(t) for t in teams), teams


def trees_of(uow: UnitOfWork, channel_ids: Collection[str]) -> dict[str, TeamTree]:
    """Each company's tree (an empty one for a channel without teams), in one query: what a
    claim's rules and a deal's agreement are resolved on (nearest team, then the company)."""
    nodes: dict[str, list[TeamNode]] = {cid: [] for cid in channel_ids}
    for team in uow.teams.teams_of(list(channel_ids)):
        nodes[team.channel_id].append(TeamNode.of(team))
    return {cid: TeamTree(found) for cid, found in nodes.items()}


def _company(uow: UnitOfWork, channel_id: str) -> Channel:
    """The distributor company, its row locked until the unit of work ends."""
    channel = uow.attribution.channel(channel_id, lock=True)
    if channel is None:
        raise UnknownChannel()
    if channel.kind is not ChannelKind.DISTRIBUTOR:
        raise InvalidTeam("Only distributor companies have teams.")
    return channel


def _team_locked(uow: UnitOfWork, team_id: str) -> tuple[Team, Channel]:
    """The team and its company, the company's row locked first (then the team is read again:
    a parallel change committed while we waited is what we see)."""
    found = uow.teams.team(team_id)
    if found is None:
        raise UnknownTeam()
    channel = _company(uow, found.channel_id)
    team = uow.teams.team(team_id, lock=True)
    if team is None:
        raise UnknownTeam()
    return team, channel


def _audit(uow: UnitOfWork, deps: Deps, actor: str, action: str, subject: str,
           **detail: object) -> None:
    uow.audit.append(at=deps.clock.now(), actor=actor, action=action, subject=subject,
                     detail=detail)


def add_team(channel_id: str, name: str, deps: Deps, *, actor: str,
             parent_id: str | None = None) -> Team:
    with deps.uow() as uow:
        _company(uow, channel_id)
        tree, _ = tree_of(uow, channel_id)
        clean = team_name(name)
        tree.check_parent(None, parent_id)
        tree.check_name(clean, parent_id)
        team = Team.new(channel_id=channel_id, name=clean, now=deps.clock.now(),
                        parent_id=parent_id)
        uow.teams.add(team)
        _audit(uow, deps, actor, "team_added", team.id, channel_id=channel_id,
               parent_id=parent_id, name=clean)
        uow.commit()
        return team


def rename_team(team_id: str, name: str, deps: Deps, *, actor: str) -> Team:
    with deps.uow() as uow:
        team, _ = _team_locked(uow, team_id)
        tree, _ = tree_of(uow, team.channel_id)
        clean = team_name(name)
        if clean != team.name:
            tree.check_name(clean, team.parent_id, team_id=team.id)
            _audit(uow, deps, actor, "team_renamed", team.id, channel_id=team.channel_id,
                   before=team.name, after=clean)
            team.name = clean
        uow.commit()
        return team


def move_team(team_id: str, parent_id: str | None, deps: Deps, *, actor: str) -> Team:
    """Hang the team (with everything below it) under another team of the same company, or
    directly under the company (None)."""
    with deps.uow() as uow:
        team, _ = _team_locked(uow, team_id)
        tree, _ = tree_of(uow, team.channel_id)
        if parent_id != team.parent_id:
            tree.check_parent(team.id, parent_id)
            tree.check_name(team.name, parent_id, team_id=team.id)
            _audit(uow, deps, actor, "team_moved", team.id, channel_id=team.channel_id,
                   before=team.parent_id, after=parent_id)
            team.parent_id = parent_id
        uow.commit()
        return team


def set_team_active(team_id: str, active: bool, deps: Deps, *, actor: str) -> Team:
    """Deactivating a team that still holds an active agent or an active team is refused
    (`TeamNotEmpty`): move them first. A team is reactivated only under an active parent.
    Its history (claims, agreements, statement lines) stays either way."""
    with deps.uow() as uow:
        team, _ = _team_locked(uow, team_id)
        tree, teams = tree_of(uow, team.channel_id)
        if team.active != active:
            if not active:
                agents = [a.name for a in uow.attribution.agents_of(team.channel_id)
                          if a.team_id == team.id and a.active]
                below = [t.name for t in teams if t.parent_id == team.id and t.active]
                if agents or below:
                    raise TeamNotEmpty(
                        "This team still holds "
                        + " and ".join(part for part in (
                            f"active agents ({', '.join(agents)})" if agents else "",
                            f"active teams ({', '.join(below)})" if below else "") if part)
                        + ": move them to another team first.", agents=agents, teams=below)
            elif team.parent_id is not None and not tree.nodes[team.parent_id].active:
                raise TeamInactive("Reactivate the parent team first.")
            team.active = active
            _audit(uow, deps, actor, "team_reactivated" if active else "team_deactivated",
                   team.id, channel_id=team.channel_id)
        uow.commit()
        return team


def move_agent(agent_id: str, team_id: str | None, deps: Deps, *, actor: str) -> Agent:
    """Put an agent in a team of its company (None: directly in the company). Claims it made
    before keep the team they were made in."""
    with deps.uow() as uow:
        found = uow.attribution.agent(agent_id)
        if found is None:
            raise UnknownAgent()
        _company(uow, found.channel_id)
        agent = uow.attribution.agent(agent_id, lock=True)
        if agent is None:
            raise UnknownAgent()
        if team_id is not None:
            target = uow.teams.team(team_id)
            if target is None or target.channel_id != agent.channel_id:
                raise UnknownTeam("That team is not a team of the agent's company.")
            if not target.active:
                raise TeamInactive()
        if agent.team_id != team_id:
            _audit(uow, deps, actor, "agent_moved", agent.id, channel_id=agent.channel_id,
                   before=agent.team_id, after=team_id)
            agent.team_id = team_id
        uow.commit()
        return agent


def set_team_rules(team_id: str, rules: RuleOverride, deps: Deps, *, actor: str) -> Team:
    """The team's own 报备 rules (None fields: inherited); audited, they move money."""
    with deps.uow() as uow:
        team, _ = _team_locked(uow, team_id)
        if team.rules != rules:
            team.set_rules(rules)
            _audit(uow, deps, actor, "team_rules_set", team.id, channel_id=team.channel_id,
                   registration_valid_hours=rules.registration_valid_hours,
                   protection_days=rules.protection_days)
        uow.commit()
        return team


def set_company_rules(channel_id: str, rules: RuleOverride, deps: Deps, *,
                      actor: str) -> Channel:
    with deps.uow() as uow:
        channel = _company(uow, channel_id)
        if company_rules(channel) != rules:
            channel.registration_valid_hours = rules.registration_valid_hours
            channel.protection_days = rules.protection_days
            _audit(uow, deps, actor, "channel_rules_set", channel.id,
                   registration_valid_hours=rules.registration_valid_hours,
                   protection_days=rules.protection_days)
        uow.commit()
        return channel


def company_rules(channel: Channel) -> RuleOverride:
    return RuleOverride(channel.registration_valid_hours, channel.protection_days)


# --- reading the tree ---
@dataclass(frozen=True)
class TeamView:
    team: Team
    label: str
    depth: int
    agents: list[Agent]
    rules: EffectiveRules  # what a claim made in this team is judged by, and why


@dataclass(frozen=True)
class ChannelTeams:
    """A company's tree as the admin, finance and the company itself see it: the teams depth
    first with their agents, the agents in no team, and the rules at each place."""

    channel: Channel
    office_rules: AttributionRules
    company: EffectiveRules
    teams: list[TeamView]
    unassigned: list[Agent]


def channel_teams(channel_id: str, deps: Deps) -> ChannelTeams:
    with deps.uow() as uow:
        channel = uow.attribution.channel(channel_id)
        if channel is None:
            raise UnknownChannel()
        office = uow.attribution.rules(channel.office_id)
        tree, teams = tree_of(uow, channel_id)
        by_id = {t.id: t for t in teams}
        agents = uow.attribution.agents_of(channel_id)
        company = company_rules(channel)
        views = [TeamView(by_id[tid], tree.label(tid), tree.depth(tid),
                          [a for a in agents if a.team_id == tid],
                          effective_rules(office, company, channel.name, tree, tid))
                 for tid in tree.depth_first()]
        return ChannelTeams(channel, office,
                            effective_rules(office, company, channel.name, tree, None),
                            views, [a for a in agents if a.team_id not in by_id])


# --- rules per claim, for the 报备 answer, the portal's statuses, the pass, the signing and
# the risk report: one function, `claim_rules`, so they all judge a claim by the same rules ---
class OnTeam(Protocol):
    """A claim as far as its rules go: which company it was made for, in which team."""

    @property
    def id(self) -> str: ...

    @property
    def channel_id(self) -> str: ...

    @property
    def team_id(self) -> str | None: ...


class ClaimPlace(NamedTuple):
    id: str
    channel_id: str
    team_id: str | None


def claim_rules(uow: UnitOfWork, office_rules: AttributionRules, claims: Iterable[OnTeam]
                ) -> dict[str, EffectiveRules]:
    """Claim id → the rules that claim is judged by: its team's, inherited up the tree, its
    company's, else the office's (nearest wins, field by field), and the words saying why."""
    claims = list(claims)
    channels = {cid: uow.attribution.channel(cid) for cid in sorted({c.channel_id
                                                                     for c in claims})}
    trees = trees_of(uow, [cid for cid, ch in channels.items()
                           if ch is not None and ch.kind is ChannelKind.DISTRIBUTOR])
    out = {}
    for claim in claims:
        channel = channels[claim.channel_id]
        out[claim.id] = EffectiveRules(office_rules) if channel is None else effective_rules(
            office_rules, company_rules(channel), channel.name,
            trees.get(claim.channel_id, TeamTree([])), claim.team_id)
    return out


def own_rules(uow: UnitOfWork, office_rules: AttributionRules, claims: Iterable[OnTeam]
              ) -> dict[str, AttributionRules]:
    """Claim id → its rules (`claim_rules`), without the words."""
    return {key: found.rules for key, found in claim_rules(uow, office_rules, claims).items()}


def rules_span_of(uow: UnitOfWork, office_id: str, office_rules: AttributionRules
                  ) -> tuple[AttributionRules, AttributionRules]:
    """The shortest and the longest rules any claim at the office can be judged by
    (`domain.attribution.teams.rules_span`, over every company and team of the office)."""
    channels = uow.attribution.channels(office_id)
    return rules_span(office_rules, [
        *(company_rules(c) for c in channels),
        *(t.rules for t in uow.teams.teams_of([c.id for c in channels]))])


def with_claim_rules(uow: UnitOfWork, office_rules: AttributionRules,
                     facts: Collection[ClaimFact]) -> list[ClaimFact]:
    """The claims as adjudication judges them: each with its own rules when its company or
    team set some, and the words saying where they came from."""
    teams = uow.teams.claim_teams([f.registration_id for f in facts])
    return apply_rules(facts, claim_rules(uow, office_rules, [
        ClaimPlace(f.registration_id, f.channel_id, teams.get(f.registration_id))
        for f in facts]))


def apply_rules(facts: Collection[ClaimFact], rules: dict[str, EffectiveRules]
                ) -> list[ClaimFact]:
    out = []
    for fact in facts:
        own = rules.get(fact.registration_id)
        out.append(replace(fact, rules=own.rules, rules_from=own.words())
                   if own is not None and own.inherited else fact)
    return out


# --- statements: per-team subtotals ---
def rollup(uow: UnitOfWork, statement: Statement) -> list[TeamSubtotal]:
    """The statement's lines rolled up the company's tree as it is now (names as they are now;
    each deal stays with the team its claim was made in)."""
    tree, _ = tree_of(uow, statement.channel_id)
    return team_subtotals([(line.team_id, line.amount_fen, line.signing_id is not None)
                           for line in statement.lines], tree)


def statement_rollup(statement: Statement, deps: Deps) -> list[TeamSubtotal]:
    with deps.uow() as uow:
        return rollup(uow, statement)
