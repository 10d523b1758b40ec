"""渠道团队 rules, pure: a company's tree of teams, rules and agreements inherited down it
(nearest wins, field by field), and a statement's per-team subtotals adding up to its total.
Hypothesis draws random trees (any shape within the depth limit), random settings on random
teams and random deals; each property is checked against a naive walk up the parents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyuan.domain.attribution.commission import (
    Agreement,
    AgreementKind,
    Deal,
    TeamNames,
    agreement_for,
    statement_lines,
)
from keyuan.domain.attribution.registration import AttributionRules
from keyuan.domain.attribution.teams import (
    MAX_DEPTH,
    InvalidTeam,
    RuleOverride,
    TeamNameTaken,
    TeamNode,
    TeamTree,
    UnknownTeam,
    effective_rules,
    rules_span,
    team_subtotals,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
OFFICE = AttributionRules(registration_valid_hours=72, protection_days=30)
maybe_hours = st.none() | st.integers(1, 2160)
maybe_days = st.none() | st.integers(1, 365)


@st.composite
def trees(draw: st.DrawFn) -> TeamTree:
    """Up to 14 teams; each hangs under the company or an earlier team within the depth."""
    nodes: list[TeamNode] = []
    depth: dict[str, int] = {}
    for i in range(draw(st.integers(0, 14))):
        parents = [None, *(n.id for n in nodes if depth[n.id] < MAX_DEPTH)]
        parent = draw(st.sampled_from(parents))
        team_id = f"t{i}"
        depth[team_id] = 1 if parent is None else depth[parent] + 1
        nodes.append(TeamNode(team_id, parent, f"团队{i}", rules=RuleOverride(
            draw(maybe_hours), draw(maybe_days))))
    return TeamTree(nodes)


def naive_nearest(tree: TeamTree, team_id: str | None, company: RuleOverride,
                  name: str) -> object:
    current = team_id
    while current is not None:
        value = getattr(tree.nodes[current].rules, name)
        if value is not None:
            return value
        current = tree.nodes[current].parent_id
    value = getattr(company, name)
    return value if value is not None else getattr(OFFICE, name)


@settings(max_examples=200, deadline=None)
@given(tree=trees(), company=st.builds(RuleOverride, maybe_hours, maybe_days), data=st.data())
def test_the_nearest_setting_up_the_tree_wins_field_by_field(
        tree: TeamTree, company: RuleOverride, data: st.DataObject) -> None:
    team_id = data.draw(st.sampled_from([None, *tree.nodes]))
    got = effective_rules(OFFICE, company, "甲分销", tree, team_id)
    for name in ("registration_valid_hours", "protection_days"):
        assert getattr(got.rules, name) == naive_nearest(tree, team_id, company, name)
    assert got.rules.known_lookback_days == OFFICE.known_lookback_days
    assert got.rules.conflict_policy == OFFICE.conflict_policy
    # the words name a setter for every value that is not the office's, and only then
    set_here = [n for n in ("registration_valid_hours", "protection_days")
                if naive_nearest(tree, team_id, company, n) is not None
                and ((team_id is not None and any(getattr(p.rules, n) is not None
                                                 for p in tree.path(team_id)))
                     or getattr(company, n) is not None)]
    assert len(got.sources) == len(set_here)


def test_the_words_say_which_team_set_a_rule() -> None:
    tree = TeamTree([TeamNode("s", None, "南京路店", rules=RuleOverride(protection_days=45)),
                     TeamNode("g", "s", "一组", rules=RuleOverride(registration_valid_hours=24))])
    got = effective_rules(OFFICE, RuleOverride(protection_days=20), "甲分销", tree, "g")
    assert got.rules.registration_valid_hours == 24 and got.rules.protection_days == 45
    assert got.words() == ("valid 24 h set by team 南京路店 / 一组; "
                           "protection 45 d set by team 南京路店")
    company = effective_rules(OFFICE, RuleOverride(protection_days=20), "甲分销", tree, None)
    assert company.words() == "protection 20 d set by company 甲分销"
    assert not effective_rules(OFFICE, RuleOverride(), "甲分销", TeamTree([]), None).inherited


@st.composite
def agreements_on(draw: st.DrawFn, tree: TeamTree) -> list[Agreement]:
    out = []
    for i, scope in enumerate(draw(st.lists(st.sampled_from([None, *tree.nodes]),
                                            max_size=8))):
        start = T0 + timedelta(days=draw(st.integers(-20, 20)))
        a = Agreement.new(channel_id="c", kind=AgreementKind.FIXED, value=1000 * (i + 1),
                          effective_from=start, now=T0, team_id=scope)
        out.append(a)
    return out


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_deal_gets_the_agreement_of_its_nearest_team_that_has_one_in_force(
        data: st.DataObject) -> None:
    tree = data.draw(trees())
    agreements = data.draw(agreements_on(tree))
    team_id = data.draw(st.sampled_from([None, *tree.nodes]))
    at = T0 + timedelta(days=data.draw(st.integers(-25, 25)))
    deal = Deal("s1", at, 1_000_000, tuple(n.id for n in tree.path(team_id)))
    expected = None
    for scope in [*reversed(deal.team_path), None]:
        here = [a for a in agreements if a.team_id == scope and a.covers(at)]
        if here:
            expected = max(here, key=lambda a: a.effective_from)
            break
    got = agreement_for(deal, agreements)
    assert (got.effective_from if got else None) == (expected.effective_from if expected
                                                      else None)
    assert (got.team_id if got else None) == (expected.team_id if expected else None)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_team_lines_add_up_to_the_company_total(data: st.DataObject) -> None:
    tree = data.draw(trees())
    agreements = data.draw(agreements_on(tree))
    deals = [Deal(f"s{i}", T0 + timedelta(hours=i), data.draw(st.integers(0, 10**10)),
                  tuple(n.id for n in tree.path(data.draw(st.sampled_from([None,
                                                                           *tree.nodes])))))
             for i in range(data.draw(st.integers(0, 20)))]
    lines = statement_lines(deals, agreements, TeamNames({t: tree.label(t) for t in tree.nodes}))
    adjustments = data.draw(st.lists(st.integers(-10**6, 10**6), max_size=3))
    rows = [(line.team_id, line.amount_fen, True) for line in lines]
    rows += [(None, fen, False) for fen in adjustments]
    total = sum(line.amount_fen for line in lines) + sum(adjustments)
    subtotals = team_subtotals(rows, tree)
    company = subtotals[0]
    assert company.team_id is None and company.subtree_fen == total
    assert sum(s.own_fen for s in subtotals) == total
    assert company.subtree_deals == len(deals) == sum(s.deals for s in subtotals)
    for s in subtotals[1:]:  # each team's subtree is itself plus its children's subtrees
        children = [c for c in subtotals[1:] if c.team_id in tree.children.get(s.team_id, [])]
        assert s.subtree_fen == s.own_fen + sum(c.subtree_fen for c in children)
    top = [s for s in subtotals[1:] if s.depth == 1]
    assert company.own_fen + sum(s.subtree_fen for s in top) == total


def test_a_deal_of_a_team_says_whose_agreement_it_got() -> None:
    tree = TeamTree([TeamNode("s", None, "南京路店"), TeamNode("g", "s", "一组")])
    names = TeamNames({t: tree.label(t) for t in tree.nodes})
    store = Agreement.new(channel_id="c", kind=AgreementKind.FIXED, value=5000,
                          effective_from=T0, now=T0, team_id="s")
    company = Agreement.new(channel_id="c", kind=AgreementKind.FIXED, value=3000,
                            effective_from=T0, now=T0)
    at = T0 + timedelta(days=1)
    lines = statement_lines([Deal("a", at, 10**8, ("s", "g")), Deal("b", at, 10**8, ("s",)),
                             Deal("c", at, 10**8)], [store, company], names)
    assert [line.amount_fen for line in lines] == [5000, 5000, 3000]
    assert "inherited by team 南京路店 / 一组 from team 南京路店 (nearest agreement wins)" \
        in lines[0].rule
    assert "set on the deal's own team 南京路店" in lines[1].rule
    assert "inherited" not in lines[2].rule and lines[2].team_id is None
    assert [line.team_id for line in lines] == ["g", "s", None]


def test_a_move_that_would_make_a_cycle_or_go_too_deep_is_refused() -> None:
    chain = [TeamNode(f"t{i}", f"t{i - 1}" if i else None, f"n{i}") for i in range(MAX_DEPTH)]
    tree = TeamTree([*chain, TeamNode("x", None, "x"), TeamNode("y", "x", "y")])
    with pytest.raises(InvalidTeam):
        tree.check_parent("t0", "t3")  # under its own descendant
    with pytest.raises(InvalidTeam):
        tree.check_parent("t1", "t1")
    with pytest.raises(InvalidTeam):
        tree.check_parent(None, f"t{MAX_DEPTH - 1}")  # one level too deep
    with pytest.raises(InvalidTeam):
        tree.check_parent("t1", "y")  # t1's subtree is MAX_DEPTH - 1 deep, y is at 2: too deep
    tree.check_parent("t1", "x")
    tree.check_parent("t2", "y")
    with pytest.raises(UnknownTeam):
        tree.check_parent(None, "nope")
    with pytest.raises(TeamNameTaken):
        tree.check_name("n1", "t0")
    tree.check_name("n1", "t0", team_id="t1")  # renaming to its own name


def test_a_cycle_in_the_rows_cannot_make_a_walk_loop() -> None:
    tree = TeamTree([TeamNode("a", "b", "a"), TeamNode("b", "a", "b")])
    assert len(tree.path("a")) <= MAX_DEPTH + 1
    assert effective_rules(OFFICE, RuleOverride(), "c", tree, "a").rules == OFFICE


def test_rule_overrides_are_bounded_like_the_offices() -> None:
    with pytest.raises(InvalidTeam):
        RuleOverride(registration_valid_hours=0)
    with pytest.raises(InvalidTeam):
        RuleOverride(protection_days=366)
    assert RuleOverride().empty


def test_the_span_of_rules_is_the_shortest_and_longest_any_claim_can_have() -> None:
    """How far back the risk report reads, and which claims can lapse in a day."""
    shortest, longest = rules_span(OFFICE, [RuleOverride(protection_days=60),
                                            RuleOverride(registration_valid_hours=2),
                                            RuleOverride()])
    assert (shortest.registration_valid_hours, shortest.protection_days) == (
        2, OFFICE.protection_days)
    assert (longest.registration_valid_hours, longest.protection_days) == (
        OFFICE.registration_valid_hours, 60)
    assert rules_span(OFFICE, []) == (OFFICE, OFFICE)
