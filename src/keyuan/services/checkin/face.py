"""Face use cases: enroll under consent, verify a returning visitor 1:1, identify 1:N (engine only).

The slow part (decode, detect, embed) runs outside any transaction; the consent is checked
again inside the transaction that writes, so a withdrawal in between wins (C1, C6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from keyuan.config.face import FaceSettings
from keyuan.domain.checkin.challenge import ChallengePlace
from keyuan.domain.checkin.consent import Consent, ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.visit import Visit, VisitMethod
from keyuan.domain.errors import (
    AlreadyEnrolled,
    ConsentMissing,
    FaceAttemptsThrottled,
    FaceQualityError,
    MinorNotEligible,
    MultipleFaces,
    NoFace,
    NotVerified,
    PossiblyKnown,
)
from keyuan.domain.mobile import normalize_mobile
from keyuan.services import throttle
from keyuan.services.checkin.challenges import challenge_for, claim_key, kiosk_subject
from keyuan.services.checkin.face_gate import engine_for, face_engine, forget_face
from keyuan.services.checkin.face_uses import (
    consent_covers,
    is_on,
    require_consent_covers,
    require_liveness_in_notices,
    require_use,
)
from keyuan.services.checkin.filing import note_filing_threshold
from keyuan.services.checkin.kiosk import (
    bind_session,
    checked_in,
    get_session,
    remember_under_14,
    require_current_notice,
)
from keyuan.services.checkin.liveness_gate import require_live_decision, require_live_face
from keyuan.services.checkin.persons import mobile_on_file
from keyuan.services.checkin.receipts import consent_by_reference, record_consent
from keyuan.services.checkin.visits import record_visit, visit_number
from keyuan.services.faces.calibration import (
    DEFAULT_REVIEW_FPIR,
    DEFAULT_TARGET_FPIR,
    threshold_for_gallery,
)
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceEngine, Image, Purpose, Template
from keyuan.services.faces.enrollment import enroll_from_frames
from keyuan.services.faces.gallery import Gallery, IdentifyResult
from keyuan.services.faces.matching import verify_claim
from keyuan.services.faces.probe import probe_from_frames
from keyuan.services.faces.quality import check_face
from keyuan.services.faces.slots import require_frame_count, require_frame_times
from keyuan.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class CheckInResult:
    visit: Visit
    consent: Consent
    evidence: dict[str, Any]
    visit_number: int = 1
    """This visit's number among the person's visits to the office (`visit_number`)."""
    mobile_on_file: bool = False
    """The rights portal can send this person a code; else the receipt says to use reception."""


def _active_face_consent(uow: UnitOfWork, consent_id: str) -> Consent:
    consent = uow.consents.get(consent_id)
    if consent is None:
        raise ConsentMissing("No face consent with that receipt id.")
    consent.require_active_for(ConsentScope.FACE)
    return consent


@dataclass(frozen=True)
class EnrollCmd:
    session_id: str
    consent_id: str
    frames: list[bytes]
    frame_times_ms: Sequence[int] | None = None  # each frame's capture time on the client


def enroll_face(cmd: EnrollCmd, deps: Deps) -> CheckInResult:
    """Consent → frames → template in the vault → visit. Refused without a live face consent,
    when the frames do not show a live person (`NotLive`: the passive liveness checks run before
    any template is derived; the refusal is audited as `face_not_live` and nothing is written),
    and when the face is likely someone's earlier face check-in (one person, one record: a
    second record would give that person a new first visit)."""
    engine = face_engine(deps)
    require_frame_count(cmd.frames, deps.limits.max_frames)
    require_frame_times(cmd.frames, cmd.frame_times_ms)
    with deps.uow() as uow:
        session = get_session(uow, cmd.session_id)
        session.require_face_offerable()  # C2: a "no" after the consent tick still wins
        consent = _active_face_consent(uow, cmd.consent_id)
        if consent.person_id != session.person_id:
            raise ConsentMissing("That consent was not given in this kiosk session.")
        if uow.vault.has(consent.person_id):
            raise AlreadyEnrolled()
        office_id, session_start = session.office_id, session.started_at
        dedup = is_on(uow, deps, office_id, FaceUse.ENROLLMENT_DEDUP)
        if dedup:  # C3: named by the notice in force (which tells of 活体检测) and consented under
            require_use(uow, deps, office_id, FaceUse.ENROLLMENT_DEDUP)
            require_consent_covers(uow, consent, FaceUse.ENROLLMENT_DEDUP)
        else:  # no use to name, but the notice still tells of 活体检测 as it runs
            require_liveness_in_notices(uow, deps, office_id)
    with deps.face_slots.hold():  # FaceBusy when every slot is taken
        # 活体检测 before any template is derived: a still photo never becomes a record
        require_live_face(deps, cmd.frames, cmd.frame_times_ms, use="enrollment",
                          actor=f"kiosk:{office_id}", subject=consent.person_id)
        enrolled = enroll_from_frames(cmd.frames, engine=engine, settings=deps.face)
        if dedup:
            _refuse_a_second_record(enrolled.template, deps, office_id)
            _refuse_a_second_record_of_earlier_models(cmd.frames, deps, office_id)
    with deps.uow() as uow:
        consent = _active_face_consent(uow, cmd.consent_id)
        uow.persons.lock(consent.person_id)  # parallel taps of one enrollment queue here
        if uow.vault.has(consent.person_id):  # a second kiosk tap finished first
            raise AlreadyEnrolled()
        now = deps.clock.now()
        uow.vault.put(consent.person_id, enrolled.template, purpose=consent.purpose,
                      consent_id=consent.id, model=engine.model.tag, now=now)
        evidence = {"enrolled_frames": enrolled.frames_used, "consent": consent.id,
                    "model": engine.model.tag}
        # one arrival, one visit: after a check-in by mobile in this session the enrollment
        # attaches to that visit (a second one would count the visitor twice)
        visit = uow.visits.latest_since(consent.person_id, office_id, session_start) or \
            uow.visits.add(Visit.record(person_id=consent.person_id, office_id=office_id, at=now,
                                        method=VisitMethod.FACE_KIOSK, evidence=evidence))
        uow.audit.append(at=now, actor=f"kiosk:{office_id}", action="template_enrolled",
                         subject=consent.person_id, detail={"consent": consent.id,
                                                            "frames": enrolled.frames_used})
        office = uow.offices.get(office_id)
        if office is not None:  # C24: the crossing is recorded when it happens
            note_filing_threshold(uow, office.legal_entity, now)
        template, person_id = enrolled.template, consent.person_id
        uow.on_commit(lambda: deps.gallery.put(person_id, template))
        number = visit_number(uow, consent.person_id, office_id)
        uow.commit()
        return CheckInResult(visit=visit, consent=consent, evidence=evidence,
                             visit_number=number,
                             mobile_on_file=mobile_on_file(uow, consent.person_id))


def _refuse_a_second_record(template: Template, deps: Deps, office_id: str) -> None:
    """1:N over the consented gallery, once, at enrollment: any candidate inside the review
    band means "you may have checked in before" — the visitor confirms with their receipt or
    mobile instead. Nobody is shown who; the search and its candidates are audited."""
    found = candidates(template, deps, actor=f"kiosk:{office_id}",
                       reason="enrollment_duplicate_check", use=FaceUse.ENROLLMENT_DEDUP)
    if found:
        raise PossiblyKnown()


def _refuse_a_second_record_of_earlier_models(frames: list[bytes], deps: Deps,
                                              office_id: str) -> None:
    """The same search over templates an earlier model made, by that model's engine on the same
    frames (memory only): a person enrolled before the engine changed is one record too."""
    for legacy in deps.legacy_engines:
        gallery = deps.legacy_galleries.get(legacy.model.tag)
        if not gallery:
            continue
        probe = probe_from_frames(frames, engine=legacy, settings=deps.face)
        if candidates(probe.template, deps, actor=f"kiosk:{office_id}",
                      reason="enrollment_duplicate_check", use=FaceUse.ENROLLMENT_DEDUP,
                      gallery=gallery, kind=legacy.model.kind):
            raise PossiblyKnown()


@dataclass(frozen=True)
class FrameCheckCmd:
    session_id: str
    consent_id: str
    frame: bytes


def check_frame(cmd: FrameCheckCmd, deps: Deps) -> str | None:
    """Live kiosk guidance: the quality gate's reason code for one camera frame ("face_too_small"
    → "move closer"), or None when enrollment would accept it. Only under a live face consent
    given in this session (C1, C2). The frame is decoded, searched and measured in memory, then
    dropped: no template is computed, nothing is stored or logged (C11, C15)."""
    engine = face_engine(deps)
    with deps.uow() as uow:
        session = get_session(uow, cmd.session_id)
        session.require_face_offerable()
        consent = _active_face_consent(uow, cmd.consent_id)
        if consent.person_id != session.person_id:
            raise ConsentMissing("That consent was not given in this kiosk session.")
    with deps.face_slots.hold():
        image = decode_image(cmd.frame, max_pixels=deps.face.max_image_pixels,
                             max_bytes=deps.face.max_image_bytes)
        try:
            _gate_frame(image, engine, deps.face)
        except FaceQualityError as exc:
            return exc.code
    return None


def _gate_frame(image: Image, engine: FaceEngine, face: FaceSettings) -> None:
    # The enrollment rules without the embedding. HOG only (Purpose.PROBE): guidance runs
    # several times a second and must not wait ~2 s for the CNN fallback enrollment may use.
    boxes = engine.detect(image, purpose=Purpose.PROBE)
    if not boxes:
        raise NoFace()
    rivals = [b for b in boxes[1:] if min(b.width, b.height) >= face.min_face_px]
    if rivals:
        raise MultipleFaces(faces=1 + len(rivals))
    check_face(image, boxes[0], face)


@dataclass(frozen=True)
class Renewal:
    """The visitor's consent to the return-visit check, given at the kiosk under the notice in
    force (C1). The kiosk asks for it at every face return, before any lookup or comparison, so
    asking tells nobody whether the claim names a person whose consent predates that notice. It
    is checked the same way for every claim (age, notice in force) and recorded only when the
    claimed consent was given under a notice that did not name the return visit, and kept only
    if the face matches."""

    notice_hash: str
    age_14_or_over: bool


@dataclass(frozen=True)
class ReturnCmd:
    """A returning visitor says who they are (receipt QR or mobile) and shows their face."""

    session_id: str
    frames: list[bytes]
    receipt_id: str | None = None
    frame_times_ms: Sequence[int] | None = None  # each frame's capture time on the client
    mobile: str | None = None
    renewal: Renewal | None = None
    client: str | None = None  # the client address the throttles count
    challenge_id: str | None = None
    """The liveness challenge issued for this session's return (`challenges.issue_for_kiosk`),
    used up with the attempt's slot before any frame is looked at."""
    frame_steps: Sequence[int | None] | None = None  # the challenge step of each frame


