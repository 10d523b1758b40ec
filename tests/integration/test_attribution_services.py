"""报备 → 到访 → 签约 → review through the services, on SQLite (and PostgreSQL where storage
matters), with the fake face engine. One scenario per fraud pattern
(截客, 飞单, 撞单, late 报备, …)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from keyuan.adapters.store.tables import attribution as t
from keyuan.domain.attribution import adjudication as a
from keyuan.domain.attribution.adjudication import SigningStatus
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.attribution.registration import (
    KNOWN,
    PROTECTED_ELSEWHERE,
    AttributionRules,
    ConflictPolicy,
)
from keyuan.domain.errors import (
    ConsentWithdrawn,
    DeskConsentMissing,
    InvalidIdNumber,
    InvalidMobile,
    InvalidRegistration,
    NotVerified,
    ReviewNotPending,
)
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import signing
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.faces.gallery import IdentifyResult
from support.offices import set_up_office
from support.sequences import fake_shots

from .conftest import png_bytes

if TYPE_CHECKING:
    from .conftest import Kiosk

ALICE = (200, 150, 120)
BOB = (90, 160, 200)
M1, M2 = "13800001111", "13900002222"
PRICE = 3_500_000_00  # 3.5 million CNY in fen
H, D = timedelta(hours=1), timedelta(days=1)


def id_number(serial: str = "001") -> str:
    first17 = f"11010519800101{serial}"
    return first17 + check_digit(first17)


def distributor(k: Kiosk, name: str = "链家分销") -> str:
    return reg.create_channel(k.office_id, ChannelKind.DISTRIBUTOR, name, k.deps).id


def claim(k: Kiosk, channel_id: str, mobile: str = M1, name: str = "王芳") -> str:
    return reg.register(reg.RegisterCmd(channel_id, name, mobile), k.deps).id


def marking(k: Kiosk) -> None:
    """The office records claims that cannot win, marked, instead of refusing them: the
    adjudication still judges them at the signing (the fraud patterns below)."""
    reg.set_rules(k.office_id, AttributionRules(conflict_policy=ConflictPolicy.MARK), k.deps,
                  actor="manager-1")


def phone_visit(k: Kiosk, mobile: str = M1) -> None:
    session, notice = k.start()
    k.check_in_by_phone(session.id, notice.content_hash, mobile, name="王芳")


def escorted(k: Kiosk, registration_id: str, mobile: str = M1) -> None:
    reg.confirm_visit(reg.ConfirmVisitCmd(registration_id, mobile, staff="reception-1"), k.deps)


FACE_EVIDENCE = ("live_frames", "chip_photo", "face_receipt_id")


def sign(k: Kiosk, mobile: str = M1, serial: str = "001", **kw: object) -> signing.SigningResult:
    """With face evidence, the buyer first says yes to the desk's face check (unless the test
    passes its own `desk_consent_id`)."""
    if any(kw.get(name) for name in FACE_EVIDENCE) and "desk_consent_id" not in kw:
        kw["desk_consent_id"] = k.desk_yes(id_number(serial))
    return signing.sign(signing.SigningCmd(
        office_id=k.office_id, buyer_name="王芳", id_number=id_number(serial), mobile=mobile,
        contract_price_fen=PRICE, actor="desk-1", **kw), k.deps)  # type: ignore[arg-type]


def actions(k: Kiosk) -> list[str]:
    with k.deps.uow() as uow:
        return [e.action for e in uow.audit.all()]


def signings_count(k: Kiosk) -> int:
    with k.deps.uow() as uow:
        return int(uow.visits.session.execute(
            select(func.count()).select_from(t.signings)).scalar_one())


# --- the ordinary path, on both stores ------------------------------------------------------

def test_an_escorted_registered_customer_is_attributed_to_the_channel(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    channel = distributor(k)
    rid = claim(k, channel)
    k.clock.advance(hours=5)
    escorted(k, rid)
    k.clock.advance(days=3)

    result = sign(k)

    assert (result.decision.registration_id, result.decision.channel_id) == (rid, channel)
    assert result.signing.status is SigningStatus.FINAL
    assert result.visit_count == 1 and result.first_visit_at is not None
    assert [r.id for r in result.registrations] == [rid]
    stored = signing.get_signing(result.signing.id, k.deps)
    assert stored.contract_price_fen == PRICE
    assert stored.decision.trace[-1].startswith(f"decision: registration {rid}")
    assert stored.id_masked == "110105********" + id_number()[-4:]
    [status] = reg.claim_statuses(channel, k.deps)
    assert (status.status, status.outcome) == (a.VALID, "won")


def test_a_masked_registration_matches_the_customer_by_first_three_last_four_and_name(
    store_kiosk: Kiosk,
) -> None:
    k = store_kiosk
    channel = distributor(k)
    rid = claim(k, channel, mobile="138****1111")
    k.clock.advance(hours=2)
    escorted(k, rid, mobile=M1)

    result = sign(k)

    assert result.decision.registration_id == rid


def test_under_the_mark_policy_every_claim_is_recorded_even_the_losing_ones(
    store_kiosk: Kiosk,
) -> None:
    k = store_kiosk
    marking(k)
    phone_visit(k)
    k.clock.advance(hours=1)
    channel = distributor(k)
    rid = claim(k, channel)

    [status] = reg.claim_statuses(channel, k.deps)

    assert (status.registration.id, status.status) == (rid, KNOWN)
    assert status.registration.conflict == KNOWN


def test_a_fresh_claim_awaits_its_visit_then_expires(kiosk: Kiosk) -> None:
    channel = distributor(kiosk)
    claim(kiosk, channel)
    assert reg.claim_statuses(channel, kiosk.deps)[0].status == "awaiting_visit"
    kiosk.clock.advance(hours=73)
    assert reg.claim_statuses(channel, kiosk.deps)[0].status == a.EXPIRED_BEFORE_VISIT


@pytest.mark.parametrize("bad", ["1380000111", "138***1111", ""])
def test_a_registration_with_a_bad_mobile_is_refused_and_nothing_is_stored(
    kiosk: Kiosk, bad: str,
) -> None:
    channel = distributor(kiosk)
    with pytest.raises(InvalidMobile):
        reg.register(reg.RegisterCmd(channel, "王芳", bad), kiosk.deps)
    assert reg.claim_statuses(channel, kiosk.deps) == []


def test_reception_cannot_confirm_a_visit_for_a_different_mobile(kiosk: Kiosk) -> None:
    rid = claim(kiosk, distributor(kiosk))
    with pytest.raises(InvalidRegistration):
        escorted(kiosk, rid, mobile=M2)


def test_an_invalid_id_number_stops_the_signing_and_stores_nothing(kiosk: Kiosk) -> None:
    with pytest.raises(InvalidIdNumber):
        signing.sign(signing.SigningCmd(kiosk.office_id, "王芳", "110105198001010010", M1,
                                        PRICE, "desk-1"), kiosk.deps)
    assert signings_count(kiosk) == 0


def test_per_project_rules_are_used_and_their_change_is_audited(kiosk: Kiosk) -> None:
    reg.set_rules(kiosk.office_id, AttributionRules(registration_valid_hours=100), kiosk.deps,
                  actor="manager-1")
    rid = claim(kiosk, distributor(kiosk))
    kiosk.clock.advance(hours=90)
    escorted(kiosk, rid)

    assert sign(kiosk).decision.registration_id == rid
    assert "attribution_rules_set" in actions(kiosk)


def test_signing_works_with_the_face_module_switched_off(faceless_kiosk: Kiosk) -> None:
    k = faceless_kiosk
    rid = claim(k, distributor(k))
    escorted(k, rid)
    assert sign(k).decision.registration_id == rid


# --- fraud patterns -------------------------------------------------------------------------

def test_fraud_registration_after_the_first_natural_visit_is_natural(kiosk: Kiosk) -> None:
    """先到访后报备 (recorded under the mark policy; refused at once by default)."""
    marking(kiosk)
    phone_visit(kiosk)
    kiosk.clock.advance(hours=2)
    rid = claim(kiosk, distributor(kiosk))
    escorted(kiosk, rid)

    result = sign(kiosk)

    assert result.decision.is_natural
    assert result.decision.verdicts[0].reason == KNOWN  # marked at once, judged so again
    assert result.visit_count == 2


def test_fraud_two_channels_on_one_customer_the_earliest_valid_wins(kiosk: Kiosk) -> None:
    """撞单 (recorded under the mark policy; refused at once by default)."""
    marking(kiosk)
    first = claim(kiosk, distributor(kiosk, "甲分销"))
    kiosk.clock.advance(hours=1)
    second = claim(kiosk, distributor(kiosk, "乙分销"))
    kiosk.clock.advance(hours=1)
    escorted(kiosk, second)

    result = sign(kiosk)

    assert result.decision.registration_id == first
    # marked at once: another channel's claim protected the customer; it never wins
    assert {v.registration_id: v.reason for v in result.decision.verdicts}[second] == \
        PROTECTED_ELSEWHERE


def test_fraud_a_registration_expired_before_the_visit_is_natural(kiosk: Kiosk) -> None:
    rid = claim(kiosk, distributor(kiosk))
    kiosk.clock.advance(hours=73)
    escorted(kiosk, rid)

    result = sign(kiosk)

    assert result.decision.is_natural
    assert result.decision.verdicts[0].reason == a.EXPIRED_BEFORE_VISIT


def test_fraud_signing_outside_the_protection_period_is_natural(kiosk: Kiosk) -> None:
    rid = claim(kiosk, distributor(kiosk))
    escorted(kiosk, rid)
    kiosk.clock.advance(days=31)

    result = sign(kiosk)

    assert result.decision.is_natural
    assert result.decision.verdicts[0].reason == a.PROTECTION_EXPIRED


def test_fraud_a_referral_of_an_existing_customer_is_rejected(kiosk: Kiosk) -> None:
    marking(kiosk)
    phone_visit(kiosk)
    kiosk.clock.advance(days=10)
    owner = reg.create_channel(kiosk.office_id, ChannelKind.REFERRER, "业主张三", kiosk.deps,
                               contract_ref="HT-2024-0099").id
    rid = claim(kiosk, owner)
    escorted(kiosk, rid)

    result = sign(kiosk)

    assert result.decision.is_natural
    assert result.decision.verdicts[0].reason == KNOWN


def test_fraud_a_visit_time_edited_after_the_fact_is_audited_and_ignored(kiosk: Kiosk) -> None:
    marking(kiosk)
    phone_visit(kiosk)
    with kiosk.deps.uow() as uow:
        [walk_in] = uow.visits.for_office(kiosk.office_id)
    kiosk.clock.advance(days=1)
    rid = claim(kiosk, distributor(kiosk))
    escorted(kiosk, rid)
    reg.correct_visit_time(walk_in.id, walk_in.at + 2 * D, "typo at reception", kiosk.deps,
                           actor="reception-2")

    result = sign(kiosk)

    assert result.decision.is_natural
    assert a.ORIGINAL_TIME_USED in result.decision.reason_codes
    with kiosk.deps.uow() as uow:
        assert uow.visits.get(walk_in.id).at == walk_in.at  # type: ignore[union-attr]
        assert len(uow.attribution.corrections_of(walk_in.id)) == 1
    assert "visit_time_corrected" in actions(kiosk)


def test_fraud_two_mobiles_linked_by_the_buyers_own_face_check_in_go_to_review(
    kiosk: Kiosk,
) -> None:
    """The buyer walked in with face check-in; days later an agent registered another mobile
    and escorted them. The buyer presents their face receipt at signing: 1:1, then review."""
    walked_in = kiosk.new_face_visitor(ALICE)
    kiosk.clock.advance(days=2)
    channel = distributor(kiosk)
    rid = claim(kiosk, channel, mobile=M2)
    escorted(kiosk, rid, mobile=M2)

    result = sign(kiosk, mobile=M2, **fake_shots(ALICE).desk_cmd(),
                  face_receipt_id=walked_in.consent.id)

    assert result.decision.is_natural
    assert result.decision.needs_review and a.FACE_ONLY_DENIAL in result.decision.reason_codes
    assert result.signing.status is SigningStatus.PENDING_REVIEW
    assert [s.id for s in signing.review_queue(kiosk.office_id, kiosk.deps)] == [result.signing.id]
    assert "face_verified" in actions(kiosk)


def test_without_the_buyers_face_consent_no_face_link_is_made(kiosk: Kiosk) -> None:
    """The buyer gave the desk no consent: no probe, no template, no search — the live photo
    is refused before it is decoded, and the ID number and mobile decide as before (C1)."""
    kiosk.new_face_visitor(ALICE)
    kiosk.clock.advance(days=2)
    rid = claim(kiosk, distributor(kiosk), mobile=M2)
    escorted(kiosk, rid, mobile=M2)
    engine_calls = len(kiosk.deps.engine.calls)  # type: ignore[union-attr]
    before = actions(kiosk)

    with pytest.raises(DeskConsentMissing):
        sign(kiosk, mobile=M2, **fake_shots(ALICE).desk_cmd(), desk_consent_id=None)
    assert len(kiosk.deps.engine.calls) == engine_calls  # type: ignore[union-attr]
    assert actions(kiosk) == before  # nothing read, nothing searched, nothing written
    result = sign(kiosk, mobile=M2)

    assert result.decision.registration_id == rid and not result.decision.needs_review
    assert len(kiosk.deps.engine.calls) == engine_calls  # type: ignore[union-attr]
    assert actions(kiosk)[len(before):] == ["attribution_decided"]


def test_a_buyer_on_file_without_a_kiosk_face_consent_is_never_searched_1_to_n(
    kiosk: Kiosk,
) -> None:
    """The buyer says yes at the desk, but the person their mobile and ID resolve to never
    consented to face check-in: the live probe is made, the gallery is not searched."""
    kiosk.new_face_visitor(ALICE)
    kiosk.clock.advance(days=2)
    rid = claim(kiosk, distributor(kiosk), mobile=M2)
    escorted(kiosk, rid, mobile=M2)
    before = len(actions(kiosk))
    engine_calls = len(kiosk.deps.engine.calls)  # type: ignore[union-attr]

    result = sign(kiosk, mobile=M2, **fake_shots(ALICE).desk_cmd())

    assert result.decision.registration_id == rid and not result.decision.needs_review
    assert len(kiosk.deps.engine.calls) > engine_calls  # type: ignore[union-attr]
    assert actions(kiosk)[before:] == ["desk_consent_given", "attribution_decided"]


def test_a_1_to_n_review_band_hit_on_a_consented_record_goes_to_review(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch,
) -> None:
    marking(kiosk)  # the claim comes after the buyer's own visit: recorded, marked
    session, notice = kiosk.start()  # the buyer: face and mobile in one visit
    kiosk.check_in_by_phone(session.id, notice.content_hash, M1)
    consent = kiosk.consent_face(session.id, notice.content_hash)
    kiosk.enroll(session.id, consent.id, ALICE)
    other = kiosk.new_face_visitor(BOB)  # a consented record the search returns as borderline
    kiosk.clock.advance(hours=1)
    rid = claim(kiosk, distributor(kiosk))
    monkeypatch.setattr(kiosk.deps.gallery, "candidates", lambda *_, **__: [IdentifyResult(
        "needs_review", other.consent.person_id, 0.45)])

    result = sign(kiosk, **fake_shots(ALICE).desk_cmd())

    assert a.FACE_REVIEW_BAND in result.decision.reason_codes
    assert result.signing.status is SigningStatus.PENDING_REVIEW
    links = {v.link for v in result.decision.evidence.visits}
    assert links == {"mobile", "face_review"}
    assert result.decision.verdicts[0].registration_id == rid
    assert {"face_candidates_searched", "face_candidate"} <= set(actions(kiosk))


def test_every_consented_candidate_in_the_review_band_is_linked_for_review(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, notice = kiosk.start()
    kiosk.check_in_by_phone(session.id, notice.content_hash, M1)
    consent = kiosk.consent_face(session.id, notice.content_hash)
    kiosk.enroll(session.id, consent.id, ALICE)
    bob = kiosk.new_face_visitor(BOB)
    carol = kiosk.new_face_visitor((60, 200, 60))
    kiosk.clock.advance(hours=1)
    monkeypatch.setattr(kiosk.deps.gallery, "candidates", lambda *_, **__: [
        IdentifyResult("needs_review", bob.consent.person_id, 0.45),
        IdentifyResult("needs_review", carol.consent.person_id, 0.47)])

    result = sign(kiosk, **fake_shots(ALICE).desk_cmd())

    cited = {v.id for v in result.decision.evidence.visits if v.link == "face_review"}
    assert cited == {bob.visit.id, carol.visit.id}  # not only the nearest
    assert result.signing.status is SigningStatus.PENDING_REVIEW


# --- ID chip photo (C22) and review ----------------------------------------------------------

def test_the_chip_photo_check_keeps_pass_and_score_only(kiosk: Kiosk) -> None:
    result = sign(kiosk, **fake_shots(ALICE).desk_cmd(), chip_photo=png_bytes(ALICE))
    assert (result.signing.id_photo_passed, result.signing.id_photo_score) == (True, 0.0)
    assert "id_face_verified" in actions(kiosk)


def test_a_chip_photo_of_someone_else_stops_the_signing(kiosk: Kiosk) -> None:
    with pytest.raises(NotVerified):
        sign(kiosk, **fake_shots(ALICE).desk_cmd(), chip_photo=png_bytes(BOB))
    assert signings_count(kiosk) == 0
    assert actions(kiosk)[-1] == "id_face_verified"


def _pending(k: Kiosk) -> signing.SigningResult:
    walked_in = k.new_face_visitor(ALICE)
    k.clock.advance(days=2)
    rid = claim(k, distributor(k), mobile=M2)
    escorted(k, rid, mobile=M2)
    return sign(k, mobile=M2, **fake_shots(ALICE).desk_cmd(),
                face_receipt_id=walked_in.consent.id)


def test_a_manager_overrides_a_pending_decision_with_a_reason_and_the_price_stays(
    kiosk: Kiosk,
) -> None:
    pending = _pending(kiosk)
    rid = pending.decision.verdicts[0].registration_id

    reviewed = signing.review(signing.ReviewCmd(pending.signing.id, "manager-1",
                                                "face link is a sibling, not the buyer",
                                                confirm=False, registration_id=rid), kiosk.deps)

    assert reviewed.status is SigningStatus.FINAL and reviewed.registration_id == rid
    assert reviewed.contract_price_fen == PRICE
    assert signing.review_queue(kiosk.office_id, kiosk.deps) == []
    assert "attribution_reviewed" in actions(kiosk)
    with pytest.raises(ReviewNotPending):
        signing.review(signing.ReviewCmd(pending.signing.id, "manager-2", "again"), kiosk.deps)


def test_a_review_without_a_reason_is_refused_and_stays_pending(kiosk: Kiosk) -> None:
    pending = _pending(kiosk)
    with pytest.raises(InvalidRegistration):
        signing.review(signing.ReviewCmd(pending.signing.id, "manager-1", "  "), kiosk.deps)
    assert signing.get_signing(pending.signing.id, kiosk.deps).status is (
        SigningStatus.PENDING_REVIEW)


def test_a_returning_buyer_is_resolved_by_id_number_across_mobiles(kiosk: Kiosk) -> None:
    """The same ID number links a second purchase under a new mobile to the first buyer's
    visits, so a channel cannot claim them as new."""
    phone_visit(kiosk)
    sign(kiosk)  # first flat, natural
    kiosk.clock.advance(days=5)
    rid = claim(kiosk, distributor(kiosk), mobile=M2)
    escorted(kiosk, rid, mobile=M2)

    result = sign(kiosk, mobile=M2)

    assert result.decision.is_natural
    assert result.decision.verdicts[0].reason == a.CUSTOMER_KNOWN
    assert {v.link for v in result.decision.evidence.visits} == {"mobile", "id_number"}


def test_after_withdrawal_the_face_link_is_refused_and_attribution_falls_back(
    kiosk: Kiosk,
) -> None:
    """C6: a withdrawn face consent links nothing; the mobile evidence alone decides."""
    walked_in = kiosk.new_face_visitor(ALICE)
    consent_service.withdraw(walked_in.consent.id, kiosk.deps)
    kiosk.clock.advance(days=2)
    rid = claim(kiosk, distributor(kiosk), mobile=M2)
    escorted(kiosk, rid, mobile=M2)

    with pytest.raises(ConsentWithdrawn):
        sign(kiosk, mobile=M2, **fake_shots(ALICE).desk_cmd(),
             face_receipt_id=walked_in.consent.id)
    assert signings_count(kiosk) == 0
    assert sign(kiosk, mobile=M2).decision.registration_id == rid


def test_a_claim_is_judged_on_its_own_offices_visits_only(store_kiosk: Kiosk) -> None:
    """PIPL 23: another legal entity's office is another controller. A visit there neither
    validates nor defeats a claim here, and the channel learns nothing of it."""
    k = store_kiosk
    set_up_office(k.deps, "elsewhere", "别家售楼处", "别家地产有限公司")
    channel = distributor(k)
    registration = claim(k, channel)
    session, notice = kiosk_service.start_session("elsewhere", k.deps)
    k.check_in_by_phone(session.id, notice.content_hash, M1, name="王芳")  # the other company

    [status] = reg.claim_statuses(channel, k.deps)
    assert status.registration.id == registration
    assert status.status == "awaiting_visit" and status.visited_at is None

    k.clock.advance(hours=1)
    phone_visit(k)  # now at this office: the claim is validated by this visit
    [status] = reg.claim_statuses(channel, k.deps)
    assert status.status == a.VALID and status.visited_at == k.clock.now()
