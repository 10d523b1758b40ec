"""Pull the public set's Hamilton clip, played as a live MJPEG stream on loopback at its own frame
rate (pulls take live streams only, C13), through the real engine with its reference person
enrolled under consent: exactly one visit for him, and nothing about anyone else on disk or in
any table — in the service's own threads and through the worker processes sharing the
gallery."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from keyuan.adapters.biometrics.engines import make_engine
from keyuan.adapters.capture.pull import Backoff, run_pull
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.store.tables import metadata
from keyuan.config.face import FaceSettings
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.evaluation.video import file_frames
from keyuan.services.capture import service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.compliance import notices
from keyuan.services.faces.engine import FaceEngine, Purpose
from support import images
from support.cameras import lane_camera
from support.mjpeg import jpeg, mjpeg_stream
from support.pia import record_office_pia
from support.sealed import seal_template

pytestmark = [pytest.mark.faces, pytest.mark.slow]
PERSON = "fr_lin_manuel_miranda"
FPS = 15.0
NATIVE_FPS = 30.0
START = datetime(2025, 1, 1, tzinfo=UTC)
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")


def enroll_photo(kiosk: Any, photo: Path) -> str:
    deps = kiosk.deps
    picture = np.asarray(Image.open(photo).convert("RGB"))
    session, notice = kiosk_service.start_session(kiosk.office_id, deps)
    consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
        session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True), deps)
    seal_template(deps, consent, images.frames(picture))  # one photo: the kiosk refuses it
    return consent.person_id


def stream_clock(clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A live stream's frames are timed as they are received, so the clock runs on from where
    the test's fake clock stands (frames all of one time are no camera's: issue 18)."""
    start, started = clock.now(), time.perf_counter()
    monkeypatch.setattr(clock, "now",
                        lambda: start + timedelta(seconds=time.perf_counter() - started))


def every_template_in(video: Path, engine: FaceEngine) -> list[bytes]:
    """What a leak would look like: the raw float32 bytes of every face in the sampled frames."""
    found = []
    for frame in file_frames(str(video), FPS, START, progress=False):
        for box in engine.detect(frame.image, purpose=Purpose.PROBE):
            found.append(engine.embed(frame.image, box).tobytes())
    return found


@pytest.mark.parametrize("workers", [0, 2], ids=["threads", "workers"])
def test_hamilton_clip_records_one_visit_for_the_consented_person_and_nothing_else(
    make_kiosk: Callable[..., Any], face_root: Path, workers: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = make_engine(FaceSettings())
    kiosk = make_kiosk(engine=engine, capture={"workers": workers})
    deps = kiosk.deps
    settings = kiosk.settings
    rt = CaptureRuntime.build(deps, settings.capture, settings.secret_key)
    camera, _ = lane_camera(rt, kiosk.office_id, "stage", actor="test")
    notices.republish(kiosk.office_id, deps, actor="dpo")  # the notice names the lane first
    record_office_pia(deps)  # C23: the assessment covers the camera
    person = enroll_photo(kiosk, next((face_root / "identities" / PERSON).glob("*.jpg")))
    service.confirm_signage(rt, kiosk.office_id, actor="manager")
    kiosk.clock.advance(hours=3)

    video = face_root / "video" / "short_hamilton_clip.mp4"
    clip = [f.image for f in file_frames(str(video), NATIVE_FPS, START, progress=False)]
    played = [jpeg(image) for image in clip]
    stream_clock(kiosk.clock, monkeypatch)
    try:
        assert rt.uses_workers is bool(workers)
        rt.find_faces(engine, clip[0])  # running before anyone walks in: workers warmed up
        with mjpeg_stream(played, fps=NATIVE_FPS, repeat=2) as stream:
            # the clip ends and the stream does not come back: the pull ends with that error
            summary = run_pull(rt, camera.id, stream.url, fps=FPS, backoff=Backoff(attempts=0))
    finally:
        rt.close()

    assert summary.error == "The stream did not come back after 0 reconnects."
    assert summary.frames + summary.dropped > 100, summary
    assert summary.faces > summary.matched >= 2
    with deps.uow() as uow:
        visits = uow.visits.for_office(kiosk.office_id)
        events = uow.audit.all()
        persons = uow.persons.session.execute(select(metadata.tables["persons"].c.id)).all()
        hourly = uow.capture.hourly(camera.id)
    camera_visits = [v for v in visits if v.method is VisitMethod.CAMERA]
    assert [v.person_id for v in camera_visits] == [person]
    assert {v.person_id for v in visits} == {person} and [p.id for p in persons] == [person]
    assert {e.subject for e in events if e.action.startswith("camera_")} <= {person, camera.id}
    assert sum(unmatched + review for _, unmatched, review in hourly) > 0  # counted, nothing else
    _assert_nothing_about_anyone_else(deps, settings.data_dir, every_template_in(video, engine))


def _assert_nothing_about_anyone_else(deps: Any, data_dir: Path,
                                      templates: list[bytes]) -> None:
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    for path in files:
        blob = path.read_bytes()
        assert not any(sig in blob for sig in IMAGE_SIGNATURES), f"image bytes in {path}"
        assert not any(t in blob or t[:32] in blob for t in templates), f"template in {path}"
    with deps.uow() as uow:
        for table in metadata.sorted_tables:
            for row in uow.capture.session.execute(select(table)):
                for column, value in row._mapping.items():
                    if isinstance(value, bytes | bytearray | memoryview):
                        assert (table.name, column) in {("templates", "ciphertext"),
                                                        ("templates", "nonce")}, table.name
