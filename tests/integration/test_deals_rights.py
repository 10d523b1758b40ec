"""C19 "decisions about me": a buyer's own 判客 decisions are in "my data" and its export —
channel credited, reasons, rule trace, review status — and nothing of anybody else's, nor the
distributors' commission."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from keyuan.domain.attribution.commission import AgreementKind
from keyuan.services.attribution import settlement, signing
from keyuan.services.compliance import rights

from .conftest import START
from .test_attribution_services import (
    M1,
    M2,
    PRICE,
    claim,
    distributor,
    escorted,
    id_number,
    sign,
)
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


def test_c19_each_buyer_of_a_household_sees_the_decision_and_only_their_own_evidence(
    store_kiosk: Kiosk,
) -> None:
    """共同购房人: the wife (co-buyer) and the husband (main buyer) each find the signing in
    their own copy, with their own masked ID number; the trace says whose role decided, and
    neither copy carries the other's visit times or registrations."""
    k = store_kiosk
    wife = face_and_phone_visitor(k, (200, 150, 120), M1)  # she came first, on her own
    k.clock.advance(days=1)
    channel = distributor(k, "某某分销")
    escorted(k, claim(k, channel, mobile=M2, name="张伟"), mobile=M2)
    k.clock.advance(days=1)
    signed = signing.sign(signing.SigningCmd(
        office_id=k.office_id, buyer_name="张伟", id_number=id_number("007"), mobile=M2,
        contract_price_fen=PRICE, actor="desk-1", co_buyers=[signing.BuyerCmd(
            name="安", id_number=id_number("008"), mobile=M1, relation="spouse")]), k.deps)
    k.clock.advance(days=1)
    husband = face_and_phone_visitor(k, (90, 160, 200), M2)  # after the signing: no evidence

    hers = rights.my_data(log_in(k, wife), k.deps, export=True)["attribution_decisions"]
    his = rights.my_data(log_in(k, husband), k.deps, export=True)["attribution_decisions"]

    assert [d["signing"] for d in hers] == [d["signing"] for d in his] == [signed.signing.id]
    assert hers[0]["id_number"] == id_number("008")[:6] + "********" + id_number("008")[-4:]
    assert his[0]["id_number"] == id_number("007")[:6] + "********" + id_number("007")[-4:]
    assert hers[0]["credited_to"]["kind"] == "natural"
    full = signed.decision.trace
    assert any(line.startswith("visits considered") for line in full)
    for copy in (hers[0], his[0]):
        assert copy["rule_trace"][-2:] == ["decided by: visit of buyer co1",
                                           "decision: natural (自然到访)"]
        assert not any(line.startswith("visits considered") for line in copy["rule_trace"])
    [registration] = signed.registrations
    assert any(registration.id in line for line in his[0]["rule_trace"])  # his own claim
    assert registration.id not in str(hers) and M2 not in str(hers) and "张伟" not in str(hers)
    wife_visit = signed.decision.evidence.visits[0].id
    assert wife_visit not in str(his) and M1 not in str(his)
