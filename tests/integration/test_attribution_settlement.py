"""佣金结算 on each store: only final attributions are settled, totals are the sum of lines in
integer fen, draft → approved → paid, disputes decided with a reason, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from keyuan.domain.attribution.commission import AgreementKind, DisputeStatus, StatementStatus
from keyuan.domain.errors import StatementStateError, UnknownStatement
from keyuan.services.attribution import settlement, statements
from keyuan.web.printing import page
from support.sequences import fake_shots

from .conftest import START
from .test_attribution_services import (
    ALICE,
    M1,
    M2,
    PRICE,
    claim,
    distributor,
    escorted,
    sign,
)

if TYPE_CHECKING:
    from .conftest import Kiosk

PERIOD = (START, START + timedelta(days=30))


def settled_month(k: Kiosk) -> tuple[str, str]:
    """A channel with a 1.5% agreement, one final deal and one deal still under review."""
    channel = distributor(k)
    settlement.add_agreement(settlement.AgreementCmd(
        channel_id=channel, kind=AgreementKind.PERCENT, value=150, effective_from=START),
        k.deps, actor="finance-1")
    rid = claim(k, channel)
    escorted(k, rid)
    k.clock.advance(days=1)
    final = sign(k)
    walked_in = k.new_face_visitor(ALICE)  # the second buyer's face check-in comes first
    k.clock.advance(days=2)
    escorted(k, claim(k, channel, mobile=M2), mobile=M2)
    pending = sign(k, mobile=M2, serial="002", **fake_shots(ALICE).desk_cmd(),
                   face_receipt_id=walked_in.consent.id)
    assert final.signing.is_final and not pending.signing.is_final
    return channel, final.signing.id


def test_a_statement_settles_final_deals_only_and_totals_its_lines(store_kiosk: Kiosk) -> None:
    channel, final_id = settled_month(store_kiosk)

    statement = settlement.generate_statement(channel, *PERIOD, store_kiosk.deps)

    assert [line.signing_id for line in statement.lines] == [final_id]
    assert statement.total_fen == PRICE * 150 // 10_000 == 5_250_000
    assert statement.status is StatementStatus.DRAFT
    stored = settlement.get_statement(statement.id, store_kiosk.deps)
    assert stored.total_fen == sum(line.amount_fen for line in stored.lines)


def test_the_statement_exports_as_csv_in_integer_fen(kiosk: Kiosk) -> None:
    channel, final_id = settled_month(kiosk)
    statement = settlement.generate_statement(channel, *PERIOD, kiosk.deps)

    rows = list(csv.reader(io.StringIO(statements.statement_csv(statement.id, kiosk.deps))))

    assert rows[1] == list(statements.COLUMNS)
    assert rows[2][0] == final_id and rows[2][4] == "5250000"
    assert rows[-1] == ["total", "", "", "", "5250000"]


def test_a_dispute_blocks_approval_until_a_manager_decides_it(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    channel, _ = settled_month(k)
    statement = settlement.generate_statement(channel, *PERIOD, k.deps)
    dispute = settlement.open_dispute(statement.id, channel, "our second deal is missing",
                                      k.deps)
    with pytest.raises(StatementStateError):
        settlement.approve(statement.id, k.deps, actor="finance-1")

    decided = settlement.decide_dispute(settlement.DisputeDecisionCmd(
        dispute.id, upheld=True, manager="manager-1", reason="goodwill for the escort",
        adjustment_fen=100_000), k.deps)
    approved = settlement.approve(statement.id, k.deps, actor="finance-1")
    paid = settlement.mark_paid(statement.id, k.deps, actor="finance-1")

    assert decided.status is DisputeStatus.UPHELD
    assert approved.total_fen == 5_350_000
    assert paid.status is StatementStatus.PAID
    with pytest.raises(StatementStateError):
        settlement.generate_statement(channel, *PERIOD, k.deps)  # a paid statement is frozen


def test_a_channel_cannot_dispute_another_channels_statement(kiosk: Kiosk) -> None:
    channel, _ = settled_month(kiosk)
    statement = settlement.generate_statement(channel, *PERIOD, kiosk.deps)
    with pytest.raises(UnknownStatement):
        settlement.open_dispute(statement.id, "someone-else", "mine", kiosk.deps)


def test_reviewing_a_pending_deal_brings_it_into_the_next_draft(kiosk: Kiosk) -> None:
    from keyuan.services.attribution import signing

    channel, _ = settled_month(kiosk)
    [pending] = signing.review_queue(kiosk.office_id, kiosk.deps)
    rid = pending.decision.verdicts[0].registration_id
    signing.review(signing.ReviewCmd(pending.id, "manager-1", "face link rejected on review",
                                     confirm=False, registration_id=rid), kiosk.deps)

    statement = settlement.generate_statement(channel, *PERIOD, kiosk.deps)

    assert len(statement.lines) == 2 and statement.total_fen == 2 * 5_250_000
    assert M1 not in statements.statement_csv(statement.id, kiosk.deps)


def test_the_printable_statement_shows_yuan_from_integer_fen_and_escapes_text(
    kiosk: Kiosk,
) -> None:
    channel, _ = settled_month(kiosk)
    statement = settlement.generate_statement(channel, *PERIOD, kiosk.deps)
    dispute = settlement.open_dispute(statement.id, channel, "x", kiosk.deps)
    settlement.decide_dispute(settlement.DisputeDecisionCmd(
        dispute.id, upheld=True, manager="m", reason="<script>alert(1)</script>",
        adjustment_fen=-5), kiosk.deps)

    html = page("statement.html", view=statements.load(statement.id, kiosk.deps))

    assert "52,500.00" in html and "-0.05" in html and "52,499.95" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