NOT_VERIFIED = ("We could not verify a face check-in for you. Please check in with your mobile "
                "number.")
"""One answer whether the claim names nobody, someone without a face check-in, someone whose
consent needs renewing and who was not asked again, someone whose face did not match, or whose
match was only uncertain: the kiosk never tells whether a mobile or receipt is known."""


def _claim(cmd: ReturnCmd, deps: Deps) -> str:
    """What the visitor claims, as the face throttle counts it (the same for known and unknown)."""
    return claim_key(cmd.receipt_id, cmd.mobile, deps)


def _claimed_consent(uow: UnitOfWork, cmd: ReturnCmd, deps: Deps) -> Consent | None:
    """The active face consent of the claimed person holding a template, else None; the same
    lookups run whether or not the claim names anyone."""
    person_id = NOBODY
    if cmd.receipt_id:
        consent = consent_by_reference(uow, cmd.receipt_id)
        person_id = consent.person_id if consent else NOBODY
    elif cmd.mobile:
        person = uow.persons.by_mobile_hash(deps.hasher.mobile(normalize_mobile(cmd.mobile)))
        person_id = person.id if person else NOBODY
    active = uow.consents.active_for(person_id, ConsentScope.FACE)
    has_template = uow.vault.has(person_id)
    return active if active is not None and has_template else None


