"""Review reasons travel with the case, on SQLite and PostgreSQL: the signing desk's reason for
sending a decision to review is kept on the signing (card, queue), and the manager's decision
adds its own reason without erasing it — both with who and when, both audited."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from keyuan.domain.attribution.adjudication import ReviewStep
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.errors import InvalidRegistration
from keyuan.services.attribution import dashboard, signing
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import signing_desk as desk

if TYPE_CHECKING:
    from .conftest import Kiosk

MOBILE = "13800003333"


def signed(k: Kiosk) -> str:
    channel = reg.create_channel(k.office_id, ChannelKind.DISTRIBUTOR, "链家分销", k.deps).id
    rid = reg.register(reg.RegisterCmd(channel, "王芳", MOBILE), k.deps).id
    k.clock.advance(hours=1)
    reg.confirm_visit(reg.ConfirmVisitCmd(rid, MOBILE, staff="reception-1"), k.deps)
    k.clock.advance(days=1)
    id17 = "11010519800101003"
    return signing.sign(signing.SigningCmd(
        k.office_id, "王芳", id17 + check_digit(id17), MOBILE, 2_000_000_00, "desk-1"),
        k.deps).signing.id


def test_the_desks_reason_and_the_managers_decision_are_both_kept(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    sid = signed(k)

    desk.send_to_review(desk.SendToReviewCmd(sid, "signing:clerk-1", " 买受人称另有渠道带看 "),
                        k.deps)
    queued = dashboard.manager_dashboard(k.deps, office_id=k.office_id).review
    k.clock.advance(minutes=30)
    done = signing.review(signing.ReviewCmd(sid, "manager:wang", "核实无误，维持原判"), k.deps)
    card = desk.card(sid, k.deps)

    assert [(q.id, q.sent_reason) for q in queued] == [(sid, "买受人称另有渠道带看")]
    assert [(r.step, r.actor, r.reason) for r in card.reviews] == [
        (ReviewStep.SENT, "signing:clerk-1", "买受人称另有渠道带看"),
        (ReviewStep.DECIDED, "manager:wang", "核实无误，维持原判")]
    assert card.reviews[1].at - card.reviews[0].at == timedelta(minutes=30)
    assert card.reviews[1].at == done.reviewed_at
    assert done.review_reason == "核实无误，维持原判"  # the latest decision's, as before
    with k.deps.uow() as uow:
        audited = [(e.action, e.detail.get("reason")) for e in uow.audit.all()
                   if e.subject == sid and e.action != "attribution_decided"]
    assert audited == [("attribution_sent_to_review", "买受人称另有渠道带看"),
                       ("attribution_reviewed", "核实无误，维持原判")]


def test_a_refused_review_adds_nothing_to_the_history(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    sid = signed(k)
    desk.send_to_review(desk.SendToReviewCmd(sid, "signing:clerk-1", "请经理复核"), k.deps)

    with pytest.raises(InvalidRegistration):
        signing.review(signing.ReviewCmd(sid, "manager:wang", "   "), k.deps)

    assert [r.step for r in desk.card(sid, k.deps).reviews] == [ReviewStep.SENT]
