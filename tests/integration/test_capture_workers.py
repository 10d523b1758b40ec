"""Capture worker processes on the real engine: the gallery reaches them through shared memory
and follows withdrawals, a killed worker is replaced while the service keeps serving, and
nothing is left in /dev/shm — after a clean shutdown, or after a `kill -9` once the next start
has swept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keyuan.adapters.biometrics.dlib_engine import DlibEngine
from keyuan.adapters.biometrics.engines import make_engine
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.capture.shared_gallery import remove_stale, segments_of
from keyuan.config.face import FaceSettings
from keyuan.domain.capture.errors import CaptureWorkerLost
from keyuan.services.capture import service
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin.gallery_sync import GalleryFollower
from keyuan.services.compliance import notices
from support.cameras import lane_camera
from support.pia import record_office_pia
from support.sequences import identity_photos, photo_shots
from support.shm import mapped_segments, segment_templates

pytestmark = pytest.mark.slow


PERSON = "df_id03"  # its three first stills agree under dlib's strict threshold


@pytest.fixture
def photos(face_root: Path) -> list[Path]:
    """Stills of one person of the public set: three to enroll, the rest as the camera's
    frames (distinct pictures of a live person, issue 18)."""
    return identity_photos(face_root, PERSON)


@pytest.fixture
def site(make_kiosk: Callable[..., Any],
         photos: list[Path]) -> Iterator[tuple[Any, CaptureRuntime, Any, str]]:
    """A person of the public set enrolled under consent, one camera, one worker process."""
    kiosk = make_kiosk(engine=DlibEngine(DLIB), face={"engine": "dlib"},
                       capture={"workers": 1})  # HOG's seconds on a big frame: time to kill
    deps = kiosk.deps
    rt = CaptureRuntime.build(deps, kiosk.settings.capture, kiosk.settings.secret_key)
    service.confirm_signage(rt, kiosk.office_id, actor="manager")
    camera, _ = lane_camera(rt, kiosk.office_id, "door", actor="test")
    notices.republish(kiosk.office_id, deps, actor="dpo")  # the notice names the lane first
    record_office_pia(deps)  # C23: the assessment covers the camera
    session, notice = kiosk.start()
    consent = kiosk.consent_face(session.id, notice.content_hash)
    face_service.enroll_face(face_service.EnrollCmd(
        session.id, consent.id, **photo_shots(photos).cmd()), deps)
    kiosk.clock.advance(hours=3)
    try:
        yield kiosk, rt, camera, consent.id
    finally:
        rt.close()


DLIB = FaceSettings(engine="dlib")


def push_photo(rt: CaptureRuntime, kiosk: Any, camera: Any, photos: list[Path],
               seconds: int = 0) -> Any:
    """The camera's frame `seconds` from now: the person's photo number 3 + `seconds` (after
    the three enrolled), so that the sightings of a track are distinct pictures."""
    at = kiosk.clock.now() + timedelta(seconds=seconds)
    return service.process_frame(rt, service.open_camera(rt, camera.id),
                                 photos[3 + seconds].read_bytes(), at, time.perf_counter(),
                                 source="push")


def test_workers_match_the_shared_gallery_and_follow_a_withdrawal(site: Any,
                                                                  photos: list[Path]) -> None:
    """The copy must go while nothing comes: no frame follows the withdrawal until the old
    segment is unlinked and no worker maps it; then the worker's own answer (before the
    parent's check against its gallery) matches no one."""
    kiosk, rt, camera, consent_id = site
    follower = GalleryFollower(kiosk.deps, interval=0.1)
    follower.listen(rt.refresh_gallery)  # as bootstrap wires serve's runtime
    follower.check()
    assert rt.uses_workers
    first = push_photo(rt, kiosk, camera, photos)
    second = push_photo(rt, kiosk, camera, photos, 1)
    assert (first.matched, second.matched, len(second.visits)) == (1, 1, 1)
    worker_pids = rt.pool().pids
    assert worker_pids and os.getpid() not in worker_pids
    [old] = segments_of(os.getpid())  # one published version in use
    assert segment_templates(old) == 1
    assert all(mapped_segments(pid) == [] for pid in worker_pids)  # idle: nothing mapped

    follower.start()
    try:
        consent_service.withdraw(consent_id, kiosk.deps)
        _wait_until(lambda: old not in segments_of(os.getpid()))  # idle, and still it went
    finally:
        follower.stop()
    [current] = segments_of(os.getpid())
    assert segment_templates(current) == 0
    assert all(mapped_segments(pid) == [] for pid in worker_pids)
    assert rt.pool().run(photos[5].read_bytes()).matches == []
    after = push_photo(rt, kiosk, camera, photos, 2)
    assert (after.matched, after.unmatched) == (0, 1)

    rt.close()
    assert segments_of(os.getpid()) == []
    assert all(not _running(pid) for pid in worker_pids)