NOBODY = "-"  # no pseudonym is ever "-": lookups for it find nothing, at the same cost


def face_on_file(session_id: str, receipt_id: str, deps: Deps, *,
                 client: str | None = None) -> bool:
    """Before the camera, for a receipt claim: whether the receipt's person has a live face
    check-in (an active face consent and a template), so a visitor without one is sent the
    mobile way at once instead of being filmed for nothing.

    Only a receipt gets this answer. Its number is the visitor's own and unguessable, and it
    already reads back as its receipt (`GET /api/receipts/{id}`: face or mobile, active or
    withdrawn), so the answer tells its holder nothing new. A mobile number is nobody's secret:
    answering for one would let anyone learn whether a number's owner checks in here by face,
    so a mobile claim keeps `return_with_face`'s one answer after the camera. Counted like a
    face attempt, per claim and per address (`FaceAttemptsThrottled`); refused as a return is
    when the visit declined face or the return-visit use is off or unnamed."""
    cmd = ReturnCmd(session_id=session_id, frames=[], receipt_id=receipt_id, client=client)
    with deps.uow() as uow:
        session = get_session(uow, session_id)
        session.require_face_offerable()
        require_use(uow, deps, session.office_id, FaceUse.RETURN_VISIT)
        throttle.take(uow, deps.clock.now(), throttle.face_claim_buckets(
            deps, claim=_claim(cmd, deps), client=client), FaceAttemptsThrottled)
        uow.commit()
    with deps.uow() as uow:
        on_file = _claimed_consent(uow, cmd, deps)
        claimed = consent_by_reference(uow, receipt_id)
        if claimed is not None:  # C17: asking whether a template exists is a biometric access
            uow.audit.append(at=deps.clock.now(), actor="kiosk", action="face_template_checked",
                             subject=claimed.person_id,
                             detail={"session": session_id, "on_file": on_file is not None})
            uow.commit()
        return on_file is not None


