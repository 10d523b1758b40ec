"""渠道团队: a distributor company (the channel) holds a tree of teams — 门店 (store), 团队
(team), any depth up to `MAX_DEPTH` — and each agent belongs to one team or to the company
itself. Rules and agreements may be set on the company or on any team and are inherited down
the tree: for a claim or a deal of a team, the nearest setting on the way up wins, the company's
next, the office's last (`RuleOverride`, `effective_rules`, `commission.statement_lines`).

A claim remembers the team its agent was in when it was made (`Registration.team_id`): moving an
agent later changes neither that claim's rules nor the team line its deal is paid under.
Pure: no clock, no store."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from keyuan.domain.attribution.registration import AttributionRules
from keyuan.domain.errors import KeyuanError

MAX_DEPTH = 5
"""Levels below the company (company → region → store → team → group → pair is already
deeper than any distributor we know of)."""
MAX_NAME = 60


class InvalidTeam(KeyuanError):
    code, status = "invalid_team", 422
    default_message = "The team is not valid."


class UnknownTeam(KeyuanError):
    code, status, default_message = "unknown_team", 404, "No such team in this channel."


class TeamNameTaken(KeyuanError):
    code, status = "team_name_taken", 409
    default_message = "Another team under the same parent has this name."


class TeamNotEmpty(KeyuanError):
    code, status = "team_not_empty", 409
    default_message = ("This team still has active agents or active teams under it: move them "
                       "to another team first.")


class TeamInactive(KeyuanError):
    code, status = "team_inactive", 409
    default_message = "This team is deactivated: nothing can be added to it."


@dataclass(frozen=True)
class RuleOverride:
    """The 报备 rules a company or a team may set for its own claims: the registration's
    validity until the first visit (报备有效期) and the protection after it (保护期). None: not
    set here, inherited. The office keeps its known look-back and conflict policy: those are
    about what the office knows of a customer, not a channel's terms."""

    registration_valid_hours: int | None = None
    protection_days: int | None = None

    def __post_init__(self) -> None:
        hours, days = self.registration_valid_hours, self.protection_days
        if hours is not None and not 1 <= hours <= 24 * 90:
            raise InvalidTeam("registration_valid_hours must be 1..2160.")
        if days is not None and not 1 <= days <= 365:
            raise InvalidTeam("protection_days must be 1..365.")

    @property
    def empty(self) -> bool:
        return self.registration_valid_hours is None and self.protection_days is None


@dataclass(eq=False)
class Team:
    """门店 or 团队 of a distributor company. `parent_id` None: directly under the company."""

    id: str
    channel_id: str
    name: str
    created_at: datetime
    parent_id: str | None = None
    active: bool = True  # a deactivated team takes no agent and no new team
    registration_valid_hours: int | None = None
    protection_days: int | None = None

    @classmethod
    def new(cls, *, channel_id: str, name: str, now: datetime,
            parent_id: str | None = None) -> Team:
        return cls(id=secrets.token_hex(8), channel_id=channel_id, name=team_name(name),
                   created_at=now, parent_id=parent_id)

    @property
    def rules(self) -> RuleOverride:
        return RuleOverride(self.registration_valid_hours, self.protection_days)

    def set_rules(self, rules: RuleOverride) -> None:
        self.registration_valid_hours = rules.registration_valid_hours
        self.protection_days = rules.protection_days


def team_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise InvalidTeam("A team needs a name.")
    if len(name) > MAX_NAME:
        raise InvalidTeam(f"A team's name has at most {MAX_NAME} characters.")
    return name


@dataclass(frozen=True)
class TeamNode:
    """A team as the tree sees it: enough to walk it, name it and inherit from it."""

    id: str
    parent_id: str | None
    name: str
    active: bool = True
    rules: RuleOverride = field(default_factory=RuleOverride)

    @classmethod
    def of(cls, team: Team) -> TeamNode:
        return cls(team.id, team.parent_id, team.name, team.active, team.rules)


