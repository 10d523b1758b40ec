"""Properties of 判客 over generated histories (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from keyuan.domain.attribution import adjudication as a
from keyuan.domain.attribution.adjudication import (
    ClaimFact,
    Decision,
    VisitFact,
    VisitLink,
    adjudicate,
)
from keyuan.domain.attribution.registration import AttributionRules

T0 = datetime(2025, 6, 2, tzinfo=UTC)
# Histories span 60 days, inside the 90-day lookback, so every earlier visit counts as "known".
SPAN_MIN = 60 * 24 * 60
minutes = st.integers(min_value=0, max_value=SPAN_MIN)
# coarse steps make ties (same minute) and boundary hits (exactly 72 h) likely
coarse = st.integers(min_value=0, max_value=SPAN_MIN // 360).map(lambda n: n * 360)
offsets = st.one_of(minutes, coarse)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[VisitFact], list[ClaimFact], datetime]:
    visit_times = draw(st.lists(offsets, max_size=6))
    links = draw(st.lists(st.sampled_from(list(VisitLink)), min_size=len(visit_times),
                          max_size=len(visit_times)))
    visits = [VisitFact(id=f"v{i}", at=T0 + timedelta(minutes=m), method="phone", link=link)
              for i, (m, link) in enumerate(zip(visit_times, links, strict=True))]
    claim_times = draw(st.lists(offsets, max_size=5))
    claims = [ClaimFact(registration_id=f"r{i}", channel_id=f"c{draw(st.integers(0, 2))}",
                        channel_kind=draw(st.sampled_from(["distributor", "referrer"])),
                        created_at=T0 + timedelta(minutes=m))
              for i, m in enumerate(claim_times)]
    signed = T0 + timedelta(minutes=draw(offsets))
    return visits, claims, signed


@given(histories())
def test_attribution_never_goes_to_a_registration_created_after_the_first_visit(
    history: tuple[list[VisitFact], list[ClaimFact], datetime],
) -> None:
    visits, claims, signed = history
    decision = adjudicate(visits, claims, signed_at=signed)
    if decision.is_natural:
        return
    created = {c.registration_id: c.created_at for c in claims}[decision.registration_id]
    first = min(v.at for v in visits if v.at <= signed)
    assert created <= first


@given(histories())
def test_there_is_exactly_one_winner_or_natural(
    history: tuple[list[VisitFact], list[ClaimFact], datetime],
) -> None:
    visits, claims, signed = history
    decision = adjudicate(visits, claims, signed_at=signed)
    valid = [v for v in decision.verdicts if v.valid]
    assert len(decision.verdicts) == len(claims)
    if decision.is_natural:
        assert valid == [] and decision.channel_id is None
        assert decision.channel_kind == a.NATURAL
    else:
        assert [v.registration_id for v in valid] == [decision.registration_id]
        kind = {c.registration_id: c.channel_kind for c in claims}[decision.registration_id]
        assert decision.channel_kind == kind


@given(histories(), st.randoms(use_true_random=False))
def test_decisions_do_not_depend_on_the_order_events_were_inserted(
    history: tuple[list[VisitFact], list[ClaimFact], datetime], rnd: object,
) -> None:
    visits, claims, signed = history
    shuffled_visits, shuffled_claims = list(visits), list(claims)
    rnd.shuffle(shuffled_visits)  # type: ignore[attr-defined]
    rnd.shuffle(shuffled_claims)  # type: ignore[attr-defined]

    assert adjudicate(shuffled_visits, shuffled_claims, signed_at=signed) == adjudicate(
        visits, claims, signed_at=signed)


@given(histories())
def test_the_winner_is_the_earliest_claim_that_is_valid_on_its_own(
    history: tuple[list[VisitFact], list[ClaimFact], datetime],
) -> None:
    visits, claims, signed = history
    decision = adjudicate(visits, claims, signed_at=signed)
    seen = sorted((v for v in visits if v.at <= signed), key=lambda v: (v.at, v.id))
    alone = [c for c in sorted(claims, key=lambda c: (c.created_at, c.registration_id))
             if a.judge_claim(c, seen, signed_at=signed, rules=AttributionRules()).valid]
    assert decision.registration_id == (alone[0].registration_id if alone else None)


@settings(max_examples=50)
@given(histories())
def test_visits_after_the_signing_never_change_the_decision(
    history: tuple[list[VisitFact], list[ClaimFact], datetime],
) -> None:
    visits, claims, signed = history
    later = VisitFact(id="later", at=signed + timedelta(minutes=1), method="staff")
    before: Decision = adjudicate(visits, claims, signed_at=signed)
    assert adjudicate([*visits, later], claims, signed_at=signed) == before


@given(histories())
def test_only_face_evidence_can_send_a_decision_to_review(
    history: tuple[list[VisitFact], list[ClaimFact], datetime],
) -> None:
    visits, claims, signed = history
    no_face = [VisitFact(v.id, v.at, v.method, VisitLink.MOBILE) for v in visits]
    assert not adjudicate(no_face, claims, signed_at=signed).needs_review
