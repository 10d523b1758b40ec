"""The audit chain after a whole day at the kiosk (C17): intact, and an edit on disk shows."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update

from keyuan.adapters.store.tables import checkin as tables
from keyuan.domain.checkin.consent import ATTRIBUTION
from keyuan.domain.compliance.audit import chain_problems
from keyuan.domain.errors import CodeInvalid, NotVerified
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin import face, phone
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.checkin.setup import default_notice, load_gallery, publish_notice
from support.offices import entity
from support.sequences import fake_shots

if TYPE_CHECKING:
    from .conftest import Kiosk

ALICE, BOB, CAROL = (200, 150, 120), (90, 160, 200), (150, 200, 90)


def frames(rgb: tuple[int, int, int]) -> dict[str, Any]:
    return fake_shots(rgb).cmd()


def a_day_at_the_kiosk(k: Kiosk) -> None:
    """Every audited use case at least once, successes and refusals."""
    alice = k.new_face_visitor(ALICE)
    bob = k.new_face_visitor(BOB)
    k.clock.advance(hours=1)

    decliner, notice = k.start()
    kiosk_service.decline_face(decliner.id, k.deps)
    phone.request_code(decliner.id, "13500001234", k.deps)
    with pytest.raises(CodeInvalid):
        phone.phone_check_in(phone.PhoneCheckInCmd(
            session_id=decliner.id, mobile="13500001234",
            code=f"{(int(k.last_code()) + 1) % 1_000_000:06d}", notice_hash=notice.content_hash,
            agree=True,
        ), k.deps)
    phone.phone_check_in(phone.PhoneCheckInCmd(
        session_id=decliner.id, mobile="13500001234", code=k.last_code(),
        notice_hash=notice.content_hash, agree=True,
    ), k.deps)

    k.clock.advance(days=1)
    back, _ = k.start()
    face.return_with_face(face.ReturnCmd(back.id, **frames(ALICE), receipt_id=alice.consent.id),
                          k.deps)
    impostor, _ = k.start()
    with pytest.raises(NotVerified):
        face.return_with_face(face.ReturnCmd(impostor.id, **frames(CAROL),
                                             receipt_id=alice.consent.id), k.deps)

    face.identify(k.deps.gallery.get(bob.consent.person_id), k.deps, actor="staff:7",
                  reason="attribution dispute")
    consent_service.withdraw(bob.consent.id, k.deps)
    publish_notice(default_notice(_office(k), entity(pi_name="新负责人"), "zh-CN"), k.deps)

    with k.deps.uow() as uow:  # a stray template for load_gallery to drop
        uow.vault.put(secrets.token_hex(16), k.deps.gallery.get(alice.consent.person_id),
                      purpose=ATTRIBUTION, consent_id=secrets.token_hex(16), model="dlib",
                      now=k.clock.now())
        uow.commit()
    load_gallery(k.deps)


def _office(k: Kiosk):
    with k.deps.uow() as uow:
        return uow.offices.get(k.office_id)


def test_c17_the_audit_chain_stays_intact_after_a_day_of_every_use_case(
    store_kiosk: Kiosk,
) -> None:
    # Both stores: timestamps and JSON details must come back exactly as they were hashed.
    a_day_at_the_kiosk(store_kiosk)

    with store_kiosk.deps.uow() as uow:
        events = uow.audit.all()

    assert chain_problems(events) == []
    actions = {e.action for e in events}
    assert actions >= {
        "notice_published", "consent_given", "template_enrolled", "face_verified",
        "face_identified", "consent_withdrawn", "template_deleted",
    }
    verified = [e.detail["matched"] for e in events if e.action == "face_verified"]
    assert verified == [True, False]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_c17_an_audit_row_edited_in_the_database_is_detected(kiosk: Kiosk) -> None:
    a_day_at_the_kiosk(kiosk)
    with kiosk.deps.uow() as uow:
        target = next(e for e in uow.audit.all() if e.action == "face_verified")
    with kiosk.app.db.begin() as conn:
        conn.execute(update(tables.audit_events).where(tables.audit_events.c.seq == target.seq)
                     .values(detail={**target.detail, "matched": not target.detail["matched"]}))

    with kiosk.deps.uow() as uow:
        problems = chain_problems(uow.audit.all())

    assert problems == [f"entry {target.seq}: content changed after it was written"]


def test_c17_an_audit_row_deleted_from_the_database_is_detected(kiosk: Kiosk) -> None:
    a_day_at_the_kiosk(kiosk)
    with kiosk.app.db.begin() as conn:
        conn.execute(tables.audit_events.delete().where(tables.audit_events.c.seq == 3))

    with kiosk.deps.uow() as uow:
        problems = chain_problems(uow.audit.all())

    assert "entry 4: does not follow the entry before it" in problems
