"""签约台人脸核验的单独同意: the buyer's own yes or no to the signing desk's face check, asked
before any live photo, chip photo or face receipt is compared (C1, C22), under the desk's own
notice (C3).

The desk notice is the office's notice in force (controller, responsible person, retention,
rights) with a processing section generated from the desk's face uses switched on now, and a
hash over both: a change of either makes the consent stale (asked again). A refusal is recorded
the same way, with no biometric data: the signing goes on by ID number and mobile, with the same
attribution (C2). A record serves one signing, of the buyer whose ID number it was given for."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from keyuan.domain.canonical import sha256_hex
from keyuan.domain.checkin.face_uses import FaceUse, liveness_line, use_line
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.errors import DeskConsentMissing, DeskConsentRefused

DESK_USES = (FaceUse.SIGNING_ID_CHECK, FaceUse.SIGNING_LINK, FaceUse.SIGNING_SEARCH)
"""The face uses the signing desk runs on the buyer's live face (notice order)."""

_LEADS = {
    "zh-CN": ("签约台人脸核验仅在您本人单独同意后进行；不同意不影响签约和渠道归属判定（按身份证号"
              "和手机号进行）。未满 14 周岁不进行任何人脸处理。签约台开启的人脸用途如下：",
              "目的：", "由谁发起：", "方式：",
              "签约台未开启任何人脸用途：只按身份证号和手机号签约，不处理人脸。"),
    "en": ("The signing desk checks your face only after your own separate consent; refusing "
           "changes nothing for the signing or for which channel is credited (decided by ID "
           "number and mobile). No face is processed for anyone under 14. The desk's face uses "
           "switched on are:",
           "Purpose: ", "Who triggers it: ", "How: ",
           "No face use is switched on at the signing desk: signing is by ID number and mobile "
           "only, and no face is processed."),
}


def desk_uses(live: Sequence[FaceUse]) -> list[FaceUse]:
    """The desk's uses among the uses switched on, in notice order."""
    return [use for use in DESK_USES if use in live]


def desk_section(uses: Sequence[FaceUse], language: str, *, challenge: bool) -> str:
    """What the desk does with the buyer's face, one paragraph per use switched on, then how the
    liveness check (活体检测) runs on the live face — with head movements when `challenge`:
    generated from the configuration (the same texts as the kiosk notice), never drafted by
    hand; the uses' stable names are in `DeskNotice.uses`, not in the words the buyer reads."""
    lead, purpose, trigger, how, none = _LEADS.get(language, _LEADS["zh-CN"])
    if not uses:
        return none
    return "\n".join([lead, *(use_line(use, language, purpose, trigger, how) for use in uses),
                      liveness_line(uses, language, enrollment=False, challenge=challenge)])


@dataclass(frozen=True)
class DeskNotice:
    """The desk's notice for one office and language, as the buyer reads it before choosing."""

    office_id: str
    language: str
    base: Notice  # the office's notice in force: controller, retention, rights …
    uses: tuple[str, ...]
    processing: str
    content_hash: str

    @classmethod
    def generate(cls, base: Notice, uses: Sequence[FaceUse], language: str, *,
                 challenge: bool) -> DeskNotice:
        names = tuple(use.value for use in uses)
        processing = desk_section(uses, language, challenge=challenge)
        digest = sha256_hex({"kind": "signing_desk", "office_id": base.office_id,
                             "language": language, "base_notice": base.content_hash,
                             "face_uses": list(names), "processing": processing})
        return cls(office_id=base.office_id, language=language, base=base, uses=names,
                   processing=processing, content_hash=digest)

    def names(self, use: FaceUse) -> bool:
        return use.value in self.uses


@dataclass(eq=False)
class DeskConsent:
    """One buyer's answer at the desk. `id_hash`: the keyed hash of the ID number it was given
    for (as the signing stores it); `signing_id`: the signing it served, once it has."""

    id: str
    office_id: str
    id_hash: str
    given: bool
    language: str
    notice_hash: str
    base_notice_version: int
    face_uses: list[str]
    actor: str
    at: datetime
    signing_id: str | None = None

    @classmethod
    def record(cls, *, notice: DeskNotice, id_hash: str, given: bool, actor: str,
               now: datetime) -> DeskConsent:
        return cls(id=secrets.token_hex(16), office_id=notice.office_id, id_hash=id_hash,
                   given=given, language=notice.language, notice_hash=notice.content_hash,
                   base_notice_version=notice.base.version, face_uses=list(notice.uses),
                   actor=actor[:64], at=now)

    def require_for_face(self, *, office_id: str, id_hash: str) -> None:
        """C1: this record lets the desk process this buyer's face now, or it raises."""
        if self.office_id != office_id or self.id_hash != id_hash:
            raise DeskConsentMissing("That desk consent was recorded for another buyer or "
                                     "office: ask this buyer.")
        if self.signing_id is not None:
            raise DeskConsentMissing("That desk consent already served a signing: ask the "
                                     "buyer again for this one.")
        if not self.given:
            raise DeskConsentRefused()

    def belongs_to(self, *, office_id: str, id_hash: str) -> bool:
        return self.office_id == office_id and self.id_hash == id_hash