def _given_here(uow: UnitOfWork, cmd: ReturnCmd, office_id: str) -> Notice | None:
    """The notice in force the visitor consented under at the kiosk for this return, or None
    when no consent came with the request. Checked before anyone is looked up, so a minor
    (`MinorNotEligible`) or a stale notice (`NoticeMismatch`) gets the same answer whoever the
    claim names."""
    if cmd.renewal is None:
        return None
    if not cmd.renewal.age_14_or_over:
        raise MinorNotEligible()
    return require_current_notice(uow, office_id, cmd.renewal.notice_hash)


def return_with_face(cmd: ReturnCmd, deps: Deps) -> CheckInResult:
    """1:1 against the claimed person's own template only; no one else's name is ever shown.
    Attempts are limited per claim and per client address (`FaceAttemptsThrottled`).

    Before the face matches, every answer is the same whoever the claim names (C1 and the
    kiosk's promise never to reveal who is known): an unknown claim, a claimed person without a
    face check-in, one whose consent predates the notice naming the return visit and who did not
    consent again with this request (`Renewal`), a face that does not match and a match that is
    only uncertain all get `NotVerified` (`NOT_VERIFIED`) after the same work: frames embedded,
    the attempt audited. An uncertain score never decides: the visitor goes the mobile way.

    Before anyone is looked up the frames must show a live person (活体检测): the challenge's
    movements when one runs (with the passive checks), else the passive checks alone (both by
    `liveness_gate.require_live_decision`). A refusal (`NotLive`) is the same for every
    claim, audited as `face_not_live` naming nobody, and has already taken its attempt slot.

    A template made by an earlier model is compared by that model's engine at its own
    thresholds; on a match the active engine derives a new template from the same frames under
    the same consent and the old one is deleted in the visit's transaction."""
    active = face_engine(deps)
    require_frame_count(cmd.frames, deps.limits.max_frames)
    require_frame_times(cmd.frames, cmd.frame_times_ms)
    claim = _claim(cmd, deps)
    with deps.uow() as uow:  # the attempt counts whatever the face shows
        session = get_session(uow, cmd.session_id)
        session.require_face_offerable()  # C2: no face processed in a visit that declined it
        if cmd.renewal is not None and not cmd.renewal.age_14_or_over:
            remember_under_14(uow, session)  # C5: before any frame is looked at
        require_use(uow, deps, session.office_id, FaceUse.RETURN_VISIT)
        given = _given_here(uow, cmd, session.office_id)
        challenge = challenge_for(uow, deps, cmd.challenge_id, place=ChallengePlace.KIOSK_RETURN,
                                  subject=kiosk_subject(session.id, claim, deps),
                                  office_id=session.office_id)
        if challenge is None:  # a challenge's issuance took this claim's and address's slots
            throttle.take(uow, deps.clock.now(), throttle.face_claim_buckets(
                deps, claim=claim, client=cmd.client), FaceAttemptsThrottled)
        uow.commit()
    # 活体检测 before anyone is looked up, one answer for every claim: the challenge's movements
    # when one was used, else the passive checks alone (counted above, like a miss)
    with deps.face_slots.hold():
        live = require_live_decision(deps, cmd.frames, cmd.frame_times_ms, cmd.frame_steps,
                                     challenge=challenge, use="return_visit",
                                     actor=f"kiosk:{session.office_id}")
    cmd = replace(cmd, frames=live.facing(cmd.frames))  # with a challenge: the frontal ones
    with deps.uow() as uow:  # read only: nothing is bound before the face matches
        session = get_session(uow, cmd.session_id)
        office_id = session.office_id
        consent = _claimed_consent(uow, cmd, deps)
        # one session, one visitor — checked alike for a claim naming nobody
        session.may_serve(consent.person_id if consent else NOBODY,
                          checked_in=checked_in(uow, session))
        renewal: Notice | None = None
        reference: Template | None = None
        model: str | None = None
        if consent is not None and not consent_covers(uow, consent, FaceUse.RETURN_VISIT):
            renewal = given  # C1: no consent given again, no template read: a stranger's answer
            if renewal is None:
                consent = None
        if consent is not None:
            # C7: the vault reads only for a use the person's consent covers
            reference = (uow.vault.get(consent.person_id, purpose=FaceUse.RETURN_VISIT)
                         if renewal is None else None)
            model = uow.vault.model_of(consent.person_id)
    renewed: Consent | None = None
    if consent is not None and renewal is not None:
        with deps.uow() as uow:  # the consent given again is on record before the vault reads
            renewed = _give_again(uow, deps, consent, renewal)
            reference = uow.vault.get(consent.person_id, purpose=FaceUse.RETURN_VISIT)
            uow.commit()  # withdrawn again below unless the face matches and the visit is kept
    try:
        return _compare_and_record(cmd, deps, (consent, reference, model), renewed,
                                   active=active, office_id=office_id)
    except Exception:
        if renewed is not None:  # not shown to be the person: their consent is not given
            with deps.uow() as uow:
                _void_renewal(uow, deps, renewed.id)
                uow.commit()
        raise


