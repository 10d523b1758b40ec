"""活体挑战 use cases: issue a liveness challenge for a kiosk return visit or a desk, and use it
up in the decision it serves (`domain/checkin/challenge.py`).

Issuing one is counted like a face attempt (the kiosk: per claim and per address, as the return
itself; a desk: per member of staff and per address), so challenges cannot be drawn until a
sequence some recording happens to follow comes up. The decision it serves consumes that slot
instead of taking another (a challenge and its decision count once): the kiosk's return takes
none — its challenge was drawn for this session AND this claim (`kiosk_subject`), so the slots
taken were the claim's and the address's —, the rights desk takes the receipt's claim slot but
not the address's again, the signing desk counts a refusal no more. A decision uses its
challenge up in its first transaction, before any frame is decoded: of parallel decisions on one
challenge exactly one runs, a replay is `ChallengeUsed`. Nothing biometric is
stored: the steps asked, where, for whom and when."""

from __future__ import annotations

from datetime import timedelta

from keyuan.domain.checkin.challenge import ChallengePlace, LivenessChallenge
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.receipt_code import parse_code
from keyuan.domain.errors import (
    ChallengeMissing,
    ChallengeUnknown,
    ChallengeUsed,
    FaceAttemptsThrottled,
    FaceUseOff,
    UnknownOffice,
    UnknownPerson,
)
from keyuan.domain.mobile import normalize_mobile
from keyuan.services import throttle
from keyuan.services.checkin.face_gate import face_engine
from keyuan.services.checkin.face_uses import is_on, require_liveness_in_notices, require_use
from keyuan.services.checkin.kiosk import get_session
from keyuan.services.ports import Deps, UnitOfWork

PURGED_PER_ISSUE = 200
KEPT_AFTER_EXPIRY = timedelta(hours=1)
"""An expired challenge stays this long, so a late replay is told "expired", not "unknown"."""

DESK_USES = {
    ChallengePlace.SIGNING_DESK: (FaceUse.SIGNING_ID_CHECK, FaceUse.SIGNING_LINK,
                                  FaceUse.SIGNING_SEARCH),
    ChallengePlace.RIGHTS_DESK: (FaceUse.RIGHTS_IN_PERSON,),
}
"""The face uses a desk's challenge serves: at least one must be switched on to issue one."""


def claim_key(receipt_id: str | None, mobile: str | None, deps: Deps) -> str:
    """What a kiosk visitor claims, as the face throttle counts it (the same for known and
    unknown claims): `receipt:<code>` or `mobile:<keyed hash>`."""
    if receipt_id:
        code = parse_code(receipt_id)  # one claim however the code was typed
        return f"receipt:{code or receipt_id}"
    if mobile:
        return f"mobile:{deps.hasher.mobile(normalize_mobile(mobile))}"
    raise UnknownPerson("Say who you are: scan your receipt or enter your mobile.")


def kiosk_subject(session_id: str, claim: str, deps: Deps) -> str:
    """Whom a kiosk challenge serves: the session AND the claim it was drawn for (keyed, 64
    characters at most), so the slot its issuance took for that claim is the one its return
    consumes; a return claiming someone else is `ChallengeElsewhere`."""
    return f"{session_id[:32]}:{deps.hasher.subject('challenge.claim', claim)[:31]}"


def issue_for_kiosk(session_id: str, deps: Deps, *, receipt_id: str | None = None,
                    mobile: str | None = None, client: str | None = None) -> LivenessChallenge:
    """A challenge for the return visit the visitor of this kiosk session is about to make,
    claiming `receipt_id` or `mobile`. Refused as the return is: the visit declined face, the
    return-visit use is off or unnamed, the face attempts of the claim or address are spent."""
    face_engine(deps)  # C10, C23: the face module is on and assessed
    claim = claim_key(receipt_id, mobile, deps)
    with deps.uow() as uow:
        session = get_session(uow, session_id)
        session.require_face_offerable()
        require_use(uow, deps, session.office_id, FaceUse.RETURN_VISIT)
        throttle.take(uow, deps.clock.now(), throttle.face_claim_buckets(
            deps, claim=claim, client=client), FaceAttemptsThrottled)
        challenge = _issue(uow, deps, session.office_id, ChallengePlace.KIOSK_RETURN,
                           kiosk_subject(session.id, claim, deps))
        uow.commit()
        return challenge


def issue_for_desk(office_id: str, place: ChallengePlace, actor: str, deps: Deps, *,
                   client: str | None = None) -> LivenessChallenge:
    """A challenge for the next live face at a desk (`SIGNING_DESK` or `RIGHTS_DESK`), bound to
    the member of staff who asked (`actor`: their account's `role:username`). Refused when no
    face use of that desk is switched on (`FaceUseOff`), and counted per member of staff and
    per address."""
    face_engine(deps)
    with deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice()
        if not any(is_on(uow, deps, office_id, use) for use in DESK_USES[place]):
            raise FaceUseOff("This desk runs no face check here: no liveness challenge needed.")
        require_liveness_in_notices(uow, deps, office_id)  # else every decision would be 409
        throttle.take(uow, deps.clock.now(), throttle.staff_face_buckets(
            deps, staff=actor, client=client), FaceAttemptsThrottled)
        challenge = _issue(uow, deps, office_id, place, actor)
        uow.commit()
        return challenge


def _issue(uow: UnitOfWork, deps: Deps, office_id: str, place: ChallengePlace,
           subject: str) -> LivenessChallenge:
    now = deps.clock.now()
    uow.challenges.purge(now - KEPT_AFTER_EXPIRY, limit=PURGED_PER_ISSUE)
    return uow.challenges.add(LivenessChallenge.issue(
        office_id=office_id, place=place, subject=subject, steps=deps.challenge_steps(),
        now=now))


def use_challenge(uow: UnitOfWork, deps: Deps, challenge_id: str | None, *,
                  place: ChallengePlace, subject: str,
                  office_id: str | None = None) -> LivenessChallenge:
    """Inside the decision's transaction (which the caller commits before any face work): the
    challenge issued for this place and subject (and office), unused and unexpired, marked
    used. `ChallengeMissing`, `ChallengeUnknown`, `ChallengeElsewhere`, `ChallengeUsed`,
    `ChallengeExpired` otherwise."""
    if not challenge_id:
        raise ChallengeMissing()
    challenge = uow.challenges.get(challenge_id[:64])
    if challenge is None:
        raise ChallengeUnknown()
    now = deps.clock.now()
    challenge.require_usable(place=place, subject=subject, office_id=office_id, now=now)
    if not uow.challenges.use(challenge.id, now):  # a parallel decision used it first
        raise ChallengeUsed()
    challenge.used_at = now  # the decision's arrival, on the server's clock (timing bound)
    return challenge


def challenge_for(uow: UnitOfWork, deps: Deps, challenge_id: str | None, *,
                  place: ChallengePlace, subject: str,
                  office_id: str | None = None) -> LivenessChallenge | None:
    """`use_challenge` when a challenge is sent or the office needs one
    (`liveness.challenge_required`); None when neither."""
    if challenge_id is None and not deps.liveness.challenge_required:
        return None
    return use_challenge(uow, deps, challenge_id, place=place, subject=subject,
                         office_id=office_id)
