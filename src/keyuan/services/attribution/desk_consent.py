"""The signing desk asks first (C1, C5, C22): the desk's own notice, generated from the live
configuration, and the buyer's separate yes or no to the desk's face check, recorded and audited
before any live photo, chip photo or face receipt is compared.

`require_for_face` is the gate `signing.sign` passes before it decodes, detects or embeds
anything: a buyer under 14 by the birth date in their ID number gets no face processing at all,
and everyone else only under a consent given for them, at this office, under the desk notice in
force, naming each use the signing runs. A refusal is recorded like a consent (no biometric
data) and the signing goes on by ID number and mobile, with the same attribution."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from keyuan.domain.attribution.desk_consent import DeskConsent, DeskNotice, desk_uses
from keyuan.domain.attribution.idcard import IdNumber, parse_id_number
from keyuan.domain.checkin.face_uses import FaceUse, require_covered
from keyuan.domain.checkin.notice import LANGUAGES
from keyuan.domain.display import DISPLAY_ZONE
from keyuan.domain.errors import (
    DeskConsentMissing,
    FaceUseOff,
    NoticeMismatch,
    UnderFourteenNoFace,
)
from keyuan.services.checkin.face_uses import live_uses
from keyuan.services.checkin.kiosk import active_notice
from keyuan.services.ports import Deps, UnitOfWork


def current_notice(uow: UnitOfWork, deps: Deps, office_id: str, language: str) -> DeskNotice:
    """The desk notice in force: the office's notice in `language` (else zh-CN) with the desk's
    face uses switched on now (`UnknownOffice`, `NoActiveNotice` as for the kiosk)."""
    base = active_notice(uow, office_id, language)
    return DeskNotice.generate(base, desk_uses(live_uses(uow, deps, office_id)), base.language,
                               challenge=deps.liveness.challenge_required)


def desk_notice(office_id: str, language: str, deps: Deps) -> DeskNotice:
    with deps.uow() as uow:
        return current_notice(uow, deps, office_id, language)


def _notice_by_hash(uow: UnitOfWork, deps: Deps, office_id: str,
                    notice_hash: str) -> DeskNotice:
    """The desk notice in force the buyer was shown, in whichever language (`NoticeMismatch`
    for any other: the desk shows the notice again and asks again)."""
    for language in LANGUAGES:
        notice = current_notice(uow, deps, office_id, language)
        if notice.content_hash == notice_hash:
            return notice
    raise NoticeMismatch("That is not the signing desk's notice in force: show the buyer the "
                         "current one and ask again.")


def id_of(raw: str, deps: Deps) -> IdNumber:
    """The ID number, validated against today in Shanghai (the injected clock)."""
    return parse_id_number(raw, today=deps.clock.now().astimezone(DISPLAY_ZONE).date())


def refuse_if_under_14(id_number: IdNumber, deps: Deps) -> None:
    """C5: the birth date in the ID number says under 14: no face processing of any kind."""
    if id_number.under_face_age(deps.clock.now().astimezone(DISPLAY_ZONE).date()):
        raise UnderFourteenNoFace()


@dataclass(frozen=True)
class DeskConsentCmd:
    office_id: str
    id_number: str
    notice_hash: str
    given: bool
    actor: str


def record(cmd: DeskConsentCmd, deps: Deps) -> DeskConsent:
    """The buyer's answer, under the desk notice they were shown, for their ID number. A "yes"
    is refused for a buyer under 14 and when the desk runs no face use; a "no" is always
    recorded. Audited either way (no biometric data in the record or the audit)."""
    id_number = id_of(cmd.id_number, deps)
    if cmd.given:
        refuse_if_under_14(id_number, deps)
    with deps.uow() as uow:
        notice = _notice_by_hash(uow, deps, cmd.office_id, cmd.notice_hash)
        if cmd.given and not notice.uses:
            raise FaceUseOff("The signing desk runs no face use here: sign by ID number and "
                             "mobile.")
        now = deps.clock.now()
        consent = uow.desk_consents.add(DeskConsent.record(
            notice=notice, id_hash=deps.hasher.id_number(id_number.value), given=cmd.given,
            actor=cmd.actor, now=now))
        uow.audit.append(at=now, actor=cmd.actor[:64],
                         action="desk_consent_given" if cmd.given else "desk_consent_refused",
                         subject=None, detail={"desk_consent": consent.id,
                                               "office": cmd.office_id,
                                               "notice_hash": notice.content_hash,
                                               "language": notice.language,
                                               "face_uses": list(notice.uses)})
        uow.commit()
        return consent


def require_for_face(uow: UnitOfWork, deps: Deps, *, consent_id: str | None, office_id: str,
                     id_hash: str, uses: Sequence[FaceUse]) -> DeskConsent:
    """C1: the buyer's own consent to the desk's face check covers `uses` now, or this raises
    (`DeskConsentMissing`, `DeskConsentRefused`, `NoticeMismatch`, `ConsentNotCovering`)."""
    consent = uow.desk_consents.get(consent_id) if consent_id else None
    if consent is None:
        raise DeskConsentMissing()
    consent.require_for_face(office_id=office_id, id_hash=id_hash)
    if current_notice(uow, deps, office_id, consent.language).content_hash != \
            consent.notice_hash:
        raise NoticeMismatch("The signing desk's notice changed since the buyer answered: show "
                             "the current one and ask again.")
    for use in uses:
        require_covered(use, consent.face_uses)
    return consent


def use_for_signing(uow: UnitOfWork, *, consent_id: str, office_id: str, id_hash: str,
                    signing_id: str) -> None:
    """The record serves this signing (locked: one signing per record); a record of another
    buyer or one that served a signing already is refused."""
    consent = uow.desk_consents.lock(consent_id)
    if consent is None or not consent.belongs_to(office_id=office_id, id_hash=id_hash):
        raise DeskConsentMissing("That desk consent was recorded for another buyer or office: "
                                 "ask this buyer.")
    if consent.signing_id is not None:
        raise DeskConsentMissing("That desk consent already served a signing: ask the buyer "
                                 "again for this one.")
    consent.signing_id = signing_id