Claimed = tuple[Consent | None, Template | None, str | None]
"""The claimed person's active face consent, their template and its model (None: nobody)."""


def _compare_and_record(cmd: ReturnCmd, deps: Deps, claimed: Claimed, renewed: Consent | None,
                        *, active: FaceEngine, office_id: str) -> CheckInResult:
    consent, reference, model = claimed
    with deps.face_slots.hold():
        if consent is None or reference is None or model is None:
            probe_from_frames(cmd.frames, engine=active, settings=deps.face)  # same work
            _audit_unverified(deps, office_id)
            raise NotVerified(NOT_VERIFIED)
        engine = engine_for(deps, model)
        probe = probe_from_frames(cmd.frames, engine=engine, settings=deps.face)
        result = verify_claim(probe.template, reference, deps.face, engine.model.kind)
        rederived = None
        if result.matched and engine is not active:
            rederived = probe_from_frames(cmd.frames, engine=active, settings=deps.face).template
    bands = deps.face.thresholds_for(engine.model.kind)
    evidence = {"distance": round(result.distance, 4), "threshold": bands.verify,
                "probe_frames": probe.frames_used, "consent": consent.id,
                "model": engine.model.tag}
    with deps.uow() as uow:
        now = deps.clock.now()
        uow.audit.append(at=now, actor=f"kiosk:{office_id}", action="face_verified",
                         subject=consent.person_id, detail={**evidence, "matched": result.matched,
                                                            "outcome": result.outcome})
        if not result.matched:  # no match, or only an uncertain one: the same answer
            uow.commit()  # the comparison stays audited; no visit is recorded
            raise NotVerified(NOT_VERIFIED)
        consent = _active_face_consent(uow, consent.id)
        if renewed is not None:
            consent = _seal_under(uow, deps, _active_face_consent(uow, renewed.id), consent,
                                  reference, model)
            evidence["consent"] = consent.id
        bind_session(uow, get_session(uow, cmd.session_id), consent.person_id)
        visit = record_visit(uow, deps, Visit.record(
            person_id=consent.person_id, office_id=office_id, at=now,
            method=VisitMethod.FACE_KIOSK, evidence=evidence,
        ))
        if rederived is not None:
            _replace_template(uow, deps, consent, rederived, active, old_model=model)
        number = visit_number(uow, consent.person_id, office_id)
        uow.commit()
        return CheckInResult(visit=visit, consent=consent, evidence=evidence,
                             visit_number=number,
                             mobile_on_file=mobile_on_file(uow, consent.person_id))


