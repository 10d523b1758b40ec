"""Capture use cases: register cameras, confirm signage, and turn a frame into (at most) a visit.

Pipeline, all in memory: detect → quality gate → embed → 1:N over the consented gallery at the
calibrated thresholds for its live size (FPIR <= 0.1%) → track → liveness → visit after two
agreeing sightings that look like a live person (not identical, not one picture moved about,
capture times apart as a camera's frames: `domain.capture.tracks`), one per person per office
per window. A face that matches nobody is forgotten when the loop moves on: its template is a
local variable, and only an hourly count is kept (C11). A matched face's liveness cue (a small
aligned grey thumbnail and five landmarks) lives in its track, in memory, until the track is
live or idle for the track gap; a track that does not look live is only counted (`not_live`,
by reason), never written anywhere."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from keyuan.domain.capture.cameras import (
    Camera,
    CameraProfile,
    Signage,
    camera_profile,
    check_capture_time,
    lane_texts,
    new_camera_id,
    new_token,
    picture_host,
    require_ambient_allowed,
)
from keyuan.domain.capture.errors import (
    CameraLaneMissing,
    CameraProfileInvalid,
    CameraTokenInvalid,
    CaptureBusy,
    UnknownCamera,
)
from keyuan.domain.capture.tracks import Track
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse, Lane
from keyuan.domain.checkin.visit import Visit, VisitMethod
from keyuan.domain.errors import KeyuanError, UnknownOffice
from keyuan.services.capture.faces import FrameData, FrameFaces
from keyuan.services.capture.ports import FramePipeline
from keyuan.services.checkin.face_gate import face_engine
from keyuan.services.checkin.face_uses import consent_covers, require_lane_named, require_use
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.ports import Deps, UnitOfWork

PRUNE_EVERY_FRAMES = 256

Opened = tuple[Camera, FaceEngine]
"""A camera `open_camera` let through, and the face engine its frames go to."""


@dataclass
class Outcome:
    """What one frame produced. Counts only, plus the ids of visits stored for it."""

    faces: int = 0
    low_quality: int = 0
    matched: int = 0
    needs_review: int = 0
    unmatched: int = 0
    not_live: int = 0
    """Sightings whose track had enough sightings but did not look like a live person."""
    visits: list[str] = field(default_factory=list)


def register_camera(rt: FramePipeline, office_id: str, name: str, *, lane: str,
                    alternative: str, actor: str,
                    profile: str = CameraProfile.STANDARD) -> tuple[Camera, str]:
    """A new camera covering the marked `lane`, with `alternative` the way in no camera watches
    (both required, 422 `camera_lane_required`, C11), and its token; the token is returned once
    and only its keyed hash kept. It is registered switched off, like every face use (C11,
    C23: nothing runs before the office has confirmed the lane on site, the notice names it and
    the impact assessment covers it); someone switches it on (`set_camera_enabled`, audited)
    once they are done. `profile` says how its pushes are parsed (422 `camera_profile_invalid`
    if unknown)."""
    lane, alternative = lane_texts(lane, alternative)
    kind = camera_profile(profile)
    token = new_token()
    with rt.deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice()
        now = rt.deps.clock.now()
        camera = Camera(id=new_camera_id(), office_id=office_id, name=name,
                        token_hash=rt.token_hash(token), enabled=False, created_at=now,
                        lane=lane, alternative=alternative, profile=kind)
        uow.capture.add_camera(camera)
        uow.audit.append(at=now, actor=actor[:64], action="camera_registered", subject=camera.id,
                         detail={"office": office_id, "name": name, "lane": lane,
                                 "alternative": alternative, "profile": kind.value})
        uow.commit()
    return camera, token


def set_camera_lane(rt: FramePipeline, camera_id: str, lane: str, alternative: str, *,
                    actor: str) -> Camera:
    """New lane texts for a camera (both required); a change withdraws the office's
    confirmation, makes the impact assessment stale and the notice out of date: the gate stays
    closed until all three are done again. Audited with the old and new texts."""
    with rt.deps.uow() as uow:
        camera = uow.capture.camera(camera_id)
        if camera is None:
            raise UnknownCamera()
        changed = camera.with_lane(lane, alternative)
        if changed is not camera:
            uow.capture.set_lane(changed)
            uow.audit.append(at=rt.deps.clock.now(), actor=actor[:64], action="camera_lane_set",
                             subject=camera_id,
                             detail={"lane": changed.lane, "alternative": changed.alternative,
                                     "was": {"lane": camera.lane,
                                             "alternative": camera.alternative}})
            uow.commit()
    return changed


def set_camera_profile(rt: FramePipeline, camera_id: str, profile: str, *, actor: str,
                       host: str | None = None, login: tuple[str, str] | None = None,
                       clear_login: bool = False) -> Camera:
    """How the camera's pushes are parsed; `host` (None: unchanged) is the camera's own LAN
    address, the only host its picture URLs may name; `login` (user, password) is sealed for
    fetching those pictures, `clear_login` forgets it. Audited without the login (only whether
    it was set, kept or cleared). The lane gate is untouched: what the camera watches is the
    same."""
    kind = camera_profile(profile)
    if login is not None and (clear_login or not login[0].strip() or not login[1]):
        raise CameraProfileInvalid("Give the camera's user name and password together (or clear "
                                   "them).", reason="login")
    with rt.deps.uow() as uow:
        camera = uow.capture.camera(camera_id)
        if camera is None:
            raise UnknownCamera()
        sealed = (None if clear_login else
                  rt.seal_credentials(camera_id, login[0].strip()[:64], login[1][:128])
                  if login is not None else camera.sealed_credentials)
        changed = replace(camera, profile=kind, sealed_credentials=sealed,
                          picture_host=camera.picture_host if host is None
                          else picture_host(host))
        uow.capture.set_profile(changed)
        uow.audit.append(at=rt.deps.clock.now(), actor=actor[:64], action="camera_profile_set",
                         subject=camera_id,
                         detail={"profile": kind.value, "picture_host": changed.picture_host,
                                 "login": "cleared" if clear_login else
                                 "set" if login is not None else "kept",
                                 "was": {"profile": camera.profile.value,
                                         "picture_host": camera.picture_host}})
        uow.commit()
    return changed


def confirm_lane(rt: FramePipeline, camera_id: str, *, actor: str) -> Camera:
    """The office confirms, on the spot, that the camera covers only its marked lane and that
    the alternative route is open and unwatched (audited with the texts confirmed)."""
    with rt.deps.uow() as uow:
        camera = uow.capture.camera(camera_id)
        if camera is None:
            raise UnknownCamera()
        if not camera.has_lane:
            raise CameraLaneMissing()
        now = rt.deps.clock.now()
        confirmed = replace(camera, lane_confirmed_at=now, lane_confirmed_by=actor[:64])
        uow.capture.set_lane(confirmed)
        uow.audit.append(at=now, actor=actor[:64], action="camera_lane_confirmed",
                         subject=camera_id, detail={"lane": camera.lane,
                                                    "alternative": camera.alternative})
        uow.commit()
    return confirmed


def list_cameras(rt: FramePipeline, office_id: str) -> tuple[list[Camera], Signage | None]:
    """The office's cameras (oldest first) and its signage confirmation, if any."""
    with rt.deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice()
        return uow.capture.cameras(office_id), uow.capture.signage(office_id)