class TeamTree:
    """One company's teams. Every question about ancestry goes through here, so a cycle or a
    dangling parent in the rows can never loop: walks stop after `MAX_DEPTH` steps."""

    def __init__(self, nodes: Iterable[TeamNode]) -> None:
        self.nodes: dict[str, TeamNode] = {n.id: n for n in nodes}
        self.children: dict[str | None, list[str]] = {}
        for node in sorted(self.nodes.values(), key=lambda n: (n.name, n.id)):
            parent = node.parent_id if node.parent_id in self.nodes else None
            self.children.setdefault(parent, []).append(node.id)

    def __contains__(self, team_id: object) -> bool:
        return team_id in self.nodes

    def path(self, team_id: str | None) -> list[TeamNode]:
        """The team and its ancestors, the company's child first, the team last."""
        out: list[TeamNode] = []
        current = team_id
        while current is not None and current in self.nodes and len(out) <= MAX_DEPTH:
            node = self.nodes[current]
            out.append(node)
            current = node.parent_id
        return out[::-1]

    def depth(self, team_id: str) -> int:
        return len(self.path(team_id))

    def height(self, team_id: str) -> int:
        """Levels of the subtree rooted here (1: no child team)."""
        below = [self.height(c) for c in self.children.get(team_id, [])]
        return 1 + max(below, default=0)

    def subtree(self, team_id: str) -> list[str]:
        """The team and every team below it, depth first (a team's own line before its
        children's)."""
        out = [team_id]
        for child in self.children.get(team_id, []):
            out.extend(self.subtree(child))
        return out

    def depth_first(self) -> list[str]:
        return [t for top in self.children.get(None, []) for t in self.subtree(top)]

    def label(self, team_id: str | None) -> str:
        """The team's name with its ancestors: 华东区 / 南京路店 / 一组."""
        return " / ".join(n.name for n in self.path(team_id))

    def check_parent(self, team_id: str | None, parent_id: str | None) -> None:
        """Whether `team_id` (None: a new team) may hang under `parent_id` (None: the
        company): the parent exists and is active, no cycle, the depth stays within bounds."""
        if parent_id is None:
            depth_above = 0
        else:
            if parent_id not in self.nodes:
                raise UnknownTeam("The new parent team is not a team of this channel.")
            if not self.nodes[parent_id].active:
                raise TeamInactive("The parent team is deactivated.")
            if team_id is not None and team_id in [n.id for n in self.path(parent_id)]:
                raise InvalidTeam("A team cannot move under itself or one of its own teams.")
            depth_above = self.depth(parent_id)
        levels = 1 if team_id is None else self.height(team_id)
        if depth_above + levels > MAX_DEPTH:
            raise InvalidTeam(f"Teams go at most {MAX_DEPTH} levels below the company.")

    def check_name(self, name: str, parent_id: str | None, *, team_id: str | None = None
                   ) -> None:
        siblings = self.children.get(parent_id, [])
        if any(self.nodes[s].name == name and s != team_id for s in siblings):
            raise TeamNameTaken()


@dataclass(frozen=True)
class EffectiveRules:
    """The rules one claim is judged by, and where each came from in words."""

    rules: AttributionRules
    sources: tuple[str, ...] = ()

    @property
    def inherited(self) -> bool:
        return bool(self.sources)

    def words(self) -> str:
        return "; ".join(self.sources)


def effective_rules(office: AttributionRules, company: RuleOverride, company_name: str,
                    tree: TeamTree, team_id: str | None) -> EffectiveRules:
    """Nearest wins, field by field: the claim's own team, then each team above it, then the
    company, then the office. The words name who set each value that is not the office's."""
    chain: list[tuple[str, RuleOverride]] = [
        (f"team {tree.label(n.id)}", n.rules) for n in reversed(tree.path(team_id))]
    chain.append((f"company {company_name}", company))
    rules, sources = office, []
    for name, value in (("registration_valid_hours", "valid {} h"),
                        ("protection_days", "protection {} d")):
        for who, override in chain:
            setting = getattr(override, name)
            if setting is not None:
                rules = replace(rules, **{name: setting})
                sources.append(f"{value.format(setting)} set by {who}")
                break
    return EffectiveRules(rules, tuple(sources))


def rules_span(office: AttributionRules, overrides: Iterable[RuleOverride]
               ) -> tuple[AttributionRules, AttributionRules]:
    """The shortest and the longest rules, field by field, that any claim can be judged by when
    its company or team may set one of `overrides` (the office's otherwise): how far back a
    report must read, and which claims can lapse in a day."""
    overrides = list(overrides)
    spans = {}
    for name in ("registration_valid_hours", "protection_days"):
        values = [getattr(office, name)] + [v for o in overrides
                                            if (v := getattr(o, name)) is not None]
        spans[name] = (min(values), max(values))
    return (replace(office, **{k: low for k, (low, _) in spans.items()}),
            replace(office, **{k: high for k, (_, high) in spans.items()}))


@dataclass(frozen=True)
class TeamSubtotal:
    """One line of a statement's roll-up: a team (None: the company itself — deals of agents
    in no team, and adjustments), its own deals and amount, and its whole subtree's."""

    team_id: str | None
    label: str
    depth: int
    deals: int
    own_fen: int
    subtree_fen: int
    subtree_deals: int


def team_subtotals(lines: Sequence[tuple[str | None, int, bool]], tree: TeamTree
                   ) -> list[TeamSubtotal]:
    """`lines`: (team id or None, amount, whether it is a deal). The company line first (its
    subtree is the whole statement), then every team depth first — also teams without deals,
    so the tree reads whole. A line of a team the tree no longer knows counts for the company.
    Invariant: the own amounts add up to the company's subtree amount, the statement total."""
    own: dict[str | None, int] = {}
    deals: dict[str | None, int] = {}
    for team_id, amount, is_deal in lines:
        key = team_id if team_id in tree else None
        own[key] = own.get(key, 0) + amount
        deals[key] = deals.get(key, 0) + (1 if is_deal else 0)

    def below(team_id: str) -> tuple[int, int]:
        ids = tree.subtree(team_id)
        return sum(own.get(t, 0) for t in ids), sum(deals.get(t, 0) for t in ids)

    total = sum(own.values())
    out = [TeamSubtotal(None, "", 0, deals.get(None, 0), own.get(None, 0), total,
                        sum(deals.values()))]
    for team_id in tree.depth_first():
        fen, count = below(team_id)
        out.append(TeamSubtotal(team_id, tree.label(team_id), tree.depth(team_id),
                                deals.get(team_id, 0), own.get(team_id, 0), fen, count))
    return out


def nodes_by_id(teams: Iterable[Team]) -> Mapping[str, TeamNode]:
    return {t.id: TeamNode.of(t) for t in teams}
