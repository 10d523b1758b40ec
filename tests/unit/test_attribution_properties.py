"""Properties of 判客 over generated histories (hypothesis).

Visits are generated of every method a visit is recorded by (face kiosk 1:1, phone/SMS code,
reception-confirmed escort, camera lane) and every way its person was tied to the signer, so a
rule that looks at how a visit was recorded is exercised: the brief makes the paths equal for
attribution (a visit is a visit, whatever recorded it), and only how the *person* was linked
(a face match, a review-band face) may send a decision to review."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

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
from keyuan.domain.attribution.registration import (
    DUPLICATE,
    AttributionRules,
    ConflictPolicy,
    Registration,
    conflict_of,
    parse_claimed_mobile,
)
from keyuan.domain.attribution.repositories import VisitEvidence
from keyuan.domain.checkin.person import Person
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.services.attribution.signing import Resolved, visit_facts

T0 = datetime(2025, 6, 2, tzinfo=UTC)
# Histories span 60 days, inside the 90-day lookback, so every earlier visit counts as "known".
SPAN_MIN = 60 * 24 * 60
minutes = st.integers(min_value=0, max_value=SPAN_MIN)
# coarse steps make ties (same minute) and boundary hits (exactly 72 h) likely
coarse = st.integers(min_value=0, max_value=SPAN_MIN // 360).map(lambda n: n * 360)
offsets = st.one_of(minutes, coarse)
METHODS = [m.value for m in VisitMethod]  # every way a visit is recorded
methods = st.sampled_from(METHODS)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[VisitFact], list[ClaimFact], datetime]:
    visit_times = draw(st.lists(offsets, max_size=6))
    n = len(visit_times)
    links = draw(st.lists(st.sampled_from(list(VisitLink)), min_size=n, max_size=n))
    how = draw(st.lists(methods, min_size=n, max_size=n))
    edits = draw(st.lists(st.one_of(st.none(), offsets), min_size=n, max_size=n))
    visits = [VisitFact(id=f"v{i}", at=T0 + timedelta(minutes=m), method=method, link=link,
                        corrected_at=None if edit is None else T0 + timedelta(minutes=edit))
              for i, (m, link, method, edit) in enumerate(zip(visit_times, links, how, edits,
                                                               strict=True))]
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


# --- how a visit was recorded ---------------------------------------------------------------------

def _methods_blanked(decision: Decision) -> Decision:
    """The decision with the cited visits' methods blanked: everything a rule decided."""
    visits = tuple(replace(v, method="") for v in decision.evidence.visits)
    return replace(decision, evidence=replace(decision.evidence, visits=visits))


@given(histories(), st.data())
def test_how_a_visit_was_recorded_never_changes_the_decision(
    history: tuple[list[VisitFact], list[ClaimFact], datetime], data: st.DataObject,
) -> None:
    """Face check-in and mobile check-in are equal for attribution, and so are an escorted visit
    confirmed at reception and a camera-lane visit: re-recording any visit by another method
    changes no verdict, winner, reason code, trace line or review flag."""
    visits, claims, signed = history
    recorded = [replace(v, method=data.draw(methods, label=f"method of {v.id}")) for v in visits]
    before = adjudicate(visits, claims, signed_at=signed)
    after = adjudicate(recorded, claims, signed_at=signed)
    assert _methods_blanked(after) == _methods_blanked(before)


@given(histories())
def test_the_evidence_cites_every_visit_by_the_method_that_recorded_it(
    history: tuple[list[VisitFact], list[ClaimFact], datetime],
) -> None:
    visits, claims, signed = history
    cited = adjudicate(visits, claims, signed_at=signed).evidence.visits
    assert {v.id: v.method for v in cited} == {v.id: v.method for v in visits if v.at <= signed}


@given(st.sampled_from(METHODS), offsets, st.integers(0, 71 * 60), st.integers(0, 29 * 24 * 60))
def test_one_visit_of_any_method_validates_the_registration_it_follows(
    method: str, created: int, visit_after: int, signed_after: int,
) -> None:
    """A registration, then one visit inside the 72 h window, then a signing inside the 30-day
    protection: the claim wins whatever recorded the visit (each path counts on its own)."""
    claim = ClaimFact("r0", "c0", "distributor", T0 + timedelta(minutes=created))
    visit = VisitFact("v0", claim.created_at + timedelta(minutes=visit_after), method)
    decision = adjudicate([visit], [claim], signed_at=visit.at + timedelta(minutes=signed_after))
    assert decision.registration_id == "r0" and decision.verdicts[0].visit_id == "v0"
    assert not decision.needs_review


