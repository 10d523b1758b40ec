"""The decision and the statement lines are typed values stored as JSON: what was stored before
the types existed reads back, and what is written is the same JSON as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from keyuan.domain.attribution.adjudication import (
    ClaimFact,
    Decision,
    VisitFact,
    VisitLink,
    adjudicate,
)
from keyuan.domain.attribution.commission import StatementLine

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)

STORED_BEFORE = {  # a decision as `decision_record` wrote it (asdict), verbatim
    "channel_id": "ch1", "channel_kind": "distributor", "registration_id": "r1",
    "reason_codes": ["earliest_valid_registration"],
    "trace": ["rules: valid 72 h, protection 30 d, known lookback 90 d",
              "decision: registration r1, channel ch1"],
    "evidence": {
        "signed_at": "2026-11-05T02:00:00+00:00",
        "first_visit": {"id": "v1", "at": "2026-11-02T03:00:00+00:00", "method": "phone",
                        "link": "mobile"},
        "visit_count": 2,
        "visits": [{"id": "v1", "at": "2026-11-02T03:00:00+00:00", "method": "phone",
                    "link": "mobile"},
                   {"id": "v2", "at": "2026-11-03T03:00:00+00:00", "method": "face_kiosk",
                    "link": "face_match", "corrected_at": "2026-11-03T04:00:00+00:00"}],
        "registrations": [{"id": "r1", "channel_id": "ch1", "verdict": "valid",
                           "visit_id": "v1"},
                          {"id": "r2", "channel_id": "ch2",
                           "verdict": "superseded_by_earlier_registration",
                           "visit_id": "v1"}],
    },
    "needs_review": False,
    "verdicts": [{"registration_id": "r1", "channel_id": "ch1", "reason": "valid",
                  "visit_id": "v1"},
                 {"registration_id": "r2", "channel_id": "ch2",
                  "reason": "superseded_by_earlier_registration", "visit_id": "v1"}],
}


def test_a_decision_stored_before_the_type_reads_back_and_writes_the_same_json() -> None:
    decision = Decision.from_json(STORED_BEFORE)

    assert decision.evidence.first_visit is not None
    assert decision.evidence.first_visit.at == T0 + timedelta(hours=1)
    assert decision.evidence.visit_count == 2
    assert decision.evidence.visits[1].corrected_at == T0 + timedelta(days=1, hours=2)
    assert decision.evidence.visit_ids == ("v1", "v2")
    assert decision.to_json() == STORED_BEFORE


def test_channel_for_names_the_channel_of_one_of_its_claims_only() -> None:
    decision = Decision.from_json(STORED_BEFORE)
    assert decision.channel_for("r2") == "ch2"
    assert decision.channel_for("r9") is None
    assert decision.verdict_for("r1") is not None


@given(st.lists(st.integers(min_value=0, max_value=20 * 24), min_size=0, max_size=5, unique=True),
       st.lists(st.integers(min_value=0, max_value=20 * 24), min_size=0, max_size=4, unique=True))
def test_every_adjudicated_decision_survives_its_json(visit_hours: list[int],
                                                     claim_hours: list[int]) -> None:
    visits = [VisitFact(f"v{h}", T0 + timedelta(hours=h), "phone",
                        VisitLink.FACE_REVIEW if h % 7 == 0 else VisitLink.MOBILE)
              for h in visit_hours]
    claims = [ClaimFact(f"r{h}", f"c{h % 3}", "distributor", T0 + timedelta(hours=h))
              for h in claim_hours]
    decision = adjudicate(visits, claims, signed_at=T0 + timedelta(days=15))
    assert Decision.from_json(decision.to_json()) == decision


def test_statement_lines_round_trip_deals_and_adjustments() -> None:
    deal = StatementLine(rule="1% of contract price", amount_fen=52_500, signing_id="s1",
                         signed_at=T0, contract_price_fen=5_250_000)
    adjustment = StatementLine(rule="dispute d1: duplicate", amount_fen=-5)
    for line in (deal, adjustment):
        assert StatementLine.from_json(line.to_json()) == line
    assert deal.to_json() == {"signing_id": "s1", "signed_at": "2026-11-02T02:00:00+00:00",
                              "contract_price_fen": 5_250_000, "rule": "1% of contract price",
                              "amount_fen": 52_500}
    assert adjustment.to_json()["signing_id"] is None