def _give_again(uow: UnitOfWork, deps: Deps, earlier: Consent, notice: Notice) -> Consent:
    """The consent the visitor gave again at the kiosk, recorded (with its own signed receipt)
    before the vault reads the template for the return visit it covers."""
    now = deps.clock.now()
    office = uow.offices.get(earlier.office_id)
    renewed = record_consent(uow, Consent.give(
        person_id=earlier.person_id, office_id=earlier.office_id, scope=ConsentScope.FACE,
        notice=notice, method="kiosk_touch_renewal", now=now,
        controller_name=office.legal_entity if office else notice.controller,
        policy_url=deps.policy_url), deps)
    uow.flush()  # the vault's read checks the consents on record
    return renewed


def _void_renewal(uow: UnitOfWork, deps: Deps, renewed_id: str) -> None:
    """The face did not match the claimed person: the consent given again is withdrawn at once
    (whoever gave it was not shown to be that person)."""
    renewed = uow.consents.get(renewed_id)
    if renewed is not None:
        renewed.withdraw(deps.clock.now())
        uow.audit.append(at=deps.clock.now(), actor="system", action="consent_renewal_void",
                         subject=renewed.person_id, detail={"consent": renewed.id,
                                                            "why": "face_not_verified"})


def _seal_under(uow: UnitOfWork, deps: Deps, renewed: Consent, earlier: Consent,
                template: Template, model: str) -> Consent:
    """After the face matched: the template is sealed under the consent given again; the
    earlier consent stays on record, and withdrawing either ends face processing."""
    now = deps.clock.now()
    notice_version = renewed.notice_version
    uow.vault.delete(earlier.person_id)
    uow.vault.put(earlier.person_id, template, purpose=renewed.purpose, consent_id=renewed.id,
                  model=model, now=now)
    uow.audit.append(at=now, actor=f"kiosk:{earlier.office_id}", action="consent_renewed",
                     subject=earlier.person_id, detail={"consent": renewed.id,
                                                        "renews": earlier.id,
                                                        "notice_version": notice_version})
    return renewed


