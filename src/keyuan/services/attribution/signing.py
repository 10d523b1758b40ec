"""签约: ID number (+ optional chip photo and live face), identity resolution, adjudication,
and the review queue. Nothing is final while a person still has to review it.

Face use here, each audited:
- 1:1 live face vs the ID chip photo (人证核验): only pass/score is kept (C22).
- 1:1 live face vs the template of a face check-in the buyer claims by its receipt.
- 1:N over the consented gallery, only when a person the buyer resolved to (by mobile or ID)
  holds an active face consent; a hit counts only if that record's face consent is active.
Each is a named face use (`domain/checkin/face_uses.py`): refused unless switched on and named
by the notice in force, and a consent covers only the uses its notice named (C3, C1).
Before any of them, the desk asks first (`desk_consent.py`): no face evidence is decoded,
detected or embedded for a buyer under 14 by their ID number (C5), nor without the buyer's own
consent to the desk's face check (C1, C22); a refusal signs by ID number and mobile alone.
The live template lives in memory for this call only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from keyuan.domain.attribution.adjudication import (
    ID_PHOTO_UNCERTAIN,
    ClaimFact,
    Decision,
    ReviewNote,
    ReviewStep,
    Signing,
    VisitFact,
    VisitLink,
    adjudicate,
    needs_review_for,
)
from keyuan.domain.attribution.idcard import IdNumber
from keyuan.domain.attribution.registration import Registration
from keyuan.domain.attribution.repositories import VisitEvidence
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.person import Person
from keyuan.domain.errors import (
    ConsentMissing,
    DuplicateSigning,
    NotVerified,
    TemplateModelMismatch,
    UnknownConsent,
    UnknownOffice,
    UnknownSigning,
)
from keyuan.domain.mobile import normalize_mobile
from keyuan.services.attribution import desk_consent
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin.face_gate import engine_for, face_engine
from keyuan.services.checkin.face_uses import (
    consent_covers,
    is_on,
    require_consent_covers,
    require_use,
)
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceEngine, Template
from keyuan.services.faces.matching import VerifyResult, verify_claim
from keyuan.services.faces.probe import probe_from_frames
from keyuan.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class SigningCmd:
    office_id: str
    buyer_name: str
    id_number: str
    mobile: str
    contract_price_fen: int
    actor: str
    live_frames: Sequence[bytes] = ()
    chip_photo: bytes | None = None
    face_receipt_id: str | None = None  # the buyer's own earlier face check-in, if they say so
    unit: str | None = None  # the flat or house sold (房号)
    desk_consent_id: str | None = None  # the buyer's answer to the desk's face check

    @property
    def has_face_evidence(self) -> bool:
        return bool(self.live_frames) or self.chip_photo is not None or bool(self.face_receipt_id)


@dataclass(frozen=True)
class SigningResult:
    signing: Signing
    decision: Decision
    registrations: list[Registration]

    @property
    def first_visit_at(self) -> datetime | None:
        first = self.decision.evidence.first_visit
        return None if first is None else first.at

    @property
    def visit_count(self) -> int:
        return self.decision.evidence.visit_count


@dataclass
class Resolved:
    """Who the buyer is on file: person id → how they were linked."""

    persons: dict[str, Person] = field(default_factory=dict)
    links: dict[str, VisitLink] = field(default_factory=dict)

    def add(self, person: Person | None, link: VisitLink) -> None:
        if person is not None and person.id not in self.persons:
            self.persons[person.id] = person
            self.links[person.id] = link


def _live_probe(cmd: SigningCmd, deps: Deps,
                uses: Sequence[FaceUse]) -> tuple[Template | None, VerifyResult | None]:
    """The live template (memory only) and the chip-photo check (人证核验): match, uncertain
    (the signing goes to review) or no match (refused; a manual ID check always works). Runs
    only after `_desk_uses` let the face evidence through."""
    if not cmd.live_frames:
        if cmd.chip_photo is not None:  # nothing to compare it with, but never ignored: checked
            decode_image(cmd.chip_photo, max_pixels=deps.face.max_image_pixels,
                         max_bytes=deps.face.max_image_bytes)
        return None, None
    engine = face_engine(deps)
    if not uses:
        return None, None  # no face use switched on here needs the live face: none is computed
    probe = probe_from_frames(list(cmd.live_frames), engine=engine, settings=deps.face)
    if cmd.chip_photo is None:
        return probe.template, None
    chip = probe_from_frames([cmd.chip_photo], engine=engine, settings=deps.face)
    return probe.template, verify_claim(probe.template, chip.template, deps.face)


def _desk_uses(cmd: SigningCmd, deps: Deps, id_number: IdNumber, id_hash: str) -> list[FaceUse]:
    """The face uses this signing runs on the buyer's face, let through before any face
    evidence is decoded: not for a buyer under 14 (C5), only under the buyer's own consent to
    the desk's face check naming each (C1, C22), and each named by the notice in force (C3;
    `UseNotInNotice` otherwise). No face evidence: no use, no question."""
    if not cmd.has_face_evidence:
        return []
    face_engine(deps)  # the face module is on and assessed (C10, C23), or no face step at all
    desk_consent.refuse_if_under_14(id_number, deps)
    with deps.uow() as uow:
        if uow.offices.get(cmd.office_id) is None:
            raise UnknownOffice()
        uses = [FaceUse.SIGNING_SEARCH] if is_on(uow, deps, cmd.office_id,
                                                 FaceUse.SIGNING_SEARCH) else []
        if cmd.chip_photo is not None:
            uses.append(FaceUse.SIGNING_ID_CHECK)
        if cmd.face_receipt_id:
            uses.append(FaceUse.SIGNING_LINK)
        for use in uses:
            require_use(uow, deps, cmd.office_id, use)
        desk_consent.require_for_face(uow, deps, consent_id=cmd.desk_consent_id,
                                      office_id=cmd.office_id, id_hash=id_hash, uses=uses)
    return uses


ClaimProbe = tuple[Template | None, FaceEngine | None]
"""The live template on the scale of the claimed template's model, and the engine that made it."""


