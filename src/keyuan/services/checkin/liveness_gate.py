"""活体检测 before a face decision (issue 18): the frames must show a live person
(`services.faces.liveness.require_live`) before any template is derived from them or compared.
Wired so far into the rights desk's in-person check; enrollment, the return visit and the
signing desk follow (the demo's bundled single photos must change with them).

A refusal (`NotLive`) keeps nothing of the frames and writes no template and no visit; it is
audited as a refused face attempt with its reason (`face_not_live`: the use, the reason code,
never a frame, landmark or score), and where the use case limits face attempts it counts against
those limits like an attempt that was not verified."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress

from keyuan.domain.checkin.liveness import NotLive
from keyuan.domain.errors import FaceAttemptsThrottled
from keyuan.domain.throttle import Bucket
from keyuan.services import throttle
from keyuan.services.faces.liveness import TimedFrame, require_live
from keyuan.services.ports import Deps


def timed(frames: Sequence[bytes], times_ms: Sequence[int] | None) -> list[TimedFrame]:
    """The frames with their capture times (None each when the client sent none: the liveness
    check refuses that as `timestamps_missing`). The counts were checked by
    `slots.require_frame_times`."""
    times: Sequence[int | None] = times_ms if times_ms is not None else [None] * len(frames)
    return [TimedFrame(image, t) for image, t in zip(frames, times, strict=True)]


def require_live_face(deps: Deps, frames: Sequence[bytes], times_ms: Sequence[int] | None, *,
                      use: str, actor: str, subject: str | None = None,
                      counted: Sequence[Bucket] = ()) -> None:
    """`NotLive(reason)` unless the frames show a live person. A refusal is audited (`use`: the
    step, e.g. rights_in_person; `actor` who asked, `subject`
    the person it was about when the caller already knows them, else nobody) and takes one slot
    of each `counted` bucket (the face attempts it counts against, when the use case had not
    taken them already)."""
    try:
        require_live(timed(frames, times_ms), deps)
    except NotLive as refused:
        with deps.uow() as uow:
            now = deps.clock.now()
            uow.audit.append(at=now, actor=actor, action="face_not_live", subject=subject,
                             detail={"use": use, "reason": refused.reason.value})
            # already full: counted as far as it goes; the next attempt is refused up front
            with suppress(FaceAttemptsThrottled):
                throttle.take(uow, now, counted, FaceAttemptsThrottled)
            uow.commit()
        raise