def gate_refusal(rt: FramePipeline, camera_id: str) -> str | None:
    """Why the camera's pushes and pulls are refused right now (the error code `open_camera`
    answers: switched off, signage or lane not confirmed, face gate, notice), None when it runs.
    Reads only; what an admin page shows beside each camera."""
    try:
        open_camera(rt, camera_id)
    except KeyuanError as refused:
        return refused.code
    return None


def all_cameras(deps: Deps) -> list[Camera]:
    """Every office's cameras, oldest first (the command line's list)."""
    with deps.uow() as uow:
        return uow.capture.cameras()


def set_camera_enabled(rt: FramePipeline, camera_id: str, enabled: bool, *,
                       actor: str) -> Camera:
    with rt.deps.uow() as uow:
        camera = uow.capture.camera(camera_id)
        if camera is None:
            raise UnknownCamera()
        if enabled and not camera.has_lane:
            raise CameraLaneMissing()  # C11: only a camera covering a marked lane is switched on
        uow.capture.set_enabled(camera_id, enabled)
        uow.audit.append(at=rt.deps.clock.now(), actor=actor[:64], action="camera_switched",
                         subject=camera_id, detail={"enabled": enabled})
        uow.commit()
    return replace(camera, enabled=enabled)


def confirm_signage(rt: FramePipeline, office_id: str, *, actor: str) -> Signage:
    """The office says its notice poster (GET /api/offices/{id}/poster) is printed and up."""
    with rt.deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice()
        signage = Signage(office_id=office_id, confirmed_at=rt.deps.clock.now(),
                          confirmed_by=actor[:64])
        uow.capture.confirm_signage(signage)
        uow.audit.append(at=signage.confirmed_at, actor=signage.confirmed_by,
                         action="signage_confirmed", subject=None, detail={"office": office_id})
        uow.commit()
    return signage