def _claim_probe(cmd: SigningCmd, deps: Deps, probe: Template | None) -> ClaimProbe:
    """A face check-in made by an earlier model is compared by that model's engine: the live
    frames are embedded again by it (memory only)."""
    if not cmd.face_receipt_id or probe is None:
        return probe, deps.engine
    with deps.uow() as uow:
        consent = uow.consents.get(cmd.face_receipt_id)
        model = uow.vault.model_of(consent.person_id) if consent is not None else None
    if model is None:
        return probe, deps.engine
    engine = engine_for(deps, model)
    if engine is deps.engine:
        return probe, engine
    return probe_from_frames(list(cmd.live_frames), engine=engine,
                             settings=deps.face).template, engine


def resolve(uow: UnitOfWork, mobile_hash: str, id_hash: str) -> Resolved:
    return _resolved(uow.attribution.persons_by_mobile_or_id(mobile_hash, id_hash), mobile_hash)


def _resolved(found: Sequence[Person], mobile_hash: str) -> Resolved:
    """The person with the buyer's mobile first, then whoever signed with this ID (by id)."""
    resolved = Resolved()
    for person in sorted(found, key=lambda p: (p.mobile_hash != mobile_hash, p.id)):
        resolved.add(person, VisitLink.MOBILE if person.mobile_hash == mobile_hash
                     else VisitLink.ID_NUMBER)
    return resolved


def _holds_face_consent(uow: UnitOfWork, person_ids: Sequence[str]) -> bool:
    """An active face consent given under a notice that named the 1:N search at the desk
    (C1: a consent covers only the uses its notice named)."""
    return any((consent := uow.consents.active_for(p, ConsentScope.FACE)) is not None
               and consent_covers(uow, consent, FaceUse.SIGNING_SEARCH) for p in person_ids)


