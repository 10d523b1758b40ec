"""判客 over households (主购人 + 共同购房人), as properties over generated households
(hypothesis) and the known fraud as a scenario: the wife visits on her own, then a distributor
registers the husband and claims the deal.

A household is several buyers, each with their own visits and the claims (报备) on them. The
desk judges it as one customer: `household_facts` merges every buyer's facts, each tagged with
its buyer's role, and `adjudicate` decides; the decision says by role whose evidence decided."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyuan.domain.attribution import adjudication as a
from keyuan.domain.attribution.adjudication import ClaimFact, Decision, VisitFact, adjudicate
from keyuan.domain.attribution.household import (
    MAIN_BUYER,
    buyer_label,
    main_first,
    refuse_repeats,
)
from keyuan.domain.attribution.registration import AttributionRules
from keyuan.domain.errors import DuplicateBuyer, NoMainBuyer, SeveralMainBuyers, TooManyBuyers
from keyuan.services.attribution.signing import Facts, household_facts

T0 = datetime(2025, 6, 2, tzinfo=UTC)
SPAN_MIN = 60 * 24 * 60  # inside the 90-day lookback: every earlier visit makes a claim known
coarse = st.integers(min_value=0, max_value=SPAN_MIN // 360).map(lambda n: n * 360)
offsets = st.one_of(st.integers(min_value=0, max_value=SPAN_MIN), coarse)
Buyer = tuple[list[VisitFact], list[ClaimFact]]  # one person's own history, untagged


@st.composite
def buyer_history(draw: st.DrawFn, person: int) -> Buyer:
    """One buyer's own visits and the claims on them; ids unique across the household."""
    visits = [VisitFact(id=f"p{person}v{i}", at=T0 + timedelta(minutes=m),
                        method=draw(st.sampled_from(["phone", "staff", "face_kiosk"])))
              for i, m in enumerate(draw(st.lists(offsets, max_size=3)))]
    claims = [ClaimFact(registration_id=f"p{person}r{i}", channel_id=f"c{draw(st.integers(0, 2))}",
                        channel_kind="distributor", created_at=T0 + timedelta(minutes=m))
              for i, m in enumerate(draw(st.lists(offsets, max_size=3)))]
    return visits, claims


@st.composite
def households(draw: st.DrawFn) -> tuple[list[Buyer], datetime]:
    n = draw(st.integers(min_value=1, max_value=4))
    return ([draw(buyer_history(i)) for i in range(n)],
            T0 + timedelta(minutes=draw(offsets)))


def tagged(buyers: list[Buyer]) -> list[Facts]:
    """Each buyer's facts tagged with their role in this order (main first), as the desk does."""
    return [([replace(v, buyer=buyer_label(i)) for v in visits],
             [replace(c, buyer=buyer_label(i)) for c in claims], [])
            for i, (visits, claims) in enumerate(buyers)]


def judge(buyers: list[Buyer], signed: datetime) -> Decision:
    visits, claims, _ = household_facts(tagged(buyers))
    return adjudicate(visits, claims, signed_at=signed, household=True)


def outcome(d: Decision) -> tuple[object, ...]:
    """What moves money and status: who is credited, why, and whether a person reviews it."""
    return (d.channel_id, d.registration_id, d.reason_codes, d.needs_review,
            tuple((v.registration_id, v.reason, v.visit_id) for v in d.verdicts))


def owner(label: str, order: list[int]) -> int:
    """The generated person behind a role label, for a household listed in `order`."""
    return order[0] if label == MAIN_BUYER else order[int(label.removeprefix("co"))]


@given(households())
def test_the_household_decides_as_one_buyer_holding_all_its_evidence(
    household: tuple[list[Buyer], datetime],
) -> None:
    buyers, signed = household
    one = adjudicate([v for visits, _ in buyers for v in visits],
                     [c for _, claims in buyers for c in claims], signed_at=signed)
    assert outcome(judge(buyers, signed)) == outcome(one)


@given(households())
def test_the_decision_equals_the_earliest_evidence_buyers_own_when_a_visit_comes_first(
    household: tuple[list[Buyer], datetime],
) -> None:
    """The wife-first pattern in general: when the household's earliest evidence is one buyer's
    visit, before every claim on anyone, the deal is that buyer's own natural visit against
    every claim — and the trace names that buyer."""
    buyers, signed = household
    visits = sorted(((v, i) for i, (vs, _) in enumerate(buyers) for v in vs if v.at <= signed),
                    key=lambda vi: (vi[0].at, vi[0].id))
    claims = [c for _, cs in buyers for c in cs]
    if not visits or any(c.created_at <= visits[0][0].at for c in claims):
        return
    _, person = visits[0]
    decision = judge(buyers, signed)
    alone = adjudicate(buyers[person][0], claims, signed_at=signed)

    assert outcome(decision) == outcome(alone) and decision.is_natural
    assert dict(decision.decided_by)["visit"] == buyer_label(person)


