"""Offices and legal entities on the in-memory store: what each change does to the notices,
the office rows and the filing record, and what the demo set-up repairs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyuan.demo.office import DEFAULT_OFFICE_ID, ensure_demo_office
from keyuan.domain.checkin.controller import LegalEntity
from keyuan.domain.checkin.person import Office
from keyuan.domain.errors import LegalEntityExists, OfficeExists, UnknownLegalEntity
from keyuan.services.checkin import offices as svc
from support.offices import credit_code_for
from unit.services.harness import Harness, make_harness


def active(harness: Harness, office_id: str, language: str = "zh-CN") -> list[int]:
    return sorted(n.version for n in harness.committed.notices.values()
                  if n.office_id == office_id and n.language == language)


def test_an_edit_republishes_only_the_controller_lines(harness: Harness) -> None:
    before = {n.language: n for n in harness.committed.notices.values()}
    [entity] = svc.legal_entities(harness.deps)
    assert entity.entity.id is not None
    svc.edit_legal_entity(entity.entity.id, svc.EntityFields(pi_name="王芳"), harness.deps,
                          actor="admin:a")
    after = {n.language: n for n in harness.committed.notices.values() if n.version == 2}
    assert set(after) == {"zh-CN", "en"}
    for language, notice in after.items():
        changed = {k for k, v in notice.content().items()
                   if v != before[language].content()[k]}
        assert changed == {"responsible_person"}, language
        assert "王芳" in notice.responsible_person
    assert harness.actions()[-3:] == ["legal_entity_edited", "notice_published",
                                      "notice_published"]


def test_an_edit_that_changes_nothing_publishes_nothing(harness: Harness) -> None:
    [entity] = svc.legal_entities(harness.deps)
    assert entity.entity.id is not None
    svc.edit_legal_entity(entity.entity.id, svc.EntityFields(pi_name=entity.entity.pi_name),
                          harness.deps, actor="admin:a")
    assert active(harness, harness.office_id) == [1]
    assert "legal_entity_edited" not in harness.actions()


def test_a_rename_follows_into_offices_receipts_and_the_filing_record(harness: Harness) -> None:
    [entity] = svc.legal_entities(harness.deps)
    old, at = entity.entity.name, datetime(2026, 1, 1, tzinfo=UTC)
    with harness.fake:
        harness.fake.compliance.mark_filing_reached(old, at, 100_000)
        harness.fake.commit()
    assert entity.entity.id is not None
    svc.edit_legal_entity(entity.entity.id, svc.EntityFields(name="新名称置业有限公司"),
                          harness.deps, actor="admin:a")
    assert harness.committed.offices[harness.office_id].legal_entity == "新名称置业有限公司"
    assert harness.committed.filing == {"新名称置业有限公司": (at, 100_000)}
    session, notice = harness.start()
    assert "新名称置业有限公司" in notice.controller
    receipt = harness.consent_face(session.id, notice.content_hash).receipt
    assert receipt["piiControllers"][0]["piiController"] == "新名称置业有限公司"


def test_names_ids_and_codes_are_taken_once(harness: Harness) -> None:
    [entity] = svc.legal_entities(harness.deps)
    with pytest.raises(LegalEntityExists):
        svc.add_legal_entity(svc.EntityFields(name=entity.entity.name), harness.deps, actor="a")
    with pytest.raises(LegalEntityExists, match="already on file"):
        svc.add_legal_entity(svc.EntityFields(name="别家", credit_code=entity.entity.credit_code),
                             harness.deps, actor="a")
    with pytest.raises(OfficeExists):
        svc.add_office(harness.office_id, "x", entity.entity.name, harness.deps, actor="a")
    with pytest.raises(UnknownLegalEntity):
        svc.add_office("new", "x", "没有这家", harness.deps, actor="a")


def test_an_office_of_an_incomplete_entity_gets_notices_when_it_is_completed() -> None:
    harness = make_harness(with_office=False)
    view = svc.add_legal_entity(svc.EntityFields(name="甲置业"), harness.deps, actor="a")
    svc.add_office("o1", "一号", "甲置业", harness.deps, actor="a")
    assert harness.committed.notices == {}
    assert view.entity.id is not None
    done = svc.edit_legal_entity(view.entity.id, svc.EntityFields(
        credit_code=credit_code_for("甲置业"), contact="0591-12345678", pi_name="李敏",
        pi_contact="13800138000"), harness.deps, actor="a")
    assert done.complete and active(harness, "o1") == [1] and active(harness, "o1", "en") == [1]


def test_demo_set_up_completes_a_demo_entity_a_migration_left_empty() -> None:
    harness = make_harness(with_office=False)
    with harness.fake:
        bare = LegalEntity(id=None, name="示范置业有限公司")
        assert harness.fake.legal_entities.add_new(bare)
        harness.fake.offices.add(Office(id=DEFAULT_OFFICE_ID, name="示范售楼处",
                                        legal_entity=bare.name, legal_entity_id=bare.id))
        harness.fake.commit()
    assert ensure_demo_office(harness.deps) is False  # the office was there
    [office] = svc.offices(harness.deps)
    assert office.complete and active(harness, DEFAULT_OFFICE_ID) == [1]
