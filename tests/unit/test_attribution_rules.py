"""判客 rules, pure: ID check digits, claimed mobiles, per-project rules, and one scenario per
fraud pattern (截客, 飞单, 撞单, late 报备, …)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from keyuan.domain.attribution import adjudication as a
from keyuan.domain.attribution.adjudication import ClaimFact, VisitFact, VisitLink, adjudicate
from keyuan.domain.attribution.idcard import check_digit, parse_id_number
from keyuan.domain.attribution.registration import AttributionRules, parse_claimed_mobile
from keyuan.domain.errors import InvalidIdNumber, InvalidMobile, InvalidRegistration

T0 = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
# GB 11643-1999's own worked example
EXAMPLE_ID = "11010519491231002X"


def visit(vid: str, at: datetime, link: VisitLink = VisitLink.MOBILE, **kw: object) -> VisitFact:
    return VisitFact(id=vid, at=at, method="phone", link=link, **kw)  # type: ignore[arg-type]


def claim(rid: str, at: datetime, channel: str = "dist-a", kind: str = "distributor") -> ClaimFact:
    return ClaimFact(registration_id=rid, channel_id=channel, channel_kind=kind, created_at=at)


# --- GB 11643 ---------------------------------------------------------------------------------

def test_the_standards_example_id_number_is_valid_with_its_x_check_digit() -> None:
    parsed = parse_id_number(" 11010519491231002x ", today=date(2026, 1, 1))
    assert parsed.value == EXAMPLE_ID
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.masked == "110105********002X"
    assert check_digit(EXAMPLE_ID[:17]) == "X"


@pytest.mark.parametrize("bad", [
    "110105194912310021",  # wrong check digit
    "11010519491231002",  # 17 digits
    "01010519491231002X",  # region cannot start with 0
    "110105194902300027",  # 30 February
    "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
    "",
])
def test_an_invalid_id_number_is_refused(bad: str) -> None:
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(bad, today=date(2026, 1, 1))
    assert bad[:10] not in err.value.message or not bad


def with_check_digit(first17: str) -> str:
    return first17 + check_digit(first17)


def test_an_id_number_born_after_today_is_refused() -> None:
    born_2099 = with_check_digit("11010520990101001")
    with pytest.raises(InvalidIdNumber, match="future"):
        parse_id_number(born_2099, today=date(2026, 12, 5))
    tomorrow = with_check_digit("11010520261206001")
    with pytest.raises(InvalidIdNumber, match="future"):
        parse_id_number(tomorrow, today=date(2026, 12, 5))
    assert parse_id_number(tomorrow, today=date(2026, 12, 6)).birth_date == date(2026, 12, 6)


@pytest.mark.parametrize(("name", "price"), [(" \u3000", 100), ("王五", 0),
                                              ("王五", 10**12 + 1), ("王五", 2**63 - 1)])
def test_a_signing_needs_a_buyer_name_and_a_bounded_price(name: str, price: int) -> None:
    with pytest.raises(InvalidRegistration):
        a.Signing.record(office_id="o", person_id="p", buyer_name=name, id_hash="h",
                         id_masked="m", contract_price_fen=price, signed_at=T0,
                         decision=adjudicate([], [], signed_at=T0))


# --- 报备 mobiles and rules -------------------------------------------------------------------

def test_a_masked_mobile_keeps_only_its_first_three_and_last_four() -> None:
    claimed = parse_claimed_mobile("138****5678")
    assert (claimed.full, claimed.masked) == (None, "138****5678")
    assert claimed.matches("13812345678") and not claimed.matches("13912345678")


def test_a_full_mobile_is_normalised() -> None:
    assert parse_claimed_mobile("+86 138-1234-5678").full == "13812345678"


@pytest.mark.parametrize("bad", ["138***5678", "12812345678", "138*****678", "abc"])
def test_a_mobile_neither_full_nor_masked_is_refused(bad: str) -> None:
    with pytest.raises(InvalidMobile):
        parse_claimed_mobile(bad)


def test_rules_default_to_72_hours_30_days_and_90_days() -> None:
    rules = AttributionRules()
    assert (rules.registration_valid, rules.protection, rules.known_lookback) == (
        72 * H, 30 * D, 90 * D)


def test_rules_out_of_bounds_are_refused() -> None:
    with pytest.raises(InvalidRegistration):
        AttributionRules(protection_days=0)


# --- the basic outcomes -----------------------------------------------------------------------

def test_a_registration_followed_by_a_visit_in_72_hours_wins_with_trace_and_evidence() -> None:
    decision = adjudicate([visit("v1", T0 + 10 * H)], [claim("r1", T0)], signed_at=T0 + 5 * D)

    assert (decision.registration_id, decision.channel_id) == ("r1", "dist-a")
    assert decision.reason_codes == (a.EARLIEST_VALID,)
    assert not decision.needs_review
    first = decision.evidence.first_visit
    assert first is not None and first.id == "v1"
    assert decision.evidence.visit_count == 1
    assert decision.trace[-1] == "decision: registration r1, channel dist-a"


def test_no_registration_is_natural() -> None:
    decision = adjudicate([visit("v1", T0)], [], signed_at=T0 + D)
    assert decision.is_natural and decision.channel_kind == a.NATURAL
    assert decision.reason_codes == (a.NO_VALID_REGISTRATION,)


def test_a_registration_without_any_visit_before_signing_is_not_valid() -> None:
    decision = adjudicate([visit("v1", T0 + 3 * D)], [claim("r1", T0 + D)], signed_at=T0 + 2 * D)
    assert decision.is_natural
    assert decision.verdicts[0].reason == a.NO_VISIT


def test_a_registration_made_after_the_signing_is_not_valid() -> None:
    decision = adjudicate([], [claim("r1", T0 + 2 * D)], signed_at=T0 + D)
    assert decision.verdicts[0].reason == a.REGISTERED_AFTER_SIGNING


def test_the_decision_takes_no_price() -> None:
    """C20: the adjudication cannot see or change what the buyer pays."""
    with pytest.raises(TypeError):
        adjudicate([], [], signed_at=T0, price_fen=100)  # type: ignore[call-arg]
    assert not any("price" in name for name in a.Decision.__dataclass_fields__)


def test_per_project_rules_change_the_outcome() -> None:
    visits, claims = [visit("v1", T0 + 80 * H)], [claim("r1", T0)]
    assert adjudicate(visits, claims, signed_at=T0 + 5 * D).is_natural
    longer = AttributionRules(registration_valid_hours=96)
    assert adjudicate(visits, claims, signed_at=T0 + 5 * D, rules=longer).registration_id == "r1"


# --- fraud patterns ---------------------------------------------------------------------------

def test_fraud_registering_after_the_customers_first_natural_visit_is_rejected_as_known() -> None:
    """先到访后报备: a walk-in is registered by an agent two hours after walking in."""
    decision = adjudicate([visit("walk-in", T0), visit("back", T0 + 3 * H)],
                          [claim("late", T0 + 2 * H)], signed_at=T0 + 2 * D)

    assert decision.is_natural
    assert decision.verdicts[0].reason == a.CUSTOMER_KNOWN
    assert decision.verdicts[0].visit_id == "walk-in"


def test_fraud_two_channels_on_one_customer_the_earliest_valid_registration_wins() -> None:
    """撞单."""
    decision = adjudicate([visit("v1", T0 + 5 * H)],
                          [claim("second", T0 + H, "dist-b"), claim("first", T0, "dist-a")],
                          signed_at=T0 + 5 * D)

    assert (decision.registration_id, decision.channel_id) == ("first", "dist-a")
    assert {v.registration_id: v.reason for v in decision.verdicts} == {
        "first": a.VALID, "second": a.SUPERSEDED}


def test_fraud_an_earlier_but_invalid_registration_does_not_block_a_later_valid_one() -> None:
    decision = adjudicate([visit("v1", T0 + 4 * D)],
                          [claim("stale", T0, "dist-a"), claim("fresh", T0 + 3 * D, "dist-b")],
                          signed_at=T0 + 6 * D)
    assert decision.registration_id == "fresh"
    assert decision.verdicts[0].reason == a.EXPIRED_BEFORE_VISIT


def test_fraud_a_registration_expired_before_the_visit_is_natural() -> None:
    decision = adjudicate([visit("v1", T0 + 72 * H + timedelta(minutes=1))], [claim("r1", T0)],
                          signed_at=T0 + 10 * D)
    assert decision.is_natural
    assert decision.verdicts[0].reason == a.EXPIRED_BEFORE_VISIT


def test_a_visit_exactly_at_72_hours_is_still_in_time() -> None:
    decision = adjudicate([visit("v1", T0 + 72 * H)], [claim("r1", T0)], signed_at=T0 + 10 * D)
    assert decision.registration_id == "r1"


def test_fraud_signing_outside_the_protection_period_is_natural() -> None:
    decision = adjudicate([visit("v1", T0 + H)], [claim("r1", T0)],
                          signed_at=T0 + H + 30 * D + timedelta(seconds=1))
    assert decision.is_natural
    assert decision.verdicts[0].reason == a.PROTECTION_EXPIRED


def test_fraud_a_referral_of_an_existing_customer_is_rejected() -> None:
    """老带新 of someone who already walked in 10 days ago."""
    decision = adjudicate([visit("walk-in", T0), visit("with-owner", T0 + 10 * D + H)],
                          [claim("ref", T0 + 10 * D, "owner-1", "referrer")], signed_at=T0 + 12 * D)
    assert decision.is_natural
    assert decision.verdicts[0].reason == a.CUSTOMER_KNOWN


def test_a_customer_last_seen_beyond_the_lookback_is_not_known() -> None:
    decision = adjudicate([visit("old", T0), visit("new", T0 + 95 * D)],
                          [claim("r1", T0 + 94 * D)], signed_at=T0 + 96 * D)
    assert decision.registration_id == "r1"


def test_fraud_a_visit_time_edited_after_the_fact_is_ignored_the_original_is_used() -> None:
    """Staff moved the walk-in's visit to after the agent's registration; the original stands."""
    edited = visit("walk-in", T0, corrected_at=T0 + 2 * D)
    decision = adjudicate([edited], [claim("r1", T0 + D)], signed_at=T0 + 3 * D)

    assert decision.is_natural
    assert decision.verdicts[0].reason == a.CUSTOMER_KNOWN
    assert a.ORIGINAL_TIME_USED in decision.reason_codes
    assert decision.evidence.visits[0].corrected_at == T0 + 2 * D
    # what the edit was trying to achieve:
    assert adjudicate([visit("walk-in", T0 + 2 * D)], [claim("r1", T0 + D)],
                      signed_at=T0 + 3 * D).registration_id == "r1"


def test_fraud_two_mobiles_linked_by_face_deny_the_claim_but_only_after_review() -> None:
    """The buyer walked in under mobile 1 with face check-in; an agent registered mobile 2 and
    brought them back. The face link (consented) reveals the earlier visit."""
    by_face = visit("face-walk-in", T0, VisitLink.FACE_MATCH)
    escorted = visit("escorted", T0 + D + H)
    decision = adjudicate([by_face, escorted], [claim("r2", T0 + D)], signed_at=T0 + 3 * D)

    assert decision.is_natural
    assert decision.verdicts[0].reason == a.CUSTOMER_KNOWN
    assert decision.needs_review
    assert a.FACE_ONLY_DENIAL in decision.reason_codes


def test_without_the_face_link_the_claim_on_mobile_two_stands() -> None:
    decision = adjudicate([visit("escorted", T0 + D + H)], [claim("r2", T0 + D)],
                          signed_at=T0 + 3 * D)
    assert decision.registration_id == "r2" and not decision.needs_review


def test_a_face_match_in_the_review_band_always_goes_to_review() -> None:
    decision = adjudicate([visit("v1", T0 + H), visit("maybe", T0 + 2 * H, VisitLink.FACE_REVIEW)],
                          [claim("r1", T0)], signed_at=T0 + D)
    assert decision.registration_id == "r1"
    assert decision.needs_review and a.FACE_REVIEW_BAND in decision.reason_codes


def test_a_denial_also_backed_by_mobile_evidence_needs_no_review() -> None:
    decision = adjudicate([visit("f", T0, VisitLink.FACE_MATCH), visit("m", T0 + H)],
                          [claim("r1", T0 + D)], signed_at=T0 + 2 * D)
    assert decision.is_natural and not decision.needs_review
