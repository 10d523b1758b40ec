"""当面核验 (C19 for visitors who checked in by face only): no mobile on file means no code can be
sent, so at reception a member of staff verifies the visitor's live face 1:1 against the face
template of the receipt the visitor shows — that receipt's own template, never a search of the
gallery — and opens the same rights session the mobile path gives.

Frames stay in memory; every comparison is audited with the staff member and the distance. When
the template is already gone (withdrawn or deleted), the request goes to the staff queue with
"verify identity in person" as the task."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from keyuan.domain.checkin.challenge import ChallengePlace
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.checkin.person import Person
from keyuan.domain.compliance.rights import RequestKind, RequestStatus, RightsRequest
from keyuan.domain.errors import (
    FaceAttemptsThrottled,
    RightsFaceNotVerified,
    SecondFactorNeeded,
)
from keyuan.services import throttle
from keyuan.services.checkin.challenges import challenge_for
from keyuan.services.checkin.face_gate import engine_for
from keyuan.services.checkin.face_uses import consent_covers, is_on, require_use
from keyuan.services.checkin.liveness_gate import require_live_decision
from keyuan.services.compliance.rights import (
    ACCESS_TTL,
    RightsAccess,
    hash_token,
    receipt_holder,
)
from keyuan.services.faces.matching import verify_claim
from keyuan.services.faces.probe import probe_from_images
from keyuan.services.faces.slots import require_frame_count, require_frame_times
from keyuan.services.ports import Deps, UnitOfWork

VERIFY_IN_PERSON = "verify identity in person"
NO_TEMPLATE = "no face template on file (withdrawn or deleted)"
PURPOSE = "identity check for a rights request at reception (C19)"


@dataclass(frozen=True)
class InPersonCmd:
    receipt_id: str
    frames: list[bytes]
    staff: str  # the username of the member of staff at reception
    id_document_checked: bool = False
    """The staff member looked at an ID document of the visitor: the second factor an uncertain
    face score needs before any data is shown (recorded in the audit log)."""
    client: str | None = None  # the client address the throttles count
    frame_times_ms: Sequence[int] | None = None  # each frame's capture time on the client
    challenge_id: str | None = None
    """The liveness challenge this member of staff asked for (their account's `actor`), used up
    with the attempt's slot before any frame is looked at."""
    actor: str = ""
    frame_steps: Sequence[int | None] | None = None  # the challenge step of each frame


@dataclass(frozen=True)
class InPersonOutcome:
    """Exactly one is set: a rights session, or the queued request a person must answer."""

    access: RightsAccess | None = None
    queued: RightsRequest | None = None


def start_in_person(cmd: InPersonCmd, deps: Deps) -> InPersonOutcome:
    """Live face 1:1 against the receipt's own template → a 30-minute rights token on a match;
    an uncertain score opens it only with a second factor (the staff's recorded look at an ID
    document), else `SecondFactorNeeded`; no match → `RightsFaceNotVerified`; no template →
    staff queue. A stranger's face never opens another person's data on a score alone. Face
    attempts count against the receipt and the address as the kiosk's do. The frames must show a
    live person before they are compared — the challenge's movements when one runs, drawn by
    this member of staff at the receipt's office, else the passive checks (`NotLive`, audited,
    counted as an attempt) — and are decoded once, for both checks."""
    require_frame_count(cmd.frames, deps.limits.max_frames)
    require_frame_times(cmd.frames, cmd.frame_times_ms)
    with deps.uow() as uow:
        receipt_id, person = receipt_holder(uow, cmd.receipt_id, deps)  # staff: no miss limit
        cmd = replace(cmd, receipt_id=receipt_id)  # recorded and counted by its consent id
        office_id = _office_of(uow, cmd.receipt_id)
        why = _no_face_check(uow, deps, office_id, person)
        reference = (uow.vault.get(person.id, purpose=FaceUse.RIGHTS_IN_PERSON)
                     if why is None else None)  # C7: the vault reads for this purpose only
        model = uow.vault.model_of(person.id)
        if reference is None or model is None:
            queued = _queue(uow, deps, person, cmd, why or NO_TEMPLATE)
            uow.commit()
            return InPersonOutcome(queued=queued)
        # the challenge this member of staff drew at the receipt's own office
        challenge = challenge_for(uow, deps, cmd.challenge_id, place=ChallengePlace.RIGHTS_DESK,
                                  subject=cmd.actor, office_id=office_id)
        # per receipt always; the address's slot was taken when the challenge was issued
        throttle.take(uow, deps.clock.now(), throttle.face_claim_buckets(
            deps, claim=f"receipt:{cmd.receipt_id}",
            client=cmd.client if challenge is None else None), FaceAttemptsThrottled)
        uow.commit()
    # C10/C23: face module on and a current impact assessment; compared by the model that made it
    engine = engine_for(deps, model)
    with deps.face_slots.hold():  # 活体检测 on the frames the identity check then reads
        live = require_live_decision(deps, cmd.frames, cmd.frame_times_ms, cmd.frame_steps,
                                     challenge=challenge, use="rights_in_person",
                                     actor=_actor(cmd), subject=person.id)  # counted above
        probe = probe_from_images(live.probe_images(), engine=engine,  # decoded once
                                  settings=deps.face)
    result = verify_claim(probe.template, reference, deps.face, engine.model.kind)
    second_factor = result.uncertain and cmd.id_document_checked
    with deps.uow() as uow:
        now = deps.clock.now()
        uow.audit.append(at=now, actor=_actor(cmd), action="rights_face_verified",
                         subject=person.id, detail={
                             "receipt": cmd.receipt_id, "matched": result.matched,
                             "outcome": result.outcome, "distance": round(result.distance, 4),
                             "threshold": deps.face.thresholds_for(engine.model.kind).verify,
                             "model": engine.model.tag,
                             "second_factor": "id_document" if second_factor else None,
                             "probe_frames": probe.frames_used, "reason": PURPOSE})
        if not (result.matched or second_factor):
            uow.commit()  # the comparison stays audited; no data is shown
            raise SecondFactorNeeded() if result.uncertain else RightsFaceNotVerified()
        access = _open_session(uow, deps, person)
        uow.commit()
        return InPersonOutcome(access=access)


def _office_of(uow: UnitOfWork, receipt_id: str) -> str:
    """The office whose receipt it is: its face use settings decide, and a rights-desk
    challenge serves an in-person check there only."""
    receipt = uow.consents.get(receipt_id)
    return receipt.office_id if receipt is not None else ""


def _no_face_check(uow: UnitOfWork, deps: Deps, office_id: str, person: Person) -> str | None:
    """Why the face may not be compared here, if so (the request then goes to staff): the use
    is switched off, or the person's face consent was given under a notice that did not name
    it (C1). Switched on but not named by the notice in force → `UseNotInNotice` (C3)."""
    if not is_on(uow, deps, office_id, FaceUse.RIGHTS_IN_PERSON):
        return "the in-person face check is switched off"
    require_use(uow, deps, office_id, FaceUse.RIGHTS_IN_PERSON)
    consent = uow.consents.active_for(person.id, ConsentScope.FACE)
    if consent is not None and not consent_covers(uow, consent, FaceUse.RIGHTS_IN_PERSON):
        return "the face consent was given under a notice that did not name this check"
    return None


def _open_session(uow: UnitOfWork, deps: Deps, person: Person) -> RightsAccess:
    """The same kind of token row the mobile path writes, marked used at once: no code exists
    (its hash is of a random secret nobody holds)."""
    now = deps.clock.now()
    marker = OneTimeCode(id=secrets.token_hex(12), session_id=person.id,
                         mobile_hash=person.mobile_hash or "", code_hash="", created_at=now,
                         expires_at=now, used_at=now)
    marker.code_hash = deps.hasher.code(marker.id, secrets.token_hex(16))
    token, expires = secrets.token_urlsafe(24), now + ACCESS_TTL
    uow.compliance.add_rights_code(marker)
    uow.compliance.save_rights_code(marker, token_hash=hash_token(deps, token),
                                    token_expires_at=expires)
    return RightsAccess(token, expires)


def _queue(uow: UnitOfWork, deps: Deps, person: Person, cmd: InPersonCmd,
           why: str) -> RightsRequest:
    """One open in-person task per person: asking twice does not queue it twice."""
    for open_request in uow.compliance.rights_requests(status=RequestStatus.NEEDS_STAFF,
                                                       person_id=person.id):
        if open_request.detail.get("task") == VERIFY_IN_PERSON:
            return open_request
    now = deps.clock.now()
    request = RightsRequest(person.id, RequestKind.ACCESS, now, RequestStatus.NEEDS_STAFF, {
        "task": VERIFY_IN_PERSON, "receipt": cmd.receipt_id, "opened_by": cmd.staff[:64],
        "why": why})
    uow.compliance.add_request(request)
    uow.audit.append(at=now, actor=_actor(cmd), action="rights_request_queued",
                     subject=person.id, detail={"request": request.id, "task": VERIFY_IN_PERSON})
    return request


def _actor(cmd: InPersonCmd) -> str:
    return f"staff:{cmd.staff}"[:64]