def open_camera(rt: FramePipeline, camera_id: str,
                token: str | None = None) -> Opened:
    """The camera and the engine, if the camera may feed the pipeline now: known (404), the
    right token when one is required (401), enabled with signage confirmed (409), covering a
    lane with an unwatched alternative that the office confirmed (409 `camera_lane_missing`,
    `camera_lane_not_confirmed`, C11), the face gate open (409: face module on and a current
    impact assessment, which covers the lane texts, C23), and camera lanes — this lane and its
    alternative by name — in the notice in force (409 `use_not_in_notice`,
    `lane_not_in_notice`, C3)."""
    with rt.deps.uow() as uow:
        camera = uow.capture.camera(camera_id)
        if camera is None:
            raise UnknownCamera()
        if token is not None and not hmac.compare_digest(camera.token_hash, rt.token_hash(token)):
            raise CameraTokenInvalid()
        require_ambient_allowed(camera, uow.capture.signage(camera.office_id))
    engine = face_engine(rt.deps)
    with rt.deps.uow() as uow:
        require_use(uow, rt.deps, camera.office_id, FaceUse.CAMERA_LANE)  # C3: notice names it
        require_lane_named(uow, camera.office_id, camera.id,  # C3, C11: and where this lane is
                           Lane(camera.name, camera.lane, camera.alternative))
    return camera, engine


def push(rt: FramePipeline, opened: Opened, content_type: str, body: bytes,
         fallback_time: str | None, received: float) -> Outcome:
    """One pushed capture (`opened` by `open_camera` for this request); returns only after any
    due visit is committed (2xx = stored)."""
    if not rt.slots.acquire(blocking=False):  # never queue behind the engine: refuse at once
        rt.metrics.frames_dropped.labels("push").inc()
        raise CaptureBusy()
    rt.metrics.in_flight.inc()
    try:
        rt.metrics.frames_in.labels("push").inc()
        try:
            capture = rt.parse_push(opened[0], content_type, body, fallback_time)
            now = rt.deps.clock.now()
            check_capture_time(
                capture.captured_at, now,
                max_skew=timedelta(seconds=rt.settings.max_clock_skew_seconds),
                max_age=timedelta(hours=rt.settings.max_capture_age_hours))
            if capture.picture_url is not None:  # by URL: from the camera's own host only
                capture = replace(capture, image=rt.fetch_picture(opened[0],
                                                                  capture.picture_url))
        except KeyuanError as exc:
            rt.metrics.frames_rejected.labels(exc.code).inc()
            raise
        # decoded where the faces are searched (a worker process, when there are workers)
        return process_frame(rt, opened, capture.image, capture.captured_at, received,
                             source="push")
    finally:
        rt.metrics.in_flight.dec()
        rt.slots.release()


def process_frame(rt: FramePipeline, opened: Opened, frame: FrameData,
                  captured_at: datetime, received: float, *, source: str) -> Outcome:
    """Detect → gate → embed → 1:N → track → liveness → visit. `opened` comes from
    `open_camera`, which checked the camera and the face gate (pushes: per request; pulls:
    every few frames).
    `frame` is a decoded image or, for pushes, the encoded bytes (bad ones raise 4xx here)."""
    camera, engine = opened
    if rt.count_frame() % PRUNE_EVERY_FRAMES == 0:  # tracks of captures too old to arrive again
        rt.tracks.prune(rt.deps.clock.now() - timedelta(hours=rt.settings.max_capture_age_hours))
    try:
        found = rt.find_faces(engine, frame)
    except KeyuanError as exc:
        if exc.status < 500:
            rt.metrics.frames_rejected.labels(exc.code).inc()
        raise
    outcome, matches, cues = _count(rt, found)
    due = []
    for (key, _), cue in zip(matches, cues, strict=True):
        track = rt.tracks.observe(camera.id, key, captured_at, cue, received)
        if track.visit_due:
            due.append(track)
        elif track.not_live is not None:
            outcome.not_live += 1
            rt.metrics.not_live.labels(track.not_live.value).inc()
    if matches or outcome.unmatched or outcome.needs_review:
        outcome.visits = _record(rt, camera, captured_at, matches, due, outcome, found.gallery)
    elapsed = time.perf_counter() - received
    rt.metrics.frame_seconds.labels(source).observe(elapsed)
    for _ in outcome.visits:
        rt.metrics.visit_seconds.observe(elapsed)
    return outcome