@given(households(), st.randoms(use_true_random=False))
def test_the_order_of_the_buyers_never_matters(
    household: tuple[list[Buyer], datetime], rnd: object,
) -> None:
    buyers, signed = household
    order = list(range(len(buyers)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    before, after = judge(buyers, signed), judge([buyers[i] for i in order], signed)

    assert outcome(after) == outcome(before)
    # the same person decided, whatever role number they got in the other order
    assert {k: owner(v, order) for k, v in after.decided_by} == {
        k: owner(v, list(range(len(buyers)))) for k, v in before.decided_by}


@given(households(), st.integers(min_value=0, max_value=4))
def test_adding_a_buyer_with_no_history_never_changes_the_outcome(
    household: tuple[list[Buyer], datetime], where: int,
) -> None:
    buyers, signed = household
    at = min(where, len(buyers))
    with_newcomer = [*buyers[:at], ([], []), *buyers[at:]]
    after = judge(with_newcomer, signed)

    assert outcome(after) == outcome(judge(buyers, signed))
    assert buyer_label(at) not in dict(after.decided_by).values()  # they decided nothing


@given(households())
def test_the_trace_names_the_buyer_whose_evidence_decided(
    household: tuple[list[Buyer], datetime],
) -> None:
    buyers, signed = household
    decision = judge(buyers, signed)
    visits, claims, _ = household_facts(tagged(buyers))
    whose_visit = {v.id: v.buyer for v in visits}
    decided = dict(decision.decided_by)
    if decision.registration_id is not None:
        winner = next(v for v in decision.verdicts if v.valid)
        assert decided["registration"] == next(
            c.buyer for c in claims if c.registration_id == decision.registration_id)
        assert decided["visit"] == whose_visit[winner.visit_id or ""]
    assert decision.trace[-1].startswith("decision: ")
    if decided:
        assert decision.trace[-2] == "decided by: " + ", ".join(
            f"{k} of buyer {v}" for k, v in decision.decided_by)
    assert Decision.from_json(decision.to_json()) == decision


@given(households(), offsets)
def test_a_co_buyers_earlier_visit_means_no_later_claim_on_anyone_wins(
    household: tuple[list[Buyer], datetime], at: int,
) -> None:
    buyers, signed = household
    wife = ([VisitFact(id="wife", at=T0 + timedelta(minutes=at), method="face_kiosk")], [])
    decision = judge([*buyers, wife], signed)
    if decision.registration_id is None or T0 + timedelta(minutes=at) > signed:
        return
    created = next(c.created_at for _, cs in buyers for c in cs
                   if c.registration_id == decision.registration_id)
    assert created <= T0 + timedelta(minutes=at)


# --- the wife-first pattern, step by step --------------------------------------------------

def test_wife_first_the_husbands_registered_escort_loses_to_the_wifes_own_visit() -> None:
    wife_visit = VisitFact("v-wife", T0, "face_kiosk")
    husband_claim = ClaimFact("r-husband", "dist", "distributor", T0 + timedelta(days=3))
    escorted = VisitFact("v-husband", T0 + timedelta(days=3, hours=2), "staff")
    signed = T0 + timedelta(days=10)

    husband_alone = adjudicate([escorted], [husband_claim], signed_at=signed)
    household = judge([([escorted], [husband_claim]), ([wife_visit], [])], signed)

    assert husband_alone.registration_id == "r-husband"  # what one buyer per signing paid
    assert household.is_natural and household.channel_kind == a.NATURAL
    [verdict] = household.verdicts
    assert (verdict.reason, verdict.visit_id, verdict.buyer) == (a.CUSTOMER_KNOWN, "v-wife",
                                                                  MAIN_BUYER)
    assert dict(household.decided_by) == {"visit": "co1"}
    assert "decided by: visit of buyer co1" in household.trace
    assert any("r-husband (channel dist, buyer main" in line for line in household.trace)


def test_a_one_buyer_signing_keeps_the_stored_shape_and_names_no_buyer() -> None:
    visits = [VisitFact("v1", T0, "phone")]
    claims = [ClaimFact("r1", "c", "distributor", T0 - timedelta(hours=1))]
    decision = adjudicate(visits, claims, signed_at=T0 + timedelta(days=1))

    assert decision.decided_by == ()
    assert "buyer" not in str(decision.to_json())
    assert not any(line.startswith("decided by") for line in decision.trace)


def test_an_uncertain_check_names_whose_it_was() -> None:
    decision = a.needs_review_for(judge([([], []), ([], [])], T0), a.ID_PHOTO_UNCERTAIN,
                                  buyers=["co1"])
    assert decision.needs_review
    assert decision.trace[-1] == ("id_photo_check_uncertain (buyer co1): a person must review "
                                  "this signing")


# --- the contract's buyers ------------------------------------------------------------------

def test_the_main_buyer_comes_first_and_co_buyers_keep_their_order() -> None:
    buyers = [("b", False), ("a", True), ("c", False)]
    assert main_first(buyers, lambda b: b[1]) == [("a", True), ("b", False), ("c", False)]


@pytest.mark.parametrize(("mains", "error"), [(0, NoMainBuyer), (2, SeveralMainBuyers)])
def test_a_contract_names_exactly_one_main_buyer(mains: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        main_first([True] * mains + [False], lambda main: main)


def test_a_contract_names_at_most_six_buyers() -> None:
    with pytest.raises(TooManyBuyers):
        main_first([True] + [False] * 6, lambda main: main)


def test_one_person_is_named_once_and_the_message_names_roles_not_numbers() -> None:
    with pytest.raises(DuplicateBuyer) as refused:
        refuse_repeats(["h1", "h2", "h1"], "ID number")
    assert refused.value.message.startswith("Buyers main buyer and co-buyer 2")
    assert refused.value.details == {"buyer": "co2", "field": "ID number"}
    assert "h1" not in refused.value.message


def test_rules_are_the_offices_own() -> None:
    """A household is judged under the same rules object as one buyer (no household rule)."""
    claim = ClaimFact("r", "c", "distributor", T0)
    late = VisitFact("v", T0 + timedelta(hours=80), "staff", buyer="co1")
    rules = AttributionRules(registration_valid_hours=96)
    assert adjudicate([late], [claim], signed_at=T0 + timedelta(days=5), rules=rules,
                      household=True).registration_id == "r"
