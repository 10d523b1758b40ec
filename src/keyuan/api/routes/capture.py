"""Camera push (人脸抓拍机) and capture metrics. Camera requests carry a per-camera token, not a
staff login. The body is read into memory with a cap (never a spooled UploadFile)."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from keyuan.adapters.capture.metrics import CONTENT_TYPE
from keyuan.adapters.capture.pulls import PullJob
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.capture.shared_gallery import remove_stale
from keyuan.adapters.capture.vendors import body_cap
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.capture import (
    CameraList,
    CameraPublic,
    CapturePublic,
    LaneIn,
    NewCameraIn,
    NewCameraOut,
    ProfileIn,
    PullIn,
    PullOut,
    SignageOut,
    SwitchIn,
)
from keyuan.domain.capture.cameras import Camera, Signage
from keyuan.domain.capture.errors import CameraProfileInvalid, CameraTokenInvalid
from keyuan.domain.errors import ImageTooLarge, NotAnImage
from keyuan.services.capture import service

router = APIRouter()
EVENT_ALLOWANCE = 256_000
"""Room for the event part and multipart framing on top of the image cap."""


def _runtime(request: Request) -> CaptureRuntime:
    runtime: CaptureRuntime = request.app.state.capture
    return runtime


Runtime = Annotated[CaptureRuntime, Depends(_runtime)]


def _bearer(authorization: str | None) -> str:
    """The camera's token: `Bearer <token>`, or HTTP Basic with the token as the password (what
    a camera's HTTP-host settings can send: Hikvision "base64" authentication, Dahua's user and
    password); the user name is ignored."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            token = base64.b64decode(token.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            raise CameraTokenInvalid() from None
    elif scheme.lower() != "bearer":
        raise CameraTokenInvalid()
    if not token.strip():
        raise CameraTokenInvalid()
    return token.strip()


