"""Camera push (人脸抓拍机) and capture metrics. Camera requests carry a per-camera token, not a
staff login. The body is read into memory with a cap (never a spooled UploadFile)."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from keyuan.bootstrap import App
from keyuan.capture import service
from keyuan.capture.errors import CameraTokenInvalid
from keyuan.capture.metrics import CONTENT_TYPE
from keyuan.capture.runtime import CaptureRuntime
from keyuan.errors import ImageTooLarge, NotAnImage

router = APIRouter()
EVENT_ALLOWANCE = 256_000
"""Room for the event part and multipart framing on top of the image cap."""


def _runtime(request: Request) -> CaptureRuntime:
    runtime: CaptureRuntime = request.app.state.capture
    return runtime


Runtime = Annotated[CaptureRuntime, Depends(_runtime)]


class CapturePublic(BaseModel):
    """Acknowledged = handled and stored: any visit due is committed before this is sent."""

    faces: int
    matched: int
    needs_review: int
    unmatched: int
    low_quality: int
    visits_recorded: int


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
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
    body = await _read_capped(request, rt.deps.face.max_image_bytes + EVENT_ALLOWANCE)
    outcome = await run_in_threadpool(
        service.push, rt, opened, request.headers.get("content-type", ""), body,
        x_capture_time or captured_at, received)
    return CapturePublic(faces=outcome.faces, matched=outcome.matched,
                         needs_review=outcome.needs_review, unmatched=outcome.unmatched,
                         low_quality=outcome.low_quality, visits_recorded=len(outcome.visits))


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


def install_capture(api: FastAPI, app: App) -> None:
    """Wire the capture runtime onto the API and include the router (one line in create_app)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QuietCaptureAccessLog) for f in access.filters):
        access.addFilter(QuietCaptureAccessLog())
    api.state.capture = CaptureRuntime.build(app.deps, app.settings.capture,
                                             app.settings.secret_key)
    api.include_router(router)
