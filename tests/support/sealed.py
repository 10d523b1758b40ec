"""A test fixture for the camera lane's tests: a person enrolled from frames of ONE photo.

The kiosk refuses one photo, repeated or moved about, as not live (issue 18), rightly; but the
lane's tests need a person whose only picture the public set holds (or scikit-image's astronaut)
enrolled, to see the lane match them. This derives the template in memory with the product's
own enrollment rules and seals it into the vault under the visitor's face consent, audited as
an enrollment — never a product path, and nothing image-like is written."""

from __future__ import annotations

from collections.abc import Sequence

from keyuan.domain.checkin.consent import Consent
from keyuan.services.faces.enrollment import enroll_from_frames
from keyuan.services.ports import Deps


def seal_template(deps: Deps, consent: Consent, frames: Sequence[bytes]) -> None:
    """The template of `frames` in the vault and the gallery under `consent` (the person's face
    consent, given at the kiosk)."""
    engine = deps.engine
    assert engine is not None, "the face module is off"
    enrolled = enroll_from_frames(list(frames), engine=engine, settings=deps.face)
    with deps.uow() as uow:
        now = deps.clock.now()
        uow.vault.put(consent.person_id, enrolled.template, purpose=consent.purpose,
                      consent_id=consent.id, model=engine.model.tag, now=now)
        uow.audit.append(at=now, actor="test", action="template_enrolled",
                         subject=consent.person_id, detail={"consent": consent.id,
                                                            "frames": enrolled.frames_used,
                                                            "fixture": "one photo"})
        person_id, template = consent.person_id, enrolled.template
        uow.on_commit(lambda: deps.gallery.put(person_id, template))
        uow.commit()
