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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from keyuan.domain.attribution import household
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
from keyuan.domain.attribution.escort import with_escort_lines
from keyuan.domain.attribution.household import BuyerRecord, buyer_label, role_words
from keyuan.domain.attribution.idcard import IdNumber
from keyuan.domain.attribution.registration import Registration
from keyuan.domain.attribution.repositories import VisitEvidence
from keyuan.domain.checkin.challenge import ChallengePlace
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.person import Person
from keyuan.domain.errors import (
    ConsentMissing,
    DuplicateSigning,
    KeyuanError,
    NotVerified,
    TemplateModelMismatch,
    UnknownConsent,
    UnknownOffice,
    UnknownSigning,
)
from keyuan.domain.mobile import normalize_mobile
from keyuan.services import throttle
from keyuan.services.attribution import desk_consent, teams
from keyuan.services.attribution.escort import escorts_of
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin.challenges import challenge_for
from keyuan.services.checkin.face_gate import engine_for, face_engine
from keyuan.services.checkin.face_uses import (
    consent_covers,
    is_on,
    require_consent_covers,
    require_use,
)
from keyuan.services.checkin.liveness_gate import require_live_decision
from keyuan.services.checkin.persons import new_person_with_mobile
from keyuan.services.checkin.receipts import consent_by_reference
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceEngine, Template
from keyuan.services.faces.liveness import LiveFrames
from keyuan.services.faces.matching import VerifyResult, verify_claim
from keyuan.services.faces.probe import probe_from_frames
from keyuan.services.faces.slots import require_frame_times
from keyuan.services.ports import Deps, UnitOfWork


@dataclass(frozen=True)
class BuyerCmd:
    """One buyer on the contract, with their own path at the desk: ID number and mobile, and
    face evidence only under their own desk consent (C1, C22)."""

    name: str
    id_number: str
    mobile: str
    main: bool = False  # the 主购人; every other buyer is a 共同购房人
    relation: str | None = None  # a co-buyer's relation to the main buyer (`Relation`)
    live_frames: Sequence[bytes] = ()
    frame_times_ms: Sequence[int] | None = None  # each live frame's capture time on the client
    frame_steps: Sequence[int | None] | None = None  # the challenge step of each live frame
    chip_photo: bytes | None = None
    face_receipt_id: str | None = None  # the buyer's own earlier face check-in, if they say so
    desk_consent_id: str | None = None  # the buyer's answer to the desk's face check
    challenge_id: str | None = None  # the liveness challenge asked for this buyer's live face

    @property
    def has_face_evidence(self) -> bool:
        return bool(self.live_frames) or self.chip_photo is not None or bool(self.face_receipt_id)


@dataclass(frozen=True)
class SigningCmd:
    """A signing. The fields name the main buyer (主购人); `co_buyers` the 共同购房人, if any
    (`for_household` builds one from a list of buyers, refusing no or two main buyers)."""

    office_id: str
    buyer_name: str
    id_number: str
    mobile: str
    contract_price_fen: int
    actor: str
    live_frames: Sequence[bytes] = ()
    frame_times_ms: Sequence[int] | None = None  # each live frame's capture time on the client
    frame_steps: Sequence[int | None] | None = None  # the challenge step of each live frame
    chip_photo: bytes | None = None
    face_receipt_id: str | None = None  # the buyer's own earlier face check-in, if they say so
    unit: str | None = None  # the flat or house sold (房号)
    desk_consent_id: str | None = None  # the buyer's answer to the desk's face check
    co_buyers: Sequence[BuyerCmd] = ()
    relation: str | None = None
    challenge_id: str | None = None  # the liveness challenge asked for the main buyer's face

    @property
    def has_face_evidence(self) -> bool:
        return bool(self.live_frames) or self.chip_photo is not None or bool(self.face_receipt_id)

    @property
    def buyers(self) -> list[BuyerCmd]:
        """Every buyer in contract order: the main buyer first."""
        main = BuyerCmd(name=self.buyer_name, id_number=self.id_number, mobile=self.mobile,
                        main=True, relation=self.relation, live_frames=self.live_frames,
                        frame_times_ms=self.frame_times_ms, frame_steps=self.frame_steps,
                        chip_photo=self.chip_photo,
                        face_receipt_id=self.face_receipt_id,
                        desk_consent_id=self.desk_consent_id, challenge_id=self.challenge_id)
        return [main, *self.co_buyers]

    @classmethod
    def for_household(cls, *, office_id: str, buyers: Sequence[BuyerCmd],
                      contract_price_fen: int, actor: str, unit: str | None = None,
                      ) -> SigningCmd:
        main, *co = household.main_first(buyers, lambda b: b.main)
        return cls(office_id=office_id, buyer_name=main.name, id_number=main.id_number,
                   mobile=main.mobile, contract_price_fen=contract_price_fen, actor=actor,
                   live_frames=main.live_frames, frame_times_ms=main.frame_times_ms,
                   frame_steps=main.frame_steps,
                   chip_photo=main.chip_photo,
                   face_receipt_id=main.face_receipt_id, unit=unit,
                   desk_consent_id=main.desk_consent_id, co_buyers=tuple(co),
                   relation=main.relation, challenge_id=main.challenge_id)


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


