"""Deals end a template's purpose (issues 3 ↔ 4): `keyuan purge` reads deals from the
attribution store. Settled deal + 90 days → template purged; deal in progress → kept; buyers'
visits are never purged as a non-buyer's; purging never breaks an attribution foreign key."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import typer
from typer.testing import CliRunner

from keyuan.cli.compliance import purge_command
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.commission import AgreementKind
from keyuan.domain.compliance.deals import SigningFact, deal_statuses
from keyuan.services.attribution import escort, settlement
from keyuan.services.attribution import registration as reg
from keyuan.services.checkin import consultants
from keyuan.services.compliance.deals import SigningDeals
from keyuan.services.compliance.inspection import inspect_vault
from keyuan.services.compliance.retention import purge
from support.auth import make_user
from support.sequences import fake_shots

from .conftest import START
from .test_attribution_services import M1, M2, claim, distributor, escorted, sign

if TYPE_CHECKING:
    from .conftest import Kiosk

ANN = (200, 150, 120)
MONTH = (START, START + timedelta(days=30))


def face_buyer(k: Kiosk, mobile: str, rgb: tuple[int, int, int] = ANN) -> str:
    """The mobile and then a face enrollment in the same visit: one person with a template."""
    session, notice = k.start()
    k.check_in_by_phone(session.id, notice.content_hash, mobile, name="王芳")
    consent = k.consent_face(session.id, notice.content_hash, name="王芳")
    k.enroll(session.id, consent.id, rgb)
    return consent.person_id


def held(k: Kiosk, person_id: str) -> bool:
    with k.deps.uow() as uow:
        return person_id in uow.compliance.template_dates()


def test_a_channel_deal_keeps_the_template_until_paid_plus_the_dispute_period(
    store_kiosk: Kiosk,
) -> None:
    k = store_kiosk
    channel = distributor(k)
    settlement.add_agreement(settlement.AgreementCmd(
        channel_id=channel, kind=AgreementKind.FIXED, value=100_000, effective_from=START),
        k.deps, actor="finance")
    claim(k, channel)
    k.clock.advance(hours=2)
    buyer = face_buyer(k, M1)
    k.clock.advance(days=2)
    assert sign(k).signing.channel_id == channel
    statement = settlement.generate_statement(channel, *MONTH, k.deps)
    settlement.approve(statement.id, k.deps, actor="finance")

    k.clock.advance(days=300)  # far past the 180 no-deal days: the deal is in progress
    assert purge(k.deps).templates == {} and held(k, buyer)
    settlement.mark_paid(statement.id, k.deps, actor="finance")
    k.clock.advance(days=89)
    assert purge(k.deps).templates == {} and held(k, buyer)
    k.clock.advance(days=1)
    report = purge(k.deps)

    assert list(report.templates) == [buyer] and "deal settled" in report.templates[buyer]
    assert not held(k, buyer)


def test_a_natural_deal_is_settled_when_it_is_final(kiosk: Kiosk) -> None:
    buyer = face_buyer(kiosk, M1)
    kiosk.clock.advance(days=10)
    result = sign(kiosk)
    assert result.decision.is_natural and result.signing.is_final

    with kiosk.deps.uow() as uow:
        status = SigningDeals.load(uow).status(buyer)
    kiosk.clock.advance(days=90)

    assert status.settled_at == result.signing.signed_at
    assert list(purge(kiosk.deps).templates) == [buyer]


def test_retention_of_non_buyers_leaves_buyers_visits_alone(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    channel = distributor(k)
    rid = claim(k, channel)
    escorted(k, rid)  # the buyer's visit
    other = reg.confirm_visit(reg.ConfirmVisitCmd(claim(k, channel, mobile=M2), M2,
                                                  staff="reception-1"), k.deps)
    k.clock.advance(days=1)
    buyer = sign(k).signing.person_id
    k.clock.advance(days=400)

    report = purge(k.deps)

    with k.deps.uow() as uow:  # escorts are on their claims: the deal's evidence stays
        assert len(uow.visits.escorts_of([rid])) == 1
        assert uow.visits.get(other.id) is None
        kept = uow.persons.get(buyer)
        assert kept is not None and kept.mobile == M1
    # the other customer was never kept on file (到访确认 stores no person): no identity to erase
    assert report.visits == 1 and report.identities == 0


def test_purging_a_corrected_visit_never_breaks_a_foreign_key(store_kiosk: Kiosk) -> None:
    """The correction references the visit: on PostgreSQL a wrong order would raise."""
    k = store_kiosk
    visit = reg.confirm_visit(reg.ConfirmVisitCmd(claim(k, distributor(k)), M1,
                                                  staff="reception-1"), k.deps)
    reg.correct_visit_time(visit.id, visit.at - timedelta(hours=3), "typo", k.deps,
                           actor="reception-1")
    k.clock.advance(days=400)

    report = purge(k.deps)

    assert report.visits == 1
    with k.deps.uow() as uow:
        assert uow.attribution.corrections_of(visit.id) == []
        assert uow.visits.get(visit.id) is None


def test_a_person_with_a_deal_waiting_for_review_is_not_settled() -> None:
    pending = SigningFact("s1", "p1", final=False, channel_id=None, signed_at=START)
    natural = SigningFact("s2", "p1", final=True, channel_id=None, signed_at=START)

    assert deal_statuses([pending, natural], {})["p1"].settled_at is None


def test_a_face_linked_second_record_of_a_buyer_counts_as_that_buyer(kiosk: Kiosk) -> None:
    """Visits a decision cites (the buyer's own check-in under another mobile, linked by their
    face with consent) are a contract's evidence: retention keeps them."""
    walked_in = kiosk.new_face_visitor(ANN)
    kiosk.clock.advance(days=2)
    escorted(kiosk, claim(kiosk, distributor(kiosk), mobile=M2), mobile=M2)
    result = sign(kiosk, mobile=M2, **fake_shots(ANN).desk_cmd(),
                  face_receipt_id=walked_in.consent.id)
    assert walked_in.consent.person_id != result.signing.person_id

    with kiosk.deps.uow() as uow:
        linked = SigningDeals.load(uow).status(walked_in.consent.person_id)
    kiosk.clock.advance(days=300)
    report = purge(kiosk.deps)

    assert linked.is_buyer and linked.settled_at is None  # waiting for review
    assert report.templates == {} and report.visits == 0
    with kiosk.deps.uow() as uow:
        assert len(uow.visits.for_person(walked_in.consent.person_id)) == 1


