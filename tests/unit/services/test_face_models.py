"""Templates of two face models never mix: an earlier model's template is compared 1:1 by that
model's engine until the person's next verified visit re-derives it under the same consent; a
model this server cannot run is refused, never compared; 1:N searches the active model only."""

from __future__ import annotations

import dataclasses

import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.errors import NotVerified, PossiblyKnown, TemplateModelMismatch
from keyuan.services.checkin import face
from keyuan.services.checkin.setup import load_gallery
from keyuan.services.compliance import in_person
from keyuan.services.faces.engine import EngineModel
from keyuan.services.faces.gallery import Gallery
from support.pia import record_office_pia
from support.sequences import fake_shots
from unit.services.harness import ALICE, BOB, Harness, make_harness

SFACE = FaceSettings.model_validate({"engine": "sface"})
OLD = EngineModel("dlib", "old-weights")
NEW = EngineModel("sface", "new-weights")


def _upgraded(*, keep_old_engine: bool = True) -> tuple[Harness, str]:
    """Alice enrolled under the old model; then the office switched to the new one."""
    harness = make_harness(face=SFACE)
    harness.deps = dataclasses.replace(harness.deps, engine=FakeEngine(SFACE, model=OLD))
    record_office_pia(harness.deps)
    person_id = harness.new_face_visitor(ALICE).consent.person_id
    legacy = (FakeEngine(SFACE, model=OLD),) if keep_old_engine else ()
    harness.deps = dataclasses.replace(harness.deps, engine=FakeEngine(SFACE, model=NEW),
                                       legacy_engines=legacy, gallery=Gallery())
    harness.clock.advance(hours=1)
    record_office_pia(harness.deps)
    return harness, person_id


def _return(harness: Harness, person_id: str, rgb: tuple[int, int, int]) -> face.CheckInResult:
    session, _ = harness.start()
    receipt = next(c.id for c in harness.committed.consents.values() if c.person_id == person_id)
    return face.return_with_face(
        face.ReturnCmd(session.id, receipt_id=receipt, **fake_shots(rgb).cmd()), harness.deps)


def test_an_old_template_is_checked_by_its_own_engine_then_rederived(
) -> None:
    harness, person_id = _upgraded()
    consent_id = harness.committed.templates[person_id].consent_id
    result = _return(harness, person_id, ALICE)
    assert result.evidence["model"] == OLD.tag  # compared on the old model's scale
    stored = harness.committed.templates[person_id]
    assert stored.model == NEW.tag and stored.consent_id == consent_id
    assert "template_rederived" in harness.actions()
    assert person_id in harness.deps.gallery  # 1:N now finds them under the new model
    again = _return(harness, person_id, ALICE)
    assert again.evidence["model"] == NEW.tag


def test_no_match_leaves_the_old_template_as_it_was() -> None:
    harness, person_id = _upgraded()
    with pytest.raises(NotVerified):
        _return(harness, person_id, BOB)
    assert harness.committed.templates[person_id].model == OLD.tag
    assert "template_rederived" not in harness.actions()


def test_a_model_this_server_cannot_run_is_refused_not_compared() -> None:
    harness, person_id = _upgraded(keep_old_engine=False)
    visits = len(harness.committed.visits)
    with pytest.raises(TemplateModelMismatch) as refused:
        _return(harness, person_id, ALICE)
    assert refused.value.details == {"model": OLD.tag, "active": NEW.tag}
    assert len(harness.committed.visits) == visits
    assert "face_verified" not in harness.actions()[-3:]


def test_the_gallery_holds_only_templates_of_the_active_model() -> None:
    harness, alice = _upgraded()
    bob = harness.new_face_visitor(BOB).consent.person_id
    harness.deps.gallery.remove(bob)
    assert load_gallery(harness.deps) == 1
    assert bob in harness.deps.gallery and alice not in harness.deps.gallery


def test_the_rights_desk_compares_an_old_template_with_its_own_engine() -> None:
    harness, person_id = _upgraded()
    receipt = next(c.id for c in harness.committed.consents.values() if c.person_id == person_id)
    opened = in_person.start_in_person(
        in_person.InPersonCmd(receipt, staff="reception", **fake_shots(ALICE).cmd()),
        harness.deps)
    assert opened.access is not None
    [check] = [e for e in harness.committed.audit if e.action == "rights_face_verified"]
    assert check.detail["model"] == OLD.tag
    assert harness.committed.templates[person_id].model == OLD.tag  # not a visit: kept as is


def test_a_person_enrolled_under_the_old_model_is_not_enrolled_again() -> None:
    harness, alice = _upgraded()
    load_gallery(harness.deps)
    assert alice in harness.deps.legacy_galleries[OLD.tag]
    with pytest.raises(PossiblyKnown):
        harness.new_face_visitor(ALICE)
    assert len([t for t in harness.committed.templates.values() if t.model == NEW.tag]) == 0
    bob = harness.new_face_visitor(BOB).consent.person_id  # someone else is still welcome
    assert harness.committed.templates[bob].model == NEW.tag


def test_rederiving_moves_the_person_out_of_the_old_models_gallery() -> None:
    harness, alice = _upgraded()
    load_gallery(harness.deps)
    _return(harness, alice, ALICE)
    assert alice not in harness.deps.legacy_galleries[OLD.tag]
    assert alice in harness.deps.gallery
