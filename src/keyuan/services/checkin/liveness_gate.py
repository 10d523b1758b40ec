"""活体检测 before a face decision (issue 18): the frames must show a live person
(`services.faces.liveness.require_live`) before any template is derived from them or compared.

`require_live_decision` is the one call every decision that may run a challenge makes (the
kiosk's return visit, the signing desk, the rights desk): the challenge's movements when the
decision used one (`services.checkin.challenges.challenge_for`), else the passive checks alone.
`require_live_face` is the passive check of a decision that never runs a challenge (enrollment).
The kiosk's face enrollment runs it before any template is derived, the kiosk's return visit
(with or without a challenge) before anyone is looked up; the camera lane follows.

A refusal (`NotLive`) keeps nothing of the frames and writes no template and no visit; it is
audited as a refused face attempt with its reason (`face_not_live`: the use, the reason code,
whether a challenge ran, never a frame, landmark or score), and where the use case limits face
attempts it counts against those limits like an attempt that was not verified. Neither call
holds a face slot: the caller holds one around the liveness check and the identity check that
reads the frames it returns (decoded once)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress

from keyuan.domain.checkin.challenge import LivenessChallenge
from keyuan.domain.checkin.liveness import NotLive, check_server_time
from keyuan.domain.errors import FaceAttemptsThrottled, FrameTimesMismatch
from keyuan.domain.throttle import Bucket
from keyuan.services import throttle
from keyuan.services.faces.liveness import LiveFrames, TimedFrame, require_live
from keyuan.services.ports import Deps


def timed(frames: Sequence[bytes], times_ms: Sequence[int] | None,
          steps: Sequence[int | None] | None = None) -> list[TimedFrame]:
    """The frames with their capture times (None each when the client sent none: the liveness
    check refuses that as `timestamps_missing`) and challenge steps. The counts were checked by
    `slots.require_frame_times` (and `require_live_decision` for the steps)."""
    times: Sequence[int | None] = times_ms if times_ms is not None else [None] * len(frames)
    tags: Sequence[int | None] = steps if steps is not None else [None] * len(frames)
    return [TimedFrame(image, t, step)
            for image, t, step in zip(frames, times, tags, strict=True)]


def require_live_decision(deps: Deps, frames: Sequence[bytes], times_ms: Sequence[int] | None,
                          steps: Sequence[int | None] | None, *,
                          challenge: LivenessChallenge | None, use: str, actor: str,
                          subject: str | None = None,
                          counted: Sequence[Bucket] = ()) -> LiveFrames:
    """The frames of a decision show a live person: making `challenge`'s movements in order,
    one face throughout, when the decision used one (each frame's step in `steps`, one per frame:
    `FrameTimesMismatch` otherwise, before anything is decoded); else the passive checks. A
    refusal is `NotLive`, audited and counted as `require_live_face`'s. Returns the frames
    decoded, for the identity check (memory only)."""
    if challenge is None:
        return _live_or_refused(deps, timed(frames, times_ms), None, use=use, actor=actor,
                                subject=subject, counted=counted)
    if steps is None or len(steps) != len(frames):
        raise FrameTimesMismatch("A challenged sequence needs the step of each frame "
                                 "(frame_steps), one per frame.")
    return _live_or_refused(deps, timed(frames, times_ms, steps), challenge, use=use,
                            actor=actor, subject=subject, counted=counted)


def require_live_face(deps: Deps, frames: Sequence[bytes], times_ms: Sequence[int] | None, *,
                      use: str, actor: str, subject: str | None = None,
                      counted: Sequence[Bucket] = ()) -> LiveFrames:
    """`NotLive(reason)` unless the frames show a live person (passive checks). A refusal is
    audited (`use`: the step, e.g. enrollment; `actor` who asked, `subject` the person it was
    about when the caller already knows them, else nobody) and takes one slot of each `counted`
    bucket (the face attempts it counts against, when the use case had not taken them
    already)."""
    return _live_or_refused(deps, timed(frames, times_ms), None, use=use, actor=actor,
                            subject=subject, counted=counted)


def _live_or_refused(deps: Deps, frames: Sequence[TimedFrame],
                     challenge: LivenessChallenge | None, *, use: str, actor: str,
                     subject: str | None, counted: Sequence[Bucket]) -> LiveFrames:
    try:
        if challenge is not None:
            _require_server_time(deps, frames, challenge)
        return require_live(frames, deps,
                            steps=None if challenge is None else challenge.step_sequence)
    except NotLive as refused:
        with deps.uow() as uow:
            now = deps.clock.now()
            uow.audit.append(at=now, actor=actor, action="face_not_live", subject=subject,
                             detail={"use": use, "reason": refused.reason.value,
                                     "challenge": challenge is not None})
            # already full: counted as far as it goes; the next attempt is refused up front
            with suppress(FaceAttemptsThrottled):
                throttle.take(uow, now, counted, FaceAttemptsThrottled)
            uow.commit()
        raise


def _require_server_time(deps: Deps, frames: Sequence[TimedFrame],
                         challenge: LivenessChallenge) -> None:
    """The client's frame times bound to the server's clock (`check_server_time`): measured from
    the challenge's issuance to its use by this decision (`used_at`, set by `use_challenge` in
    the decision's first transaction, after the upload arrived)."""
    arrived = challenge.used_at or deps.clock.now()
    check_server_time([f.t_ms for f in frames], len(challenge.steps),
                      challenge.elapsed_ms(arrived), deps.liveness.challenge)