def test_deal_statuses_settle_a_person_when_their_last_deal_settles() -> None:
    paid = {"s1": START + timedelta(days=40)}
    channel_deal = SigningFact("s1", "p1", final=True, channel_id="c1", signed_at=START,
                               evidence_visits=("v9",))
    natural = SigningFact("s2", "p1", final=True, channel_id=None, signed_at=START,
                          reviewed_at=START + timedelta(days=3))

    statuses = deal_statuses([channel_deal, natural], paid, {"v9": "p2"})

    assert statuses["p1"].settled_at == START + timedelta(days=40)
    assert statuses["p2"] == statuses["p1"]
    assert deal_statuses([channel_deal], {})["p1"].settled_at is None  # statement not paid


def test_the_inspector_does_not_flag_a_template_kept_for_a_deal_in_progress(
    kiosk: Kiosk,
) -> None:
    channel = distributor(kiosk)
    claim(kiosk, channel)
    kiosk.clock.advance(hours=2)
    face_buyer(kiosk, M1)
    kiosk.clock.advance(days=1)
    sign(kiosk)  # won by the channel; its statement is never paid
    kiosk.clock.advance(days=300)

    assert purge(kiosk.deps).templates == {}
    assert [v for v in inspect_vault(kiosk.deps).violations if "purpose" in v[1]] == []


def test_c18_a_deal_never_settled_keeps_the_template_only_up_to_the_cap(kiosk: Kiosk) -> None:
    channel = distributor(kiosk)
    claim(kiosk, channel)
    kiosk.clock.advance(hours=2)
    buyer = face_buyer(kiosk, M1)
    kiosk.clock.advance(days=1)
    signed_at = sign(kiosk).signing.signed_at  # won by the channel; never paid
    kiosk.clock.advance(days=364)
    assert purge(kiosk.deps).templates == {} and held(kiosk, buyer)
    flagged = [v for v in inspect_vault(kiosk.deps).violations if v[0] == buyer]
    assert flagged == []

    kiosk.clock.advance(seconds=(signed_at + timedelta(days=365) - kiosk.clock.now())
                        .total_seconds())
    report = purge(kiosk.deps)

    assert list(report.templates) == [buyer]
    assert "in review or never settled" in report.templates[buyer] and not held(kiosk, buyer)


def test_keyuan_purge_honours_deals_from_the_store(kiosk: Kiosk) -> None:
    """On the system clock, well over a year after these fake-clock deals: the natural deal is
    settled (+90 days) and its template goes; the channel's unpaid deal keeps its template."""
    claim(kiosk, distributor(kiosk))
    kiosk.clock.advance(hours=2)
    in_progress = face_buyer(kiosk, M1)
    settled = face_buyer(kiosk, M2, rgb=(90, 160, 200))
    kiosk.clock.advance(days=1)
    sign(kiosk)
    sign(kiosk, mobile=M2, serial="002")
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key,
           "KEYUAN_RETENTION__OPEN_DEAL_CAP_DAYS": "3650"}  # ten years: still in progress
    app = typer.Typer()
    app.command()(purge_command)

    result = CliRunner().invoke(app, [], env=env)

    assert result.exit_code == 0, result.output
    assert "face templates: 1" in result.output and f"{settled}: deal settled" in result.output
    assert held(kiosk, in_progress) and not held(kiosk, settled)


def test_the_purge_frees_visits_a_consultant_received_or_a_pass_escorted(
    store_kiosk: Kiosk,
) -> None:
    """A 置业顾问 assignment and a used 扫码带访 pass reference their visit: the purge of a
    non-buyer's visit and of an escort must not break on them (one transaction, so a foreign
    key error would also keep every template it should purge). On both stores."""
    k = store_kiosk
    make_user(k.app, Role.sales, username="gu-1")
    channel = distributor(k)
    rid = claim(k, channel)
    issued = escort.issue_pass(escort.IssuePassCmd(channel, rid, "agent:li-si"), k.deps)
    by_pass = escort.confirm_escort(escort.EscortCmd(
        office_id=k.office_id, mobile=M1, staff="reception-1", code=issued.code), k.deps).visit
    session, notice = k.start()
    walk_in = k.check_in_by_phone(session.id, notice.content_hash, M2).visit
    for visit in (by_pass, walk_in):
        consultants.assign(consultants.AssignCmd(k.office_id, visit.id, None, "reception-1"),
                           k.deps)
    k.clock.advance(days=400)

    report = purge(k.deps)

    assert report.visits == 2
    with k.deps.uow() as uow:
        assert uow.visits.get(by_pass.id) is None and uow.visits.get(walk_in.id) is None
        assert uow.visits.escorts_of([rid]) == []
