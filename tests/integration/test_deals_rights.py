"""C19 "decisions about me": a buyer's own 判客 decisions are in "my data" and its export —
channel credited, reasons, rule trace, review status — and nothing of anybody else's, nor the
distributors' commission."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from keyuan.domain.attribution.commission import AgreementKind
from keyuan.services.attribution import settlement
from keyuan.services.compliance import rights

from .conftest import START
from .test_attribution_services import M1, M2, PRICE, claim, distributor, escorted, sign
from .test_compliance_rights import face_and_phone_visitor, log_in

if TYPE_CHECKING:
    from .conftest import Kiosk


def test_c19_my_data_lists_the_attribution_decisions_about_me_only(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    channel = distributor(k, "链家分销")
    settlement.add_agreement(settlement.AgreementCmd(
        channel_id=channel, kind=AgreementKind.FIXED, value=271_828, effective_from=START),
        k.deps, actor="finance")
    claim(k, channel)
    k.clock.advance(hours=1)
    receipt = face_and_phone_visitor(k, (200, 150, 120), M1)
    k.clock.advance(days=1)
    mine = sign(k).signing
    escorted(k, claim(k, channel, mobile=M2, name="李雷"), mobile=M2)
    theirs = sign(k, mobile=M2, serial="002").signing
    settlement.generate_statement(channel, START, START + timedelta(days=30), k.deps)

    data = rights.my_data(log_in(k, receipt), k.deps, export=True)

    [decision] = data["attribution_decisions"]
    assert decision["signing"] == mine.id
    assert decision["credited_to"] == {"kind": "distributor", "name": "链家分销"}
    assert "earliest_valid_registration" in decision["reason_codes"]
    assert decision["rule_trace"][-1].startswith("decision: registration")
    assert decision["review"]["status"] == "final" and decision["review"]["reviewed_at"] is None
    text = str(data)
    assert theirs.id not in text and M2 not in text and "李雷" not in text
    assert "271828" not in text and str(PRICE) not in text  # no commission, no price
    assert mine.id_hash not in text


def test_c19_a_visitor_who_never_signed_has_no_decisions(kiosk: Kiosk) -> None:
    receipt = face_and_phone_visitor(kiosk, (200, 150, 120), M1)

    assert rights.my_data(log_in(kiosk, receipt), kiosk.deps)["attribution_decisions"] == []