@given(histories())
def test_a_visit_method_never_sends_a_decision_to_review_only_a_face_link_does(
    history: tuple[list[VisitFact], list[ClaimFact], datetime],
) -> None:
    """A face-kiosk or camera visit of a person tied to the signer by mobile or ID number is
    plain evidence; review comes only from how the person was linked (face match or its
    review band)."""
    visits, claims, signed = history
    plain = [replace(v, link=VisitLink.ID_NUMBER if i % 2 else VisitLink.MOBILE)
             for i, v in enumerate(visits)]
    decision = adjudicate(plain, claims, signed_at=signed)
    assert not decision.needs_review
    assert a.FACE_REVIEW_BAND not in decision.reason_codes
    assert a.FACE_ONLY_DENIAL not in decision.reason_codes


@st.composite
def desk_rows(draw: st.DrawFn) -> tuple[list[VisitEvidence], Resolved]:
    """The signing desk's rows: visits of every method by persons linked in every way, some of
    another office or of nobody the desk resolved."""
    people = [Person.new(now=T0) for _ in range(draw(st.integers(1, 3)))]
    resolved = Resolved()
    for person in people:
        resolved.add(person, draw(st.sampled_from(list(VisitLink))))
    stranger = Person.new(now=T0)
    rows = [VisitEvidence(id=f"v{i}", person_id=draw(st.sampled_from([*people, stranger])).id,
                          office_id=draw(st.sampled_from(["o1", "o1", "o2"])),
                          at=T0 + timedelta(minutes=draw(offsets)), method=draw(methods),
                          corrected_at=None)
            for i in range(draw(st.integers(0, 8)))]
    return rows, resolved


@given(desk_rows())
def test_the_desk_ties_each_visit_to_the_signer_by_its_person_never_by_its_method(
    rows: tuple[list[VisitEvidence], Resolved],
) -> None:
    """`visit_facts` is the one way a visit becomes evidence: every visit of a linked person at
    this office, whatever recorded it, carrying its method and its person's link."""
    visits, resolved = rows
    facts = visit_facts(visits, resolved, "o1")
    expected = sorted((v for v in visits if v.office_id == "o1" and v.person_id in resolved.links),
                      key=lambda v: (v.at, v.id))
    assert [(f.id, f.method, f.link) for f in facts] == [
        (v.id, v.method, resolved.links[v.person_id]) for v in expected]


# --- the method-specific rule: reception confirms an escorted visit (到访确认) -------------------

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@st.composite
def shown_mobiles(draw: st.DrawFn, registered: str) -> str:
    """What the customer shows at reception: the registered number, one that shares only its
    first three and last four digits, one a digit away at either end, or any other."""
    middle = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    digit = str((int(registered[-1]) + draw(st.integers(1, 9))) % 10)
    return draw(st.sampled_from([
        registered, registered[:3] + middle + registered[-4:], registered[:-1] + digit,
        registered[:2] + digit + registered[3:], draw(mobiles)]))


@given(mobiles.flatmap(lambda r: st.tuples(st.just(r), shown_mobiles(r))), st.booleans(),
       st.sampled_from([None, "王芳", "李雷"]))
def test_an_escorted_visit_is_confirmed_only_for_the_mobile_its_registration_names(
    numbers: tuple[str, str], masked: bool, name: str | None,
) -> None:
    """到访确认 records a staff visit only when the customer's mobile is the one the channel
    registered: the full number by its hash; a masked 前三后四 number by its first three and last
    four digits (and the name, when reception gives one)."""
    registered, shown = numbers
    claimed = parse_claimed_mobile(f"{registered[:3]}****{registered[-4:]}" if masked
                                   else registered)
    registration = Registration(
        id="r", office_id="o1", channel_id="c", customer_name="王芳",
        mobile_prefix=claimed.prefix, mobile_suffix=claimed.suffix, created_at=T0,
        mobile_hash=None if masked else f"h:{registered}")
    confirmed = registration.may_be(name=name, mobile=shown, mobile_hash=f"h:{shown}")
    if masked:
        same_ends = shown[:3] == registered[:3] and shown[-4:] == registered[-4:]
        assert confirmed == (same_ends and name in (None, "王芳"))
    else:
        assert confirmed == (shown == registered)
    assert registration.may_be(name=name, mobile=registered, mobile_hash=f"h:{registered}") == (
        not masked or name in (None, "王芳"))