def _audit_unverified(deps: Deps, office_id: str) -> None:
    """A return whose claim has no face check-in behind it: audited in a transaction like a
    comparison's, naming nobody (no comparison was made, so not as `face_verified`)."""
    with deps.uow() as uow:
        uow.audit.append(at=deps.clock.now(), actor=f"kiosk:{office_id}",
                         action="face_return_unverified", subject=None,
                         detail={"matched": False, "outcome": "no_reference"})
        uow.commit()


def _replace_template(uow: UnitOfWork, deps: Deps, consent: Consent, template: Template,
                      engine: FaceEngine, *, old_model: str) -> None:
    """The earlier model's template goes and the active model's comes, under the same consent,
    in the caller's transaction; the gallery follows after commit."""
    uow.vault.delete(consent.person_id)
    uow.vault.put(consent.person_id, template, purpose=consent.purpose, consent_id=consent.id,
                  model=engine.model.tag, now=deps.clock.now())
    uow.audit.append(at=deps.clock.now(), actor="system", action="template_rederived",
                     subject=consent.person_id, detail={"consent": consent.id, "from": old_model,
                                                        "to": engine.model.tag})
    person_id = consent.person_id

    def refresh_gallery() -> None:
        forget_face(deps, person_id)
        deps.gallery.put(person_id, template)

    uow.on_commit(refresh_gallery)


def identify_thresholds(face: FaceSettings, gallery_size: int,
                        kind: str | None = None) -> tuple[float, float]:
    """The configured 1:N thresholds of the engine `kind` (default: the active one), made
    stricter as the gallery grows: false matches grow with every template searched, so FPIR <=
    0.1% (match) and <= 1% (review edge) are held at the live size by the rule `keyuan eval
    calibrate` measured."""
    kind = kind or face.engine
    bands = face.thresholds_for(kind)
    match = min(bands.identify, threshold_for_gallery(gallery_size, DEFAULT_TARGET_FPIR,
                                                      kind=kind))
    review = min(bands.identify_review, threshold_for_gallery(gallery_size, DEFAULT_REVIEW_FPIR,
                                                              kind=kind))
    return match, max(match, review)


def identify(template: Template, deps: Deps, *, actor: str, reason: str) -> IdentifyResult:
    """1:N over the consented gallery with its own, stricter thresholds. Never used to greet
    anyone: callers are staff functions that decide money, and they route 'needs_review' to a
    person. Every search is audited."""
    face_engine(deps)
    match, review = identify_thresholds(deps.face, len(deps.gallery))
    result = deps.gallery.identify(template, match, review)
    with deps.uow() as uow:
        uow.audit.append(at=deps.clock.now(), actor=actor, action="face_identified",
                         subject=result.key, detail={"outcome": result.outcome, "reason": reason,
                                                     "gallery": len(deps.gallery),
                                                     "thresholds": [match, review]})
        uow.commit()
    return result


def candidates(template: Template, deps: Deps, *, actor: str, reason: str, use: FaceUse,
               gallery: Gallery | None = None, kind: str | None = None,
               ) -> list[IdentifyResult]:
    """1:N like `identify`, but every consented template inside the review edge, nearest first
    (for review and for one-person-one-record checks). Audited: the outcome counts and the
    reason; the candidates' pseudonyms are the subjects of their own entries. `gallery`/`kind`:
    an earlier model's gallery and engine kind (default: the active engine's)."""
    face_engine(deps)
    gallery = deps.gallery if gallery is None else gallery
    with deps.uow() as uow:
        among = uow.vault.covering(use)  # C7: only people whose consent named `use`
    match, review = identify_thresholds(deps.face, len(gallery), kind)
    found = gallery.candidates(template, match, review, among=among)
    with deps.uow() as uow:
        now = deps.clock.now()
        uow.audit.append(at=now, actor=actor, action="face_candidates_searched", subject=None,
                         detail={"reason": reason, "use": use.value, "gallery": len(gallery),
                                 "searched": len(among),
                                 "candidates": len(found), "thresholds": [match, review]})
        for hit in found:
            uow.audit.append(at=now, actor=actor, action="face_candidate", subject=hit.key,
                             detail={"outcome": hit.outcome, "reason": reason})
        uow.commit()
    return found
