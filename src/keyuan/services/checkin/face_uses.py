"""The face uses that run here, and the gate every one passes before a face is compared: switched
on in the configuration, named by the office's notice in force in every language, and — for a
person's template — covered by the notice that person consented under (C3, C7, C1).

What is switched on: the `face.uses` settings while the face module is on, and a camera lane
for each enabled camera of the office. Publishing a notice records `live_uses` and the
processing section generated from them; anything added afterwards makes the notice stale, and
the added use is refused (`UseNotInNotice`) until a notice naming it is published.

The processing section also tells of the liveness check (活体检测) as it runs: which decisions
read the frames for a live person, and — while `liveness.challenge_required` — which ask for head
movements, for the uses it names. A notice in force whose words differ from that (the challenge
switched on or off since publishing) lets no face be compared (`LivenessNotInNotice`) until it
is published again."""

from __future__ import annotations

from keyuan.domain.checkin.consent import Consent
from keyuan.domain.checkin.consultants import alert_line, purpose_with_alerts
from keyuan.domain.checkin.face_uses import (
    FaceUse,
    Lane,
    lane_line,
    liveness_line,
    ordered,
    processing_section,
    require_covered,
    require_liveness_told,
    require_named,
)
from keyuan.domain.checkin.notice import LANGUAGES, Notice
from keyuan.domain.errors import FaceUseOff, LaneNotInNotice, NoActiveNotice
from keyuan.services.ports import Deps, UnitOfWork

_SWITCHES = {
    FaceUse.RETURN_VISIT: "return_visit",
    FaceUse.ENROLLMENT_DEDUP: "enrollment_dedup",
    FaceUse.SIGNING_ID_CHECK: "signing_id_check",
    FaceUse.SIGNING_LINK: "signing_link",
    FaceUse.SIGNING_SEARCH: "signing_search",
    FaceUse.RIGHTS_IN_PERSON: "rights_in_person",
}


def lane_cameras(uow: UnitOfWork, office_id: str) -> list[Lane]:
    """The office's enabled cameras' lanes: each one is a face lane the notice names, with the
    way in beside it that no camera watches (C11)."""
    return [Lane(camera.name, camera.lane, camera.alternative)
            for camera in uow.capture.cameras(office_id) if camera.enabled]


def lanes_named(notice: Notice, lanes: list[Lane]) -> bool:
    """The notice's processing section says where each lane is and that its alternative is not
    watched, in the words generated from the camera's lane texts now."""
    return all(lane_line(lane, notice.language) in notice.processing for lane in lanes)


def require_lane_named(uow: UnitOfWork, office_id: str, camera_id: str, lane: Lane) -> None:
    """C3, C11: every notice in force names this camera's lane and its unwatched alternative as
    they are now (a lane text changed since publishing → `LaneNotInNotice`: publish again)."""
    for notice in notices_in_force(uow, office_id):
        if not lanes_named(notice, [lane]):
            raise LaneNotInNotice(
                f"The notice in force ({office_id}, {notice.language}, version "
                f"{notice.version}) does not name the lane of camera {camera_id} as it is now: "
                "publish it again (`keyuan notice republish`).", camera=camera_id,
                language=notice.language, version=notice.version)


def live_uses(uow: UnitOfWork, deps: Deps, office_id: str) -> list[FaceUse]:
    """Every face use switched on for the office now, in notice order; none with the face
    module off (C10)."""
    if deps.engine is None:
        return []
    switches = deps.face.uses
    on = {use for use, name in _SWITCHES.items() if getattr(switches, name)}
    if lane_cameras(uow, office_id):
        on.add(FaceUse.CAMERA_LANE)
    return [use for use in FaceUse if use in on]


def is_on(uow: UnitOfWork, deps: Deps, office_id: str, use: FaceUse) -> bool:
    return use in live_uses(uow, deps, office_id)


def told_liveness(uses: list[FaceUse], deps: Deps, language: str) -> str:
    """The kiosk notice's 活体检测 sentence for `uses` as this deployment runs it (kiosk
    enrollment always reads its frames for a live person; the challenge where it is required)."""
    if not uses:
        return ""
    return liveness_line(uses, language, enrollment=True,
                         challenge=deps.liveness.challenge_required)