def _claimed_face_link(
    uow: UnitOfWork, receipt_id: str, live: ClaimProbe, deps: Deps, actor: str,
) -> tuple[str, VisitLink]:
    """1:1 against the face check-in the buyer claims: their own consent, their own template. An
    uncertain score links it for review only; no match is refused."""
    consent = uow.consents.get(receipt_id)
    if consent is None:
        raise UnknownConsent()
    consent.require_active_for(ConsentScope.FACE)
    require_consent_covers(uow, consent, FaceUse.SIGNING_LINK)
    reference = uow.vault.get(consent.person_id, purpose=FaceUse.SIGNING_LINK)
    model = uow.vault.model_of(consent.person_id)
    probe, engine = live
    if probe is None or engine is None or reference is None or model is None:
        raise ConsentMissing("A face link needs a live photo and the consented template.")
    if not engine.model.made(model):  # re-derived by a visit since the probe was made
        raise TemplateModelMismatch("The face check-in changed meanwhile; please try again.",
                                    model=model, active=engine.model.tag)
    result = verify_claim(probe, reference, deps.face, engine.model.kind)
    uow.audit.append(at=deps.clock.now(), actor=actor, action="face_verified",
                     subject=consent.person_id, detail={"purpose": "signing_attribution",
                                                        "matched": result.matched,
                                                        "outcome": result.outcome,
                                                        "distance": round(result.distance, 4)})
    if result.outcome == "no_match":
        uow.commit()  # the failed comparison stays audited; nothing else was written yet
        raise NotVerified("The live face does not match that face check-in.")
    return consent.person_id, (VisitLink.FACE_MATCH if result.matched else VisitLink.FACE_REVIEW)


def _search_gallery(
    probe: Template | None, known: Sequence[str], deps: Deps, actor: str,
) -> list[tuple[str, VisitLink]]:
    """1:N, only for a buyer already resolved to a face-consented record (checked by caller):
    every consented candidate inside the review band, not only the best, so all their visits
    are evidence a person reviews (a review-band link never decides on its own)."""
    if probe is None:
        return []
    found = face_service.candidates(probe, deps, actor=actor, reason="signing_attribution",
                                    use=FaceUse.SIGNING_SEARCH)
    return [(hit.key, VisitLink.FACE_MATCH if hit.outcome == "match" else VisitLink.FACE_REVIEW)
            for hit in found if hit.key is not None and hit.key not in known]


Facts = tuple[list[VisitFact], list[ClaimFact], list[Registration]]


def visit_facts(visits: Iterable[VisitEvidence], resolved: Resolved,
                office_id: str) -> list[VisitFact]:
    """The one way a visit becomes evidence: this office's original visits of the linked
    persons, each tied to the signer the way its person was (later corrections noted, never
    applied)."""
    return [VisitFact(id=v.id, at=v.at, method=v.method, link=resolved.links[v.person_id],
                      corrected_at=v.corrected_at)
            for v in sorted(visits, key=lambda v: (v.at, v.id))
            if v.office_id == office_id and v.person_id in resolved.links]


def claim_facts(claims: Iterable[tuple[Registration, str]]) -> list[ClaimFact]:
    """(registration, its channel's kind) → the claims the rules judge, earliest first."""
    return [ClaimFact(r.id, r.channel_id, kind, r.created_at, r.conflict)
            for r, kind in sorted(claims, key=lambda rk: (rk[0].created_at, rk[0].id))]


def facts_for(uow: UnitOfWork, office_id: str, resolved: Resolved) -> Facts:
    """Original visits of every linked person, and every claim that may be about one of them."""
    if not resolved.persons:
        return [], [], []
    visits = uow.attribution.visit_evidence(list(resolved.persons))
    claims = uow.attribution.registrations_for(office_id, list(resolved.persons.values()))
    return (visit_facts(visits, resolved, office_id),
            claim_facts((r, _kind(uow, r.channel_id)) for r in claims), claims)


