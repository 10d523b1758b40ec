"""风控报告 rules: each signal fires at its threshold and not one below it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyuan.domain.attribution import risk
from keyuan.domain.attribution.registration import AttributionRules
from keyuan.domain.attribution.risk import Arrival, Claim, RiskThresholds
from keyuan.domain.errors import InvalidThresholds

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
RULES = AttributionRules()
T = RiskThresholds()


def claim(i: int, *, at: datetime = T0, channel: str = "ch1", agent: str | None = None,
          masked: bool = False, office: str = "o1", name: str = "王先生",
          suffix: str | None = None) -> Claim:
    sfx = suffix or f"{i:04d}"
    return Claim(f"r{i}-{office}-{at:%d%H%M}", office, channel, f"渠道{channel}", agent,
                 agent and f"经纪人{agent}", name, "137", sfx, None if masked else f"h{sfx}",
                 at)


def visit(i: int, at: datetime, registration_id: str | None = None,
          suffix: str | None = None, full_hash: str | None = None) -> Arrival:
    sfx = suffix or f"{i:04d}"
    return Arrival(full_hash or f"h{sfx}", "137", sfx, at, registration_id)


NOW = T0 + timedelta(days=10)


@pytest.mark.parametrize(("missed", "fires"), [(4, False), (5, True)])
def test_never_visited_fires_at_the_minimum_count(missed: int, fires: bool) -> None:
    claims = [claim(i) for i in range(missed)]
    assert bool(risk.never_visited(claims, [], T, RULES, NOW)) is fires


def test_never_visited_needs_the_share_too() -> None:
    claims = [claim(i) for i in range(10)]
    arrivals = [visit(i, T0 + timedelta(hours=3)) for i in range(5)]  # 50% < 60%
    assert risk.never_visited(claims, arrivals, T, RULES, NOW) == []
    signal, = risk.never_visited(claims, arrivals[:4], T, RULES, NOW)
    assert signal.count == 6 and len(signal.examples) == risk.MAX_EXAMPLES


def test_a_visit_after_the_claim_lapsed_still_counts_as_never_visited() -> None:
    claims = [claim(i) for i in range(5)]
    late = [visit(i, T0 + RULES.registration_valid + timedelta(minutes=1)) for i in range(5)]
    assert risk.never_visited(claims, late, T, RULES, NOW)


@pytest.mark.parametrize(("minutes", "fires"), [(120, True), (121, False), (0, True)])
def test_registration_minutes_after_an_own_visit(minutes: int, fires: bool) -> None:
    c = claim(1, agent="a1")
    signals = risk.after_own_visit([c], [visit(1, T0 - timedelta(minutes=minutes))], T)
    assert bool(signals) is fires
    if fires:
        assert signals[0].agent_name == "经纪人a1"
        assert signals[0].examples[0].masked_mobile == "137****0001"


def test_an_escort_before_the_registration_is_not_an_own_visit() -> None:
    c = claim(1)
    assert risk.after_own_visit([c], [visit(1, T0 - timedelta(minutes=5), "x")], T) == []


@pytest.mark.parametrize(("mobiles", "fires"), [(2, False), (3, True)])
def test_one_agent_registering_the_same_mobiles_at_other_projects(mobiles: int,
                                                                  fires: bool) -> None:
    here = [claim(i, agent="a1") for i in range(mobiles)]
    there = [claim(i, agent="a1", office="o2") for i in range(mobiles)]
    assert bool(risk.across_projects(here, there, T)) is fires
    other_agent = [claim(i, agent="a2", office="o2") for i in range(mobiles)]
    assert risk.across_projects(here, other_agent, T) == []


@pytest.mark.parametrize(("late", "fires"), [(2, False), (3, True)])
def test_escorts_clustered_before_expiry(late: int, fires: bool) -> None:
    claims = [claim(i) for i in range(late)]
    edge = RULES.registration_valid - timedelta(hours=T.expiry_last_hours)
    arrivals = [visit(i, c.created_at + edge, c.id) for i, c in enumerate(claims)]
    assert bool(risk.escorts_before_expiry(claims, arrivals, T, RULES)) is fires


def test_escorts_just_outside_the_last_hours_do_not_count() -> None:
    claims = [claim(i) for i in range(4)]
    edge = RULES.registration_valid - timedelta(hours=T.expiry_last_hours, minutes=1)
    arrivals = [visit(i, c.created_at + edge, c.id) for i, c in enumerate(claims)]
    assert risk.escorts_before_expiry(claims, arrivals, T, RULES) == []


@pytest.mark.parametrize(("numbers", "fires"), [(1, False), (2, True)])
def test_a_masked_claim_matching_several_full_numbers(numbers: int, fires: bool) -> None:
    c = claim(1, masked=True, suffix="0777")
    arrivals = [visit(0, T0, suffix="0777", full_hash=f"n{k}") for k in range(numbers)]
    assert bool(risk.masked_collisions([c], arrivals, T)) is fires


@pytest.mark.parametrize(("gap_hours", "fires"), [(0, True), (24, True), (25, False)])
def test_re_registered_right_after_protection_ends(gap_hours: int, fires: bool) -> None:
    firsts = [claim(i) for i in range(2)]
    again = [claim(i, at=T0 + RULES.registration_valid + timedelta(hours=gap_hours))
             for i in range(2)]
    assert bool(risk.reregistered(again, firsts + again, [], T, RULES)) is fires


def test_a_claim_with_its_own_rules_is_judged_by_them_not_the_offices() -> None:
    """渠道团队: a claim whose team or company set its validity or protection carries them."""
    short = AttributionRules(registration_valid_hours=2, protection_days=5)
    v = T0 + timedelta(hours=1)
    own = replace(claim(1), rules=short)
    assert risk.protection_end(own, [visit(1, v)], RULES) == v + short.protection
    assert risk.protection_end(own, [], RULES) == T0 + short.registration_valid
    lapsed = [replace(claim(i), rules=short) for i in range(5)]
    assert risk.never_visited(lapsed, [], T, RULES, T0 + timedelta(hours=3))
    assert risk.never_visited([claim(i) for i in range(5)], [], T, RULES,
                              T0 + timedelta(hours=3)) == []


def test_protection_runs_from_the_first_visit_inside_validity() -> None:
    c = claim(1)
    v = T0 + timedelta(hours=5)
    assert risk.protection_end(c, [visit(1, v)], RULES) == v + RULES.protection
    assert risk.protection_end(c, [], RULES) == T0 + RULES.registration_valid


def test_thresholds_refuse_nonsense() -> None:
    with pytest.raises(InvalidThresholds):
        RiskThresholds(never_visited_share=101)
    with pytest.raises(InvalidThresholds):
        RiskThresholds(expiry_min=0)
    with pytest.raises(InvalidThresholds):
        RiskThresholds(expiry_min=True)  # type: ignore[arg-type]
    with pytest.raises(InvalidThresholds) as unknown:
        T.changed(expiry_minimum=3)
    assert unknown.value.details == {"field": "expiry_minimum"}
    assert T.changed(expiry_min=4).expiry_min == 4 and T.expiry_min == 3


def named(i: int, at: datetime, name: str | None, *, prefix: str = "137",
          suffix: str = "0777", registration_id: str | None = None) -> Arrival:
    """A visit by a person on file with a full number (hash `n<i>`) and maybe a name."""
    return Arrival(f"n{i}", prefix, suffix, at, registration_id, name)


@pytest.mark.parametrize(("name", "fires"), [("王先生", True), (None, True), ("李女士", False)])
def test_a_masked_claim_is_an_own_visit_only_for_a_visitor_who_may_be_that_customer(
        name: str | None, fires: bool) -> None:
    """As 判客 reads a masked 报备: 前三后四 and, when the visitor gave one, the same name."""
    c = claim(1, masked=True, suffix="0777", name="王先生")
    signals = risk.after_own_visit([c], [named(1, T0 - timedelta(minutes=10), name)], T)
    assert bool(signals) is fires


def test_a_masked_claim_whose_number_only_someone_else_visited_never_visited() -> None:
    claims = [claim(i, masked=True, suffix=f"07{i:02d}", name="王先生") for i in range(5)]
    others = [named(i, T0 + timedelta(hours=2), "李女士", suffix=f"07{i:02d}") for i in range(5)]
    assert risk.never_visited(claims, others, T, RULES, NOW)
    same = [named(i, T0 + timedelta(hours=2), "王先生", suffix=f"07{i:02d}") for i in range(5)]
    assert risk.never_visited(claims, same, T, RULES, NOW) == []


def test_masked_collisions_count_only_numbers_whose_holder_may_be_the_customer() -> None:
    c = claim(1, masked=True, suffix="0777", name="王先生")
    strangers = [named(k, T0, "李女士") for k in range(3)]
    assert risk.masked_collisions([c], strangers, T) == []
    full_other = Claim("r9", "o1", "ch2", "渠道ch2", None, None, "李女士", "137", "0777",
                       "n8", T0)
    assert risk.masked_collisions([c], [named(1, T0, "王先生")], T, on_file=[c, full_other]) == []
    full_same = Claim("r8", "o1", "ch2", "渠道ch2", None, None, "王先生", "137", "0777",
                      "n7", T0)
    fired, = risk.masked_collisions([c], [named(1, T0, "王先生")], T, on_file=[c, full_same])
    assert fired.count == 1


def test_a_masked_collision_is_evident_when_the_second_number_appears() -> None:
    c = claim(1, masked=True, suffix="0777", name="王先生")
    later = T0 + timedelta(days=3)
    visits = [named(1, T0 + timedelta(hours=2), "王先生"), named(2, later, None),
              named(1, later + timedelta(days=1), "王先生")]
    fired, = risk.masked_collisions([c], visits, T)
    assert fired.last_at == later


@pytest.mark.parametrize(("name", "fires"), [("王先生", True), ("李女士", False)])
def test_one_agent_registering_the_same_masked_customers_at_other_projects(
        name: str, fires: bool) -> None:
    here = [claim(i, agent="a1", masked=True, name="王先生") for i in range(3)]
    there = [claim(i, agent="a1", masked=True, office="o2", name=name) for i in range(3)]
    assert bool(risk.across_projects(here, there, T)) is fires


@given(st.lists(st.integers(0, 400), max_size=20))
def test_claims_whose_customer_came_by_escort_same_day_raise_nothing(offsets: list[int]) -> None:
    """An honest channel: registers, escorts a few hours later, no masked numbers."""
    claims = [claim(i, at=T0 + timedelta(hours=h)) for i, h in enumerate(offsets)]
    arrivals = [visit(i, c.created_at + timedelta(hours=5), c.id) for i, c in enumerate(claims)]
    assert risk.risk_signals(claims, history=claims, arrivals=arrivals, elsewhere=[],
                             thresholds=T, rules=RULES, now=NOW + timedelta(days=30)) == []


def test_a_signal_is_evident_when_its_newest_registration_is_made_not_at_the_older_one() -> None:
    """Today's alert: a registration made now that repeats one from weeks ago, another
    project's or an expired one, is evident now (the older time never stands for it)."""
    now = T0 + timedelta(days=20)
    here = [claim(i, agent="a1", at=now) for i in range(3)]
    there = [claim(i, agent="a1", office="o2") for i in range(3)]
    again = [claim(i, at=T0 + RULES.registration_valid + timedelta(hours=1)) for i in range(2)]
    own = risk.after_own_visit([claim(1, at=now)], [visit(1, now - timedelta(minutes=30))], T)

    assert risk.across_projects(here, there, T)[0].last_at == now
    assert risk.reregistered(again, [claim(i) for i in range(2)] + again, [], T, RULES
                             )[0].last_at == again[0].created_at
    assert own[0].last_at == now