# --- 报备 answered at once (registration.conflict_of) ---------------------------------------

def _status_now(claim: ClaimFact, visits: list[VisitFact], now: datetime,
                rules: AttributionRules) -> str:
    """A claim's status as the channel portal computes it at `now` (services.registration)."""
    if claim.conflict is not None:
        return claim.conflict
    seen = [v for v in visits if v.at <= now]
    reason = a.judge_claim(claim, seen, signed_at=now, rules=rules).reason
    if reason == a.NO_VISIT:
        in_time = now <= claim.created_at + rules.registration_valid
        return "awaiting_visit" if in_time else a.EXPIRED_BEFORE_VISIT
    return reason


def _registrar(visits: list[VisitFact], claims: list[ClaimFact], policy: ConflictPolicy
               ) -> tuple[list[ClaimFact], list[str]]:
    """The claims in the order they arrive, each answered at once like `services.registration
    .register` (one customer): the claims kept (marked under `mark`) and the refusal codes."""
    rules = AttributionRules(conflict_policy=policy)
    kept: list[ClaimFact] = []
    refused: list[str] = []
    for claim in sorted(claims, key=lambda c: (c.created_at, c.registration_id)):
        now = claim.created_at
        standing = [(_as_registration(c), _status_now(c, visits, now, rules)) for c in kept]
        known = any(now - rules.known_lookback <= v.at < now for v in visits)
        found = conflict_of(_as_registration(claim), standing=standing, known=known)
        if found is None:
            kept.append(claim)
        elif found.code == DUPLICATE or policy is ConflictPolicy.REFUSE:
            refused.append(found.code)
        else:
            kept.append(replace(claim, conflict=found.code))
    return kept, refused


def _as_registration(c: ClaimFact) -> Registration:
    return Registration(id=c.registration_id, office_id="o", channel_id=c.channel_id,
                        customer_name="王芳", mobile_prefix="138", mobile_suffix="1111",
                        created_at=c.created_at, mobile_hash="h", conflict=c.conflict)


@given(histories())
def test_a_claim_accepted_at_once_is_never_judged_known_later(
    history: tuple[list[VisitFact], list[ClaimFact], datetime],
) -> None:
    visits, claims, signed = history
    kept, _ = _registrar(visits, claims, ConflictPolicy.REFUSE)
    decision = adjudicate(visits, kept, signed_at=signed)
    assert all(v.reason != a.CUSTOMER_KNOWN for v in decision.verdicts)
    assert all(c.conflict is None for c in kept)
    # one standing claim per customer at a time: a later one came only after the earlier lapsed
    for earlier, later in pairwise(kept):
        assert _status_now(earlier, visits, later.created_at, AttributionRules()) not in \
            ("awaiting_visit", a.VALID)


@given(histories())
def test_a_marked_claim_never_wins_and_changes_no_other_outcome(
    history: tuple[list[VisitFact], list[ClaimFact], datetime],
) -> None:
    visits, claims, signed = history
    kept, refused = _registrar(visits, claims, ConflictPolicy.MARK)
    decision = adjudicate(visits, kept, signed_at=signed)
    unmarked = adjudicate(visits, [c for c in kept if c.conflict is None], signed_at=signed)
    assert set(refused) <= {DUPLICATE}
    marked = {c.registration_id: c.conflict for c in kept if c.conflict is not None}
    assert decision.registration_id not in marked
    created = {c.registration_id: c.created_at for c in kept}
    assert {v.registration_id: v.reason for v in decision.verdicts if v.registration_id in
            marked} == {rid: why if created[rid] <= signed else a.REGISTERED_AFTER_SIGNING
                        for rid, why in marked.items()}
    assert (decision.registration_id, decision.reason_codes) == (
        unmarked.registration_id, unmarked.reason_codes)
