"""The in-memory gallery at start-up (`load_gallery`) and 1:N identification (`identify`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sqlalchemy import update

from keyuan.adapters.store.tables import checkin as tables
from keyuan.domain.checkin.consent import ATTRIBUTION
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.compliance.audit import AuditEvent
from keyuan.services.checkin import face
from keyuan.services.checkin.setup import load_gallery
from keyuan.services.faces.engine import TEMPLATE_DIM, Template
from keyuan.services.faces.gallery import Gallery

if TYPE_CHECKING:
    from .conftest import Kiosk

ALICE = (200, 150, 120)
BOB = (90, 160, 200)


def unit(seed: int) -> Template:
    vector = np.random.default_rng(seed).normal(size=TEMPLATE_DIM)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def at_distance(template: Template, d: float, seed: int = 99) -> Template:
    """A probe exactly `d` away from `template` (a step along an orthogonal direction)."""
    direction = np.random.default_rng(seed).normal(size=TEMPLATE_DIM)
    direction -= direction.dot(template) / template.dot(template) * template
    direction /= np.linalg.norm(direction)
    return (template.astype(np.float64) + d * direction).astype(np.float32)


def restart(k: Kiosk) -> None:
    """What a process restart does to the in-memory state: an empty gallery."""
    object.__setattr__(k.app.deps, "gallery", Gallery())


def last_audit(k: Kiosk, action: str) -> list[AuditEvent]:
    with k.deps.uow() as uow:
        return [e for e in uow.audit.all() if e.action == action]


# --- load_gallery ------------------------------------------------------------------------------

def test_load_gallery_fills_an_empty_gallery_from_the_vault(kiosk: Kiosk) -> None:
    alice = kiosk.new_face_visitor(ALICE).consent.person_id
    bob = kiosk.new_face_visitor(BOB).consent.person_id
    restart(kiosk)

    size = load_gallery(kiosk.deps)

    assert size == 2
    assert set(kiosk.deps.gallery) == {alice, bob}
    with kiosk.deps.uow() as uow:
        stored = uow.vault.get(alice, purpose=FaceUse.RETURN_VISIT)
    np.testing.assert_array_equal(kiosk.deps.gallery.get(alice), stored)


def test_load_gallery_twice_changes_nothing(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ALICE)

    assert load_gallery(kiosk.deps) == 1
    assert load_gallery(kiosk.deps) == 1


def test_load_gallery_drops_a_template_whose_consent_was_withdrawn_and_audits_it(
    kiosk: Kiosk,
) -> None:
    enrolled = kiosk.new_face_visitor(ALICE)
    person = enrolled.consent.person_id
    keep = kiosk.new_face_visitor(BOB).consent.person_id
    # A withdrawal whose vault half never landed (the two files of a SQLite WAL pair commit
    # separately): the consent says withdrawn, the template is still there.
    with kiosk.app.db.begin() as conn:
        conn.execute(update(tables.consents).where(tables.consents.c.id == enrolled.consent.id)
                     .values(withdrawn_at=kiosk.clock.now()))
    restart(kiosk)

    size = load_gallery(kiosk.deps)

    assert size == 1
    assert person not in kiosk.deps.gallery and keep in kiosk.deps.gallery
    with kiosk.deps.uow() as uow:
        assert not uow.vault.has(person)
        assert uow.vault.has(keep)
    [event] = last_audit(kiosk, "template_deleted")
    assert (event.subject, event.detail) == (person, {"reason": "no_active_consent"})


def test_load_gallery_drops_a_template_inserted_without_any_consent(kiosk: Kiosk) -> None:
    stray = secrets.token_hex(16)
    with kiosk.deps.uow() as uow:
        uow.vault.put(stray, unit(1), purpose=ATTRIBUTION, consent_id=secrets.token_hex(16),
                      model="dlib", now=kiosk.clock.now())
        uow.commit()
    kiosk.deps.gallery.add(stray, unit(1))  # even if it somehow reached the gallery

    assert load_gallery(kiosk.deps) == 0

    assert stray not in kiosk.deps.gallery
    with kiosk.deps.uow() as uow:
        assert uow.vault.count() == 0
    assert [e.subject for e in last_audit(kiosk, "template_deleted")] == [stray]


def test_load_gallery_drops_a_template_whose_own_consent_was_withdrawn_despite_another(
    kiosk: Kiosk,
) -> None:
    # Two face consents for one person (the consent step tapped twice), the template made under
    # the first; the first is withdrawn but its vault delete never landed. The second consent
    # does not justify a template sealed under the first.
    session, notice = kiosk.start()
    first = kiosk.consent_face(session.id, notice.content_hash)
    second = kiosk.consent_face(session.id, notice.content_hash)
    assert first.person_id == second.person_id
    kiosk.enroll(session.id, first.id, ALICE)
    with kiosk.app.db.begin() as conn:
        conn.execute(update(tables.consents).where(tables.consents.c.id == first.id)
                     .values(withdrawn_at=kiosk.clock.now()))
    restart(kiosk)

    assert load_gallery(kiosk.deps) == 0

    with kiosk.deps.uow() as uow:
        assert not uow.vault.has(first.person_id)


# --- identify (1:N) ----------------------------------------------------------------------------

@pytest.fixture
def gallery_of_three(kiosk: Kiosk) -> dict[str, Template]:
    people = {f"p{i}": unit(i) for i in range(3)}
    for key, template in people.items():
        kiosk.deps.gallery.add(key, template)
    return people


def between(kiosk: Kiosk, where: str) -> float:
    """A distance placed against the active engine's configured 1:N thresholds."""
    match, review = kiosk.deps.face.identify_threshold, kiosk.deps.face.identify_review_threshold
    return {"zero": 0.0, "inside": match * 0.75, "at_match": match - 0.001,
            "just_past": match + 0.01, "band": (match + review) / 2,
            "past_review": review + 0.01, "far": min(review + 0.4, 1.95)}[where]