def test_a_killed_worker_is_replaced_and_the_service_keeps_serving(site: Any,
                                                                  photos: list[Path]) -> None:
    kiosk, rt, camera, _ = site
    assert push_photo(rt, kiosk, camera, photos).matched == 1
    [victim] = rt.pool().pids
    os.kill(victim, signal.SIGKILL)
    _wait_until(lambda: not _running(victim))

    try:
        outcome = push_photo(rt, kiosk, camera, photos, 1)
    except CaptureWorkerLost:  # the pool could not tell the frame never reached the dead worker:
        outcome = push_photo(rt, kiosk, camera, photos, 1)  # 503, and the camera retries, as told
    assert outcome.matched == 1 and len(outcome.visits) == 1
    [replacement] = rt.pool().pids
    assert replacement != victim
    assert b"keyuan_capture_worker_restarts_total 1.0" in rt.metrics.render()


def test_a_worker_dying_mid_frame_fails_that_frame_with_503_and_the_next_is_served(
    site: Any, photos: list[Path],
) -> None:
    kiosk, rt, camera, _ = site
    assert push_photo(rt, kiosk, camera, photos).matched == 1
    [victim] = rt.pool().pids
    big = np.zeros((3000, 4000, 3), dtype=np.uint8)  # seconds of HOG: time to kill it mid-way
    killer = threading.Timer(0.5, os.kill, (victim, signal.SIGKILL))
    killer.start()
    with pytest.raises(CaptureWorkerLost) as lost:
        service.process_frame(rt, service.open_camera(rt, camera.id), big, kiosk.clock.now(),
                              time.perf_counter(), source="pull")
    killer.join()
    assert lost.value.status == 503
    assert push_photo(rt, kiosk, camera, photos, 1).matched == 1
    assert rt.pool().pids != [victim]


PUBLISH_AND_WAIT = """
import numpy as np, sys, time
from keyuan.services.faces.gallery import Gallery
from keyuan.adapters.capture.shared_gallery import GalleryPublisher
gallery = Gallery()
gallery.add("p_1", np.ones(128, dtype=np.float32) / 12)
print(GalleryPublisher(gallery).acquire()[0], flush=True)
time.sleep(60)
"""


def test_a_kill_9_leaves_no_segment_once_the_next_start_has_swept() -> None:
    """Python's resource tracker usually unlinks a dead parent's segments; if it died too
    (the whole process group killed), `remove_stale` at the next start does."""
    proc = subprocess.Popen([sys.executable, "-c", PUBLISH_AND_WAIT], stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        name = proc.stdout.readline().strip()
        assert name in segments_of(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the service and its resource tracker
        proc.wait(timeout=10)
    remove_stale()
    assert segments_of(proc.pid) == []


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed child stays a zombie until its parent reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def _wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_workers_run_the_configured_sface_engine(make_kiosk: Callable[..., Any],
                                                photos: list[Path]) -> None:
    face = FaceSettings(engine="sface")
    kiosk = make_kiosk(engine=make_engine(face), face={"engine": "sface"},
                       capture={"workers": 1})
    rt = CaptureRuntime.build(kiosk.deps, kiosk.settings.capture, kiosk.settings.secret_key)
    try:
        service.confirm_signage(rt, kiosk.office_id, actor="manager")
        camera, _ = lane_camera(rt, kiosk.office_id, "door", actor="test")
        notices.republish(kiosk.office_id, kiosk.deps, actor="dpo")  # names the lane first
        record_office_pia(kiosk.deps)  # C23: the assessment covers the camera
        session, notice = kiosk.start()
        consent = kiosk.consent_face(session.id, notice.content_hash)
        enrolled = face_service.enroll_face(face_service.EnrollCmd(
            session.id, consent.id, **photo_shots(photos).cmd()), kiosk.deps)
        assert enrolled is not None
        kiosk.clock.advance(hours=3)
        assert rt.uses_workers  # the worker rebuilds the same engine from the settings
        first = push_photo(rt, kiosk, camera, photos)
        second = push_photo(rt, kiosk, camera, photos, 1)
        assert (first.matched, second.matched, len(second.visits)) == (1, 1, 1)
        assert rt.pool().pids and os.getpid() not in rt.pool().pids
    finally:
        rt.close()