async def _read_capped(request: Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ImageTooLarge(f"Capture bodies are capped at {limit} bytes.")
    if not body:
        raise NotAnImage("The request body is empty.")
    return bytes(body)


@router.post("/api/cameras/{camera_id}/captures", tags=["capture"])
async def push_capture(
    camera_id: str, request: Request, rt: Runtime,
    authorization: Annotated[str | None, Header()] = None,
    x_capture_time: Annotated[str | None, Header()] = None, captured_at: str | None = None,
) -> CapturePublic:
    received = time.perf_counter()
    opened = await run_in_threadpool(service.open_camera, rt, camera_id, _bearer(authorization))
    body = await _read_capped(request, body_cap(opened[0].profile, rt.deps.face.max_image_bytes,
                                                EVENT_ALLOWANCE))
    outcome = await run_in_threadpool(
        service.push, rt, opened, request.headers.get("content-type", ""), body,
        x_capture_time or captured_at, received)
    return CapturePublic(faces=outcome.faces, matched=outcome.matched,
                         needs_review=outcome.needs_review, unmatched=outcome.unmatched,
                         low_quality=outcome.low_quality, not_live=outcome.not_live,
                         visits_recorded=len(outcome.visits))


def _public(camera: Camera) -> CameraPublic:
    return CameraPublic(id=camera.id, office_id=camera.office_id, name=camera.name,
                        enabled=camera.enabled, created_at=camera.created_at, lane=camera.lane,
                        alternative=camera.alternative,
                        lane_confirmed_at=camera.lane_confirmed_at,
                        lane_confirmed_by=camera.lane_confirmed_by, profile=camera.profile,
                        picture_host=camera.picture_host, has_login=camera.has_credentials)


@router.get("/api/offices/{office_id}/cameras", tags=["capture"])
def list_cameras(office_id: str, rt: Runtime) -> CameraList:
    cameras, signage = service.list_cameras(rt, office_id)
    return CameraList(office_id=office_id, cameras=[_public(c) for c in cameras],
                      signage_confirmed_at=signage.confirmed_at if signage else None)


@router.post("/api/offices/{office_id}/cameras", tags=["capture"], status_code=201)
def add_camera(office_id: str, body: NewCameraIn, who: CurrentPrincipal,
               rt: Runtime) -> NewCameraOut:
    """A camera covers one marked lane visitors choose, with an unwatched way in beside it
    (both required, C11); it runs once the office confirms them, the notice names the lane and
    the impact assessment covers it."""
    camera, token = service.register_camera(rt, office_id, body.name, lane=body.lane,
                                            alternative=body.alternative, actor=who.actor,
                                            profile=body.profile)
    return NewCameraOut(**_public(camera).model_dump(), token=token)


@router.put("/api/cameras/{camera_id}/lane", tags=["capture"])
def set_lane(camera_id: str, body: LaneIn, who: CurrentPrincipal, rt: Runtime) -> CameraPublic:
    """A changed lane or alternative withdraws the office's confirmation; the notice and the
    impact assessment must name the new texts before the camera runs again."""
    return _public(service.set_camera_lane(rt, camera_id, body.lane, body.alternative,
                                           actor=who.actor))


@router.put("/api/cameras/{camera_id}/profile", tags=["capture"])
def set_profile(camera_id: str, body: ProfileIn, who: CurrentPrincipal,
                rt: Runtime) -> CameraPublic:
    """How the camera's pushes are parsed, its own address for pictures by URL, and the login
    for fetching them (stored sealed, never returned: only `has_login` shows). Audited."""
    if (body.username is None) != (body.password is None):
        raise CameraProfileInvalid("Give username and password together.", reason="login")
    login = (body.username, body.password) if body.username and body.password else None
    return _public(service.set_camera_profile(rt, camera_id, body.profile, actor=who.actor,
                                              host=body.picture_host, login=login,
                                              clear_login=body.clear_login))


@router.post("/api/cameras/{camera_id}/lane/confirm", tags=["capture"])
def confirm_lane(camera_id: str, who: CurrentPrincipal, rt: Runtime) -> CameraPublic:
    """The office confirms on the spot: the camera covers only its marked lane, and the other
    way in is open and unwatched (audited)."""
    return _public(service.confirm_lane(rt, camera_id, actor=who.actor))


@router.put("/api/cameras/{camera_id}/enabled", tags=["capture"])
def switch_camera(camera_id: str, body: SwitchIn, who: CurrentPrincipal,
                  rt: Runtime) -> CameraPublic:
    return _public(service.set_camera_enabled(rt, camera_id, body.enabled, actor=who.actor))


@router.post("/api/offices/{office_id}/signage", tags=["capture"])
def confirm_signage(office_id: str, who: CurrentPrincipal, rt: Runtime) -> SignageOut:
    """The office's notice poster is printed and up (a sign informs; it is never consent)."""
    signage: Signage = service.confirm_signage(rt, office_id, actor=who.actor)
    return SignageOut(office_id=signage.office_id, confirmed_at=signage.confirmed_at,
                      confirmed_by=signage.confirmed_by)


def _pull_public(job: PullJob) -> PullOut:
    s = job.summary
    return PullOut(camera_id=job.camera_id, source=job.source, fps=job.fps,
                   started_at=job.started_at, finished_at=job.finished_at, running=job.running,
                   frames=s.frames, dropped=s.dropped, faces=s.faces, matched=s.matched,
                   visits_recorded=len(s.visits), error=s.error)


@router.post("/api/cameras/{camera_id}/pull", tags=["capture"], status_code=202)
def start_pull(camera_id: str, body: PullIn, who: CurrentPrincipal, rt: Runtime) -> PullOut:
    """Serve pulls the stream itself: its counts, tracks and latencies are in this /metrics,
    and the gate is re-checked every 50 frames (a closed gate stops it with the reason)."""
    return _pull_public(rt.pulls.start(rt, camera_id, body.source, body.fps, actor=who.actor))


@router.get("/api/cameras/{camera_id}/pull", tags=["capture"])
def pull_status(camera_id: str, rt: Runtime) -> PullOut:
    return _pull_public(rt.pulls.get(camera_id))


@router.delete("/api/cameras/{camera_id}/pull", tags=["capture"])
def stop_pull(camera_id: str, rt: Runtime) -> PullOut:
    return _pull_public(rt.pulls.stop(camera_id))


@router.get("/metrics", tags=["ops"])
def metrics(rt: Runtime) -> Response:
    """Prometheus text format: frames in/dropped, faces, matches, unmatched, latencies."""
    return Response(rt.metrics.render(), media_type=CONTENT_TYPE)


class QuietCaptureAccessLog(logging.Filter):
    """C11: not even an access-log line per capture: a timestamped request line would record
    that someone (matched or not) passed a camera at that moment. Errors still log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        path = str(args[2]) if len(args) > 2 else ""
        return not (path.startswith("/api/cameras/") and "/captures" in path)


def install_capture(api: FastAPI, runtime: CaptureRuntime) -> None:
    """Put the app's capture runtime (built by `bootstrap.build`) on the API and include the
    router (one line in create_app)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QuietCaptureAccessLog) for f in access.filters):
        access.addFilter(QuietCaptureAccessLog())
    api.state.capture = runtime
    remove_stale()  # gallery segments of a service that was killed with its resource tracker
    api.router.on_shutdown.append(runtime.close)  # workers stop, shared gallery unlinked
    api.include_router(router)