@pytest.mark.parametrize(
    ("where", "outcome"),
    [("zero", "match"), ("inside", "match"), ("at_match", "match"),
     ("just_past", "needs_review"), ("band", "needs_review"), ("past_review", "unknown"),
     ("far", "unknown")],
)
def test_identify_reports_match_review_or_unknown_by_the_configured_thresholds(
    kiosk: Kiosk, gallery_of_three: dict[str, Template], where: str, outcome: str,
) -> None:
    face_settings = kiosk.deps.face
    assert (face_settings.identify_threshold, face_settings.identify_review_threshold) == (
        face_settings.sface.identify, face_settings.sface.identify_review)  # the default engine
    distance = between(kiosk, where)
    probe = at_distance(gallery_of_three["p1"], distance)

    result = face.identify(probe, kiosk.deps, actor="staff:1", reason="attribution dispute")

    assert result.outcome == outcome
    assert result.key == (None if outcome == "unknown" else "p1")
    assert result.distance == pytest.approx(distance, abs=1e-4)
    [event] = last_audit(kiosk, "face_identified")
    assert event.actor == "staff:1"
    assert event.subject == result.key
    assert event.detail == {"outcome": outcome, "reason": "attribution dispute", "gallery": 3,
                            "thresholds": [face_settings.identify_threshold,
                                           face_settings.identify_review_threshold]}


def test_identify_follows_thresholds_from_settings(make_kiosk: Callable[..., Kiosk]) -> None:
    k = make_kiosk(face={"engine": "dlib",
                         "dlib": {"verify": 0.55, "verify_review": 0.55, "identify": 0.2,
                                  "identify_review": 0.3}})
    k.deps.gallery.add("p", unit(5))

    result = face.identify(at_distance(unit(5), 0.25), k.deps, actor="staff", reason="r")

    assert (result.outcome, result.key) == ("needs_review", "p")


def test_identify_over_an_empty_gallery_is_unknown_and_still_audited(kiosk: Kiosk) -> None:
    result = face.identify(unit(1), kiosk.deps, actor="staff", reason="r")

    assert (result.outcome, result.key, result.distance) == ("unknown", None, None)
    assert len(last_audit(kiosk, "face_identified")) == 1


def test_every_identify_call_is_audited(
    kiosk: Kiosk, gallery_of_three: dict[str, Template],
) -> None:
    for where in ("inside", "band", "far"):
        face.identify(at_distance(gallery_of_three["p0"], between(kiosk, where)), kiosk.deps,
                      actor="staff", reason="r")

    outcomes = [e.detail["outcome"] for e in last_audit(kiosk, "face_identified")]
    assert outcomes == ["match", "needs_review", "unknown"]


def test_a_withdrawn_person_is_no_longer_identified(kiosk: Kiosk) -> None:
    from keyuan.services.checkin import consent as consent_service

    enrolled = kiosk.new_face_visitor(ALICE)
    person = enrolled.consent.person_id
    template = kiosk.deps.gallery.get(person)
    assert face.identify(template, kiosk.deps, actor="s", reason="r").key == person

    consent_service.withdraw(enrolled.consent.id, kiosk.deps)

    result = face.identify(template, kiosk.deps, actor="s", reason="r")
    assert result.key is None and result.outcome == "unknown"