def desk_facts(uow: UnitOfWork, office_id: str, mobile_hash: str, id_hash: str) -> tuple[
        Resolved, Facts]:
    """`resolve` + `facts_for` in one round trip (`AttributionStore.desk_evidence`): the same
    persons, visits and claims, filtered the same way."""
    evidence = uow.attribution.desk_evidence(office_id, mobile_hash, id_hash)
    resolved = _resolved(evidence.persons, mobile_hash)
    persons = list(resolved.persons.values())
    mine = sorted(((r, kind) for r, kind in evidence.claims if any(
        r.may_be(name=p.name, mobile=p.mobile, mobile_hash=p.mobile_hash) for p in persons)),
        key=lambda rk: (rk[0].created_at, rk[0].id))
    return resolved, (visit_facts(evidence.visits, resolved, office_id), claim_facts(mine),
                      [r for r, _ in mine])


def _kind(uow: UnitOfWork, channel_id: str) -> str:
    channel = uow.attribution.channel(channel_id)  # identity map: one query per channel
    return channel.kind.value if channel else "unknown"


def sign(cmd: SigningCmd, deps: Deps) -> SigningResult:
    """Validate the ID, ask the desk's gate, run the optional face checks, resolve, adjudicate,
    record."""
    id_number = desk_consent.id_of(cmd.id_number, deps)
    mobile = normalize_mobile(cmd.mobile)
    id_hash, mobile_hash = deps.hasher.id_number(id_number.value), deps.hasher.mobile(mobile)
    probe, chip_check = _live_probe(cmd, deps, _desk_uses(cmd, deps, id_number, id_hash))
    id_photo = None if chip_check is None else (chip_check.matched, round(chip_check.distance, 4))
    if chip_check is not None and chip_check.outcome == "no_match":
        _audit_id_check(cmd, deps, chip_check)
        raise NotVerified("The live face does not match the ID chip photo. Check the ID card "
                          "by hand; signing without photos always works.")
    hits = _gallery_hits(cmd, deps, probe, (mobile_hash, id_hash)) if probe is not None else []
    claim_probe = _claim_probe(cmd, deps, probe)
    with deps.uow() as uow:
        if uow.offices.get(cmd.office_id) is None:
            raise UnknownOffice()
        uow.attribution.lock_buyer(id_hash)  # a parallel post of the same buyer waits here
        _refuse_duplicate(uow, cmd, deps, (id_hash, mobile_hash))
        resolved, facts = desk_facts(uow, cmd.office_id, mobile_hash, id_hash)
        on_file = len(resolved.persons)
        if cmd.face_receipt_id:
            claimed, link = _claimed_face_link(uow, cmd.face_receipt_id, claim_probe, deps,
                                               cmd.actor)
            resolved.add(uow.persons.get(claimed), link)
        for key, link in hits:
            if _holds_face_consent(uow, [key]):
                resolved.add(uow.persons.get(key), link)
        if len(resolved.persons) > on_file:  # a face link: gather facts for everyone again
            facts = facts_for(uow, cmd.office_id, resolved)
        result = _record(uow, cmd, deps, resolved, facts,
                         (id_hash, id_number.masked, mobile, id_photo),
                         id_photo_uncertain=chip_check is not None and chip_check.uncertain)
        if cmd.desk_consent_id:
            desk_consent.use_for_signing(uow, consent_id=cmd.desk_consent_id,
                                         office_id=cmd.office_id, id_hash=id_hash,
                                         signing_id=result.signing.id)
        uow.commit()
        return result