def _live_probe(cmd: BuyerCmd, deps: Deps,
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


def _desk_uses(cmd: BuyerCmd, office_id: str, deps: Deps, id_number: IdNumber,
               id_hash: str) -> list[FaceUse]:
    """The face uses this signing runs on the buyer's face, let through before any face
    evidence is decoded: not for a buyer under 14 (C5), only under the buyer's own consent to
    the desk's face check naming each (C1, C22), and each named by the notice in force (C3;
    `UseNotInNotice` otherwise). No face evidence: no use, no question."""
    if not cmd.has_face_evidence:
        return []
    face_engine(deps)  # the face module is on and assessed (C10, C23), or no face step at all
    desk_consent.refuse_if_under_14(id_number, deps)
    with deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice()
        uses = [FaceUse.SIGNING_SEARCH] if is_on(uow, deps, office_id,
                                                 FaceUse.SIGNING_SEARCH) else []
        if cmd.chip_photo is not None:
            uses.append(FaceUse.SIGNING_ID_CHECK)
        if cmd.face_receipt_id:
            uses.append(FaceUse.SIGNING_LINK)
        for use in uses:
            require_use(uow, deps, office_id, use)
        desk_consent.require_for_face(uow, deps, consent_id=cmd.desk_consent_id,
                                      office_id=office_id, id_hash=id_hash, uses=uses)
    return uses


ClaimProbe = tuple[Template | None, FaceEngine | None]
"""The live template on the scale of the claimed template's model, and the engine that made it."""


def _claim_probe(cmd: BuyerCmd, deps: Deps, probe: Template | None) -> ClaimProbe:
    """A face check-in made by an earlier model is compared by that model's engine: the live
    frames are embedded again by it (memory only)."""
    if not cmd.face_receipt_id or probe is None:
        return probe, deps.engine
    with deps.uow() as uow:
        consent = consent_by_reference(uow, cmd.face_receipt_id)
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
    consent = consent_by_reference(uow, receipt_id)  # 回执编号 or an older receipt's long id
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


def with_consultants(uow: UnitOfWork, visits: list[VisitFact]) -> list[VisitFact]:
    """Each visit with the 置业顾问 reception assigned to it, if any (the decision records who
    received the first visit, for the 自访 commission some offices pay their own staff)."""
    assigned = uow.consultants.of_visits([v.id for v in visits])
    return [replace(v, consultant=assigned[v.id].consultant) if v.id in assigned else v
            for v in visits]


def claim_facts(claims: Iterable[tuple[Registration, str]]) -> list[ClaimFact]:
    """(registration, its channel's kind) → the claims the rules judge, earliest first."""
    return [ClaimFact(r.id, r.channel_id, kind, r.created_at, r.conflict)
            for r, kind in sorted(claims, key=lambda rk: (rk[0].created_at, rk[0].id))]


def escort_facts(uow: UnitOfWork, claims: Sequence[str], office_id: str,
                 known: Iterable[VisitFact] = ()) -> list[VisitFact]:
    """The escorted visits (到访确认) recorded on these claims, which are the signer's by their
    mobile: evidence tied by mobile, though no person was kept for them (`confirm_visit`).
    A visit already among `known` is not repeated (escorts from before migration 0028 also
    have a person)."""
    seen = {v.id for v in known}
    return [VisitFact(id=v.id, at=v.at, method=v.method.value, link=VisitLink.MOBILE,
                      corrected_at=_latest_correction(uow, v.id))
            for v in uow.visits.escorts_of(claims)
            if v.office_id == office_id and v.id not in seen]


def _latest_correction(uow: UnitOfWork, visit_id: str) -> datetime | None:
    corrections = uow.attribution.corrections_of(visit_id)
    return max(corrections, key=lambda c: c.recorded_at).corrected_at if corrections else None


def _with_escorts(uow: UnitOfWork, office_id: str, visits: list[VisitFact],
                  claims: Sequence[str]) -> list[VisitFact]:
    escorts = escort_facts(uow, claims, office_id, visits)
    return sorted([*visits, *escorts], key=lambda v: (v.at, v.id)) if escorts else visits


def facts_for(uow: UnitOfWork, office_id: str, resolved: Resolved,
              buyer: Person | None = None) -> Facts:
    """Original visits of every linked person, every claim that may be about one of them or
    about the `buyer` at the desk (who may have no record: a customer never kept on file),
    and the escorted visits recorded on those claims."""
    persons = [*resolved.persons.values(), *([buyer] if buyer is not None else [])]
    if not persons:
        return [], [], []
    visits = (uow.attribution.visit_evidence(list(resolved.persons)) if resolved.persons
              else [])
    claims = uow.attribution.registrations_for(office_id, persons)
    return (_with_escorts(uow, office_id, visit_facts(visits, resolved, office_id),
                          [r.id for r in claims]),
            claim_facts((r, _kind(uow, r.channel_id)) for r in claims), claims)


def desk_facts(uow: UnitOfWork, office_id: str, mobile_hash: str, id_hash: str,
               buyer: Person | None = None) -> tuple[Resolved, Facts]:
    """`resolve` + `facts_for` in one round trip (`AttributionStore.desk_evidence`): the same
    persons, visits and claims, filtered the same way (the escorts of those claims are a
    second read, only when there are claims)."""
    mobile = buyer.mobile if buyer is not None and buyer.mobile else ""
    evidence = uow.attribution.desk_evidence(office_id, mobile_hash, id_hash, mobile)
    resolved = _resolved(evidence.persons, mobile_hash)
    persons = [*resolved.persons.values(), *([buyer] if buyer is not None else [])]
    mine = sorted(((r, kind) for r, kind in evidence.claims if any(
        r.may_be(name=p.name, mobile=p.mobile, mobile_hash=p.mobile_hash) for p in persons)),
        key=lambda rk: (rk[0].created_at, rk[0].id))
    claims = [r for r, _ in mine]
    visits = visit_facts(evidence.visits, resolved, office_id)
    return resolved, (_with_escorts(uow, office_id, visits, [r.id for r in claims])
                      if claims else visits,
                      claim_facts(mine), claims)


def _kind(uow: UnitOfWork, channel_id: str) -> str:
    channel = uow.attribution.channel(channel_id)  # identity map: one query per channel
    return channel.kind.value if channel else "unknown"


@dataclass
class _Buyer:
    """One buyer as the desk checked them: ID number, mobile, their hashes, and the outcome of
    their own face checks (memory only)."""

    cmd: BuyerCmd
    position: int
    id_number: IdNumber
    mobile: str
    id_hash: str
    mobile_hash: str
    probe: Template | None = None
    chip_check: VerifyResult | None = None
    hits: list[tuple[str, VisitLink]] = field(default_factory=list)
    claim_probe: ClaimProbe = (None, None)

    @property
    def label(self) -> str:
        return buyer_label(self.position)

    @property
    def id_photo(self) -> tuple[bool, float] | None:
        check = self.chip_check
        return None if check is None else (check.matched, round(check.distance, 4))


def _naming(exc: KeyuanError, position: int, household_: bool) -> KeyuanError:
    """In a household, an error about one buyer says which (by role, never by number)."""
    if household_:
        exc.message = f"{role_words(position).capitalize()}: {exc.message}"
        exc.details.setdefault("buyer", buyer_label(position))
    return exc


def _checked(cmd: SigningCmd, deps: Deps) -> list[_Buyer]:
    """Every buyer's ID number and mobile validated; one person named once (`DuplicateBuyer`)."""
    buyers, many = [], len(cmd.buyers) > 1
    for position, b in enumerate(cmd.buyers):
        try:
            id_number = desk_consent.id_of(b.id_number, deps)
            mobile = normalize_mobile(b.mobile)
            require_frame_times(b.live_frames, b.frame_times_ms)
        except KeyuanError as exc:
            raise _naming(exc, position, many) from None
        buyers.append(_Buyer(cmd=b, position=position, id_number=id_number, mobile=mobile,
                             id_hash=deps.hasher.id_number(id_number.value),
                             mobile_hash=deps.hasher.mobile(mobile)))
    household.refuse_repeats([b.id_hash for b in buyers], "ID number")
    household.refuse_repeats([b.mobile_hash for b in buyers], "mobile")
    return buyers


def _face_checks(buyer: _Buyer, cmd: SigningCmd, deps: Deps, many: bool) -> None:
    """This buyer's own face path, before anything is written: their desk consent, the chip
    check (no match is refused), the 1:N search and the live probe for a claimed check-in.
    A buyer without face evidence takes the ID number + mobile path: nothing here runs."""
    try:
        uses = _desk_uses(buyer.cmd, cmd.office_id, deps, buyer.id_number, buyer.id_hash)
        if buyer.cmd.live_frames and uses:
            live = _live_check(buyer.cmd, cmd, deps)  # the checks below read the frontal frames
            buyer.cmd = replace(buyer.cmd, live_frames=live.facing(buyer.cmd.live_frames))
        buyer.probe, buyer.chip_check = _live_probe(buyer.cmd, deps, uses)
        if buyer.chip_check is not None and buyer.chip_check.outcome == "no_match":
            _audit_id_check(cmd, deps, buyer.chip_check)
            raise NotVerified("The live face does not match the ID chip photo. Check the ID "
                              "card by hand; signing without photos always works.")
        if buyer.probe is not None:
            buyer.hits = _gallery_hits(cmd, deps, buyer.probe,
                                       (buyer.mobile_hash, buyer.id_hash))
        buyer.claim_probe = _claim_probe(buyer.cmd, deps, buyer.probe)
    except KeyuanError as exc:
        raise _naming(exc, buyer.position, many) from None


def _live_check(buyer: BuyerCmd, cmd: SigningCmd, deps: Deps) -> LiveFrames:
    """The buyer's live frames show a live person (活体检测) before any identity check reads
    them: the buyer's liveness challenge, issued to this clerk at this office and used up
    (committed) before their frames are looked at — one challenge, one buyer's frames — when
    one is sent or required, else the passive checks (a still photo never passes the ID + face
    check). A refusal is audited and counted against the clerk's face attempts. Returns which
    frames face the camera: when a challenge ran, the identity checks read only those."""
    with deps.uow() as uow:
        challenge = challenge_for(uow, deps, buyer.challenge_id,
                                  place=ChallengePlace.SIGNING_DESK, subject=cmd.actor,
                                  office_id=cmd.office_id)
        uow.commit()
    with deps.face_slots.hold():
        return require_live_decision(
            deps, buyer.live_frames, buyer.frame_times_ms, buyer.frame_steps,
            challenge=challenge, use="signing_desk", actor=cmd.actor,
            counted=() if challenge is not None  # counted when the challenge was issued
            else throttle.staff_face_buckets(deps, staff=cmd.actor, client=None))


def sign(cmd: SigningCmd, deps: Deps) -> SigningResult:
    """Validate every buyer's ID and mobile, run each buyer's own desk gate and optional face
    checks, resolve each buyer, adjudicate the household as one customer, record."""
    buyers = _checked(cmd, deps)
    many = len(buyers) > 1
    for buyer in buyers:
        _face_checks(buyer, cmd, deps, many)
    with deps.uow() as uow:
        if uow.offices.get(cmd.office_id) is None:
            raise UnknownOffice()
        for id_hash in sorted({b.id_hash for b in buyers}):  # one order: no lock cycle
            uow.attribution.lock_buyer(id_hash)  # a parallel post of the same buyer waits here
        _refuse_duplicate(uow, cmd, deps, [(b.id_hash, b.mobile_hash) for b in buyers])
        evidence = []
        for buyer in buyers:
            try:
                evidence.append(_buyer_evidence(uow, cmd, deps, buyer))
            except KeyuanError as exc:
                raise _naming(exc, buyer.position, many) from None
        result = _record(uow, cmd, deps, buyers, evidence)
        for buyer in buyers:
            if buyer.cmd.desk_consent_id:
                desk_consent.use_for_signing(uow, consent_id=buyer.cmd.desk_consent_id,
                                             office_id=cmd.office_id, id_hash=buyer.id_hash,
                                             signing_id=result.signing.id)
        uow.commit()
        return result


def _buyer_evidence(uow: UnitOfWork, cmd: SigningCmd, deps: Deps,
                    buyer: _Buyer) -> tuple[Resolved, Facts]:
    """One buyer resolved (mobile, ID number, then their own face links) with their facts,
    each tagged with the buyer's role."""
    at_desk = Person(id="", created_at=deps.clock.now(), name=buyer.cmd.name.strip() or None,
                     mobile=buyer.mobile, mobile_hash=buyer.mobile_hash)  # never stored
    resolved, facts = desk_facts(uow, cmd.office_id, buyer.mobile_hash, buyer.id_hash, at_desk)
    on_file = len(resolved.persons)
    if buyer.cmd.face_receipt_id:
        claimed, link = _claimed_face_link(uow, buyer.cmd.face_receipt_id, buyer.claim_probe,
                                           deps, cmd.actor)
        resolved.add(uow.persons.get(claimed), link)
    for key, link in buyer.hits:
        if _holds_face_consent(uow, [key]):
            resolved.add(uow.persons.get(key), link)
    if len(resolved.persons) > on_file:  # a face link: gather facts for everyone again
        facts = facts_for(uow, cmd.office_id, resolved, at_desk)
    visits, claims, registrations = facts
    return resolved, ([replace(v, buyer=buyer.label) for v in visits],
                      [replace(c, buyer=buyer.label) for c in claims], registrations)


def household_facts(per_buyer: Sequence[Facts]) -> Facts:
    """The household's facts, judged as one customer's: every buyer's visits and claims, each
    once (a visit or claim reached through two buyers keeps the first buyer's role, the main
    buyer first)."""
    visits: dict[str, VisitFact] = {}
    claims: dict[str, ClaimFact] = {}
    registrations: dict[str, Registration] = {}
    for buyer_visits, buyer_claims, buyer_registrations in per_buyer:
        for v in buyer_visits:
            visits.setdefault(v.id, v)
        for c in buyer_claims:
            claims.setdefault(c.registration_id, c)
        for r in buyer_registrations:
            registrations.setdefault(r.id, r)
    return (sorted(visits.values(), key=lambda v: (v.at, v.id)),
            sorted(claims.values(), key=lambda c: (c.created_at, c.registration_id)),
            sorted(registrations.values(), key=lambda r: (r.created_at, r.id)))


def _refuse_duplicate(uow: UnitOfWork, cmd: SigningCmd, deps: Deps,
                      buyers: Sequence[tuple[str, str]]) -> None:
    """One of the buyers (ID number and mobile, whichever their role) signing for the same unit
    and price within `deps.signing_duplicate_seconds` is a double post, not a second sale: one
    commission — also when the post names the main buyer differently."""
    if deps.signing_duplicate_seconds <= 0:
        return
    since = deps.clock.now() - timedelta(seconds=deps.signing_duplicate_seconds)
    unit = (cmd.unit or "").strip() or None
    existing = uow.attribution.recent_signing(cmd.office_id, buyers, cmd.contract_price_fen,
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


def _person_of(uow: UnitOfWork, deps: Deps, buyer: _Buyer, resolved: Resolved,
               now: datetime) -> Person:
    """The buyer's own record: linked by mobile or ID number (never a face link), else new."""
    own = [p for p, link in resolved.links.items() if not link.is_face]
    if own:
        return resolved.persons[own[0]]
    return new_person_with_mobile(uow, buyer.mobile, buyer.mobile_hash, name=buyer.cmd.name,
                                  now=now)


def _record(
    uow: UnitOfWork, cmd: SigningCmd, deps: Deps, buyers: Sequence[_Buyer],
    evidence: Sequence[tuple[Resolved, Facts]],
) -> SigningResult:
    now = deps.clock.now()
    visits, claims, registrations = household_facts([facts for _, facts in evidence])
    visits = with_consultants(uow, visits)
    rules = uow.attribution.rules(cmd.office_id)
    decision = adjudicate(visits, teams.with_claim_rules(uow, rules, claims), signed_at=now,
                          household=len(buyers) > 1, rules=rules)
    decision = replace(decision, trace=with_escort_lines(decision.trace,
                                                         escorts_of(uow, decision)))
    uncertain = [b for b in buyers if b.chip_check is not None and b.chip_check.uncertain]
    if uncertain:  # each buyer's own uncertain check: a person decides, never the score
        decision = needs_review_for(decision, ID_PHOTO_UNCERTAIN, buyers=[
            b.label for b in uncertain] if len(buyers) > 1 else ())
    persons = [_person_of(uow, deps, b, resolved, now)
               for b, (resolved, _) in zip(buyers, evidence, strict=True)]
    main = buyers[0]
    signing = Signing.record(
        office_id=cmd.office_id, person_id=persons[0].id, buyer_name=main.cmd.name.strip(),
        id_hash=main.id_hash, id_masked=main.id_number.masked,
        contract_price_fen=cmd.contract_price_fen, signed_at=now, decision=decision,
        id_photo=main.id_photo, unit=cmd.unit, relation=main.cmd.relation,
        co_buyers=[BuyerRecord(person_id=p.id, name=b.cmd.name, id_hash=b.id_hash,
                               id_masked=b.id_number.masked, relation=b.cmd.relation,
                               id_photo=b.id_photo)
                   for b, p in zip(buyers[1:], persons[1:], strict=True)])
    uow.attribution.add(signing)
    for b, person in zip(buyers, persons, strict=True):
        if b.id_photo is not None:
            uow.audit.append(at=now, actor=cmd.actor, action="id_face_verified",
                             subject=person.id,
                             detail={"passed": b.id_photo[0], "score": b.id_photo[1]})
    uow.audit.append(at=now, actor=cmd.actor, action="attribution_decided", subject=signing.id,
                     detail={"registration": decision.registration_id,
                             "reasons": list(decision.reason_codes),
                             "needs_review": decision.needs_review,
                             "desk_consent": cmd.desk_consent_id,
                             "buyers": len(buyers), "decided_by": dict(decision.decided_by)})
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
    own_rules = teams.claim_rules(uow, rules, {r.id: r for rs in claims.values()
                                               for r in rs}.values())
    decisions = []
    for signer, one in zip(signers, resolved, strict=True):
        found = teams.apply_rules(_batch_claims(uow, one, claims), own_rules)
        visits = visit_facts((v for pid in one.persons for v in by_person[pid]), one, office_id)
        if found:
            visits = _with_escorts(uow, office_id, visits, [c.registration_id for c in found])
        decisions.append(adjudicate(visits, found, signed_at=signer.signed_at, rules=rules))
    return decisions


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