def _count(rt: FramePipeline, found: FrameFaces) -> tuple[
        Outcome, list[tuple[str, float]], list[object | None]]:
    """The frame's counts, its matches and their liveness cues; matches of people no longer in
    the gallery (withdrawn or purged while the frame was searched against an older copy, C6) or
    whose consent named no camera lane (C1, C7) are treated as unmatched: no audit entry, no
    track, no visit (and their cue is dropped here)."""
    cues = found.cues if len(found.cues) == len(found.matches) else [None] * len(found.matches)
    kept = [(m, cue) for m, cue in zip(found.matches, cues, strict=True)
            if m[0] in rt.deps.gallery]
    if kept:
        with rt.deps.uow() as uow:
            kept = [(m, cue) for m, cue in kept
                    if (consent := uow.consents.active_for(m[0], ConsentScope.FACE))
                    is not None and consent_covers(uow, consent, FaceUse.CAMERA_LANE)]
    matches = [m for m, _ in kept]
    outcome = Outcome(faces=found.faces, low_quality=found.low_quality, matched=len(matches),
                      needs_review=found.needs_review,
                      unmatched=found.unmatched + len(found.matches) - len(matches))
    m = rt.metrics
    m.faces.inc(outcome.faces)
    m.faces_low_quality.inc(outcome.low_quality)
    m.matches.inc(outcome.matched)
    m.unmatched.inc(outcome.unmatched)
    m.needs_review.inc(outcome.needs_review)
    return outcome, matches, [cue for _, cue in kept]


def _record(rt: FramePipeline, camera: Camera, captured_at: datetime,
            matches: list[tuple[str, float]], due: list[Track], outcome: Outcome,
            gallery: int) -> list[str]:
    """One transaction: an audit entry per match (C17), the anonymous counts, due visits."""
    deps, stored = rt.deps, []
    with deps.uow() as uow:
        now = deps.clock.now()
        for person_id, distance in matches:
            uow.audit.append(at=now, actor=f"camera:{camera.id}", action="camera_match",
                             subject=person_id, detail={"distance": distance,
                                                        "captured_at": captured_at.isoformat(),
                                                        "gallery": gallery})
        hour = captured_at.replace(minute=0, second=0, microsecond=0)
        uow.capture.count_anonymous(camera.id, hour, unmatched=outcome.unmatched,
                                    needs_review=outcome.needs_review)
        for track in due:
            visit = _visit_for(rt, uow, camera, track)
            if visit is not None:
                stored.append(visit.id)
        uow.commit()
    rt.metrics.visits.inc(len(stored))
    return stored


def _visit_for(rt: FramePipeline, uow: UnitOfWork, camera: Camera,
               track: Track) -> Visit | None:
    uow.capture.lock_person(track.person_id)
    consent = uow.consents.active_for(track.person_id, ConsentScope.FACE)
    if consent is None:
        return None  # withdrawn since the gallery was searched: the withdrawal wins (C6)
    if not consent_covers(uow, consent, FaceUse.CAMERA_LANE):
        return None  # consented under a notice that named no camera lane (C1)
    window = rt.visit_window
    if uow.capture.visits_near(track.person_id, camera.office_id, track.first_at - window,
                               track.first_at + window):
        return None
    visit = uow.visits.add(Visit.record(
        person_id=track.person_id, office_id=camera.office_id, at=track.first_at,
        method=VisitMethod.CAMERA,
        evidence={"camera": camera.id, "sightings": track.sightings,
                  "last_sighting": track.last_at.isoformat()}))
    uow.audit.append(at=rt.deps.clock.now(), actor=f"camera:{camera.id}", action="camera_visit",
                     subject=track.person_id, detail={"visit": visit.id,
                                                      "sightings": track.sightings})
    return visit