def _refuse_duplicate(uow: UnitOfWork, cmd: SigningCmd, deps: Deps,
                      hashes: tuple[str, str]) -> None:
    """The same buyer (ID number and mobile) signing for the same unit and price within
    `deps.signing_duplicate_seconds` is a double post, not a second sale: one commission."""
    if deps.signing_duplicate_seconds <= 0:
        return
    since = deps.clock.now() - timedelta(seconds=deps.signing_duplicate_seconds)
    unit = (cmd.unit or "").strip() or None
    existing = uow.attribution.recent_signing(cmd.office_id, *hashes, cmd.contract_price_fen,
                                              unit, since)
    if existing is not None:
        raise DuplicateSigning(signing_id=existing)


def _gallery_hits(
    cmd: SigningCmd, deps: Deps, probe: Template, hashes: tuple[str, str],
) -> list[tuple[str, VisitLink]]:
    """1:N only when the buyer on file (by mobile or ID) holds an active face consent."""
    with deps.uow() as uow:
        if uow.offices.get(cmd.office_id) is None:
            raise UnknownOffice()
        first = resolve(uow, *hashes)
        searchable = (is_on(uow, deps, cmd.office_id, FaceUse.SIGNING_SEARCH)
                      and _holds_face_consent(uow, list(first.persons)))
    return _search_gallery(probe, list(first.persons), deps, cmd.actor) if searchable else []


def _record(
    uow: UnitOfWork, cmd: SigningCmd, deps: Deps, resolved: Resolved, facts: Facts,
    ids: tuple[str, str, str, tuple[bool, float] | None], *, id_photo_uncertain: bool = False,
) -> SigningResult:
    id_hash, id_masked, mobile, id_photo = ids
    now = deps.clock.now()
    visits, claims, registrations = facts
    decision = adjudicate(visits, claims, signed_at=now,
                          rules=uow.attribution.rules(cmd.office_id))
    if id_photo_uncertain:
        decision = needs_review_for(decision, ID_PHOTO_UNCERTAIN)
    own = [p for p, link in resolved.links.items() if not link.is_face]
    person = resolved.persons[own[0]] if own else None
    if person is None:
        person = Person.new(now=now, name=cmd.buyer_name)
        person.mobile, person.mobile_hash = mobile, deps.hasher.mobile(mobile)
        person = uow.persons.add_with_mobile(person)
    signing = Signing.record(
        office_id=cmd.office_id, person_id=person.id, buyer_name=cmd.buyer_name.strip(),
        id_hash=id_hash, id_masked=id_masked, contract_price_fen=cmd.contract_price_fen,
        signed_at=now, decision=decision, id_photo=id_photo, unit=cmd.unit)
    uow.attribution.add(signing)
    if id_photo is not None:
        uow.audit.append(at=now, actor=cmd.actor, action="id_face_verified", subject=person.id,
                         detail={"passed": id_photo[0], "score": id_photo[1]})
    uow.audit.append(at=now, actor=cmd.actor, action="attribution_decided", subject=signing.id,
                     detail={"registration": decision.registration_id,
                             "reasons": list(decision.reason_codes),
                             "needs_review": decision.needs_review,
                             "desk_consent": cmd.desk_consent_id})
    return SigningResult(signing=signing, decision=decision, registrations=registrations)


def _audit_id_check(cmd: SigningCmd, deps: Deps, check: VerifyResult) -> None:
    with deps.uow() as uow:
        uow.audit.append(at=deps.clock.now(), actor=cmd.actor, action="id_face_verified",
                         subject=None, detail={"passed": check.matched, "outcome": check.outcome,
                                               "score": round(check.distance, 4)})
        uow.commit()


@dataclass(frozen=True)
class ReviewCmd:
    """A manager's review: confirm the automatic decision, or choose a registration / natural."""

    signing_id: str
    reviewer: str
    reason: str
    confirm: bool = True
    registration_id: str | None = None