def generated(uow: UnitOfWork, deps: Deps, office_id: str,
              language: str) -> tuple[list[str], str]:
    """What publishing records: the live uses' names and the processing section naming them,
    then how the liveness check runs, then what a consultant is told of a return
    (置业顾问提醒: never of a face one)."""
    uses = live_uses(uow, deps, office_id)
    section = processing_section(uses, language, lane_cameras(uow, office_id))
    liveness = told_liveness(uses, deps, language)
    parts = [section, *([liveness] if liveness else []), alert_line(language)]
    return [use.value for use in uses], "\n".join(parts)


def publish_generated(uow: UnitOfWork, deps: Deps, notice: Notice, *, version: int) -> None:
    """Publish `notice` with the processing section generated from the live configuration."""
    names, section = generated(uow, deps, notice.office_id, notice.language)
    notice.purpose = purpose_with_alerts(notice.purpose, notice.language)  # told = done
    notice.publish(version=version, now=deps.clock.now(), face_uses=names, processing=section)


def notices_in_force(uow: UnitOfWork, office_id: str) -> list[Notice]:
    return [n for n in (uow.notices.active(office_id, lang) for lang in LANGUAGES) if n]


def stale_uses(uow: UnitOfWork, deps: Deps, office_id: str) -> dict[str, list[str]]:
    """Per language of a notice in force: the uses switched on that it does not name — camera
    lanes too when it does not name every enabled camera's lane as it is now, and every one
    when it does not tell of the liveness check as it runs now."""
    live = live_uses(uow, deps, office_id)
    lanes = lane_cameras(uow, office_id)

    def named(notice: Notice, use: FaceUse) -> bool:
        return notice.names(use.value) and (use is not FaceUse.CAMERA_LANE
                                            or lanes_named(notice, lanes))

    return {n.language: [u.value for u in live if not (liveness_told(n, deps) and named(n, u))]
            for n in notices_in_force(uow, office_id)}


def require_use(uow: UnitOfWork, deps: Deps, office_id: str, use: FaceUse) -> None:
    """Before `use` compares a face: it is switched on (`FaceUseOff`), every notice in force
    of the office names it (`UseNotInNotice`: publish first) and tells of the liveness check as
    it runs (`LivenessNotInNotice`: publish again)."""
    if not is_on(uow, deps, office_id, use):
        raise FaceUseOff(f"The face use '{use.value}' is switched off.", use=use.value)
    in_force = notices_in_force(uow, office_id)
    if not in_force:
        raise NoActiveNotice()
    for notice in in_force:
        require_named(use, notice.face_uses, office_id=office_id, language=notice.language,
                      version=notice.version)
    _require_liveness_told(in_force, deps)


def _liveness_now(notice: Notice, deps: Deps) -> str:
    """The liveness words `notice` must carry now: for the uses it names, the ones that can run
    under it (a use switched on since is refused until named, so a camera added does not make
    them wrong; the challenge switched on or off does)."""
    return told_liveness(ordered(notice.face_uses), deps, notice.language)


def liveness_told(notice: Notice, deps: Deps) -> bool:
    """The notice tells of the liveness check as it runs now."""
    line = _liveness_now(notice, deps)
    return not line or line in notice.processing


def require_liveness_in_notices(uow: UnitOfWork, deps: Deps, office_id: str) -> None:
    """Told equals done (issue 18): before a face is read for a live person, every notice in
    force tells of the liveness check as it runs now (`LivenessNotInNotice`: publish again)."""
    _require_liveness_told(notices_in_force(uow, office_id), deps)


def _require_liveness_told(notices: list[Notice], deps: Deps) -> None:
    for notice in notices:
        require_liveness_told(_liveness_now(notice, deps), notice.processing,
                              office_id=notice.office_id, language=notice.language,
                              version=notice.version)


def consent_covers(uow: UnitOfWork, consent: Consent, use: FaceUse) -> bool:
    notice = uow.notices.by_hash(consent.notice_hash)
    return notice is not None and notice.names(use.value)


def require_consent_covers(uow: UnitOfWork, consent: Consent, use: FaceUse) -> None:
    """C1: a consent covers only the uses named by the notice it was given under."""
    notice = uow.notices.by_hash(consent.notice_hash)
    require_covered(use, notice.face_uses if notice is not None else ())