def review(cmd: ReviewCmd, deps: Deps) -> Signing:
    with deps.uow() as uow:
        signing = uow.attribution.signing(cmd.signing_id, lock=True)
        if signing is None:
            raise UnknownSigning()
        if cmd.confirm:
            registration_id, channel_id = signing.registration_id, signing.channel_id
        else:
            registration_id = cmd.registration_id
            channel_id = signing.decision.channel_for(registration_id) if registration_id else None
        now = deps.clock.now()
        signing.review(by=cmd.reviewer, at=now, reason=cmd.reason,
                       registration_id=registration_id, channel_id=channel_id)
        # the decision's reason joins the history: the desk's reason for sending it stays
        uow.attribution.add(ReviewNote.new(signing_id=signing.id, step=ReviewStep.DECIDED,
                                           actor=cmd.reviewer, at=now,
                                           reason=signing.review_reason or ""))
        uow.audit.append(at=now, actor=cmd.reviewer, action="attribution_reviewed",
                         subject=signing.id, detail={"registration": registration_id,
                                                     "confirmed": cmd.confirm,
                                                     "reason": signing.review_reason})
        uow.commit()
        return signing


def review_queue(office_id: str, deps: Deps) -> list[Signing]:
    with deps.uow() as uow:
        return uow.attribution.review_queue(office_id)


def get_signing(signing_id: str, deps: Deps) -> Signing:
    with deps.uow() as uow:
        signing = uow.attribution.signing(signing_id)
        if signing is None:
            raise UnknownSigning()
        return signing


@dataclass(frozen=True)
class Signer:
    mobile_hash: str
    id_hash: str
    signed_at: datetime


def adjudicate_batch(
    uow: UnitOfWork, office_id: str, signers: Sequence[Signer],
) -> list[Decision]:
    """Re-adjudicate many signings in a handful of queries (rule changes, audits, the
    benchmark). Mobile and ID evidence only: face links need the buyer at the desk."""
    by_mobile = {p.mobile_hash: p for p in uow.attribution.persons_by_mobile_hashes(
        [s.mobile_hash for s in signers])}
    by_id: dict[str, list[Person]] = defaultdict(list)
    for id_hash, person in uow.attribution.persons_by_id_hashes([s.id_hash for s in signers]):
        by_id[id_hash].append(person)
    resolved = []
    for s in signers:
        one = Resolved()
        one.add(by_mobile.get(s.mobile_hash), VisitLink.MOBILE)
        for person in by_id.get(s.id_hash, []):
            one.add(person, VisitLink.ID_NUMBER)
        resolved.append(one)
    persons = {pid: p for r in resolved for pid, p in r.persons.items()}
    by_person: dict[str, list[VisitEvidence]] = defaultdict(list)
    for visit in uow.attribution.visit_evidence(list(persons)) if persons else []:
        by_person[visit.person_id].append(visit)
    claims: dict[str, list[Registration]] = defaultdict(list)  # by hash and by 前三后四
    for r in uow.attribution.registrations_for_many(office_id, list(persons.values())):
        claims[r.mobile_hash or r.masked_mobile].append(r)
    rules = uow.attribution.rules(office_id)
    return [adjudicate(visit_facts((v for pid in r.persons for v in by_person[pid]), r,
                                   office_id), _batch_claims(uow, r, claims),
                       signed_at=s.signed_at, rules=rules) for s, r in zip(signers, resolved,
                                                                         strict=True)]


def _batch_claims(
    uow: UnitOfWork, resolved: Resolved, claims: dict[str, list[Registration]],
) -> list[ClaimFact]:
    found: dict[str, Registration] = {}
    for p in resolved.persons.values():
        keys = [p.mobile_hash, f"{p.mobile[:3]}****{p.mobile[-4:]}" if p.mobile else None]
        for r in (r for key in keys if key for r in claims.get(key, [])):
            if r.may_be(name=p.name, mobile=p.mobile, mobile_hash=p.mobile_hash):
                found[r.id] = r
    return claim_facts((r, _kind(uow, r.channel_id)) for r in found.values())
