"""`require_live` with the real YuNet landmarker and SFace engine on real photos (the public
set): three copies of one photo are identical frames, one photo moved about with noise and JPEG
re-encoding is a single image, distinct photos of one person pass the passive checks. Skips with
a reason when the public face set is absent."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from keyuan.adapters.biometrics.sface_engine import SFaceEngine
from keyuan.adapters.biometrics.yunet_landmarks import YuNetLandmarker
from keyuan.adapters.clock import FakeClock
from keyuan.adapters.sms.outbox import MemorySender
from keyuan.config.face import FaceSettings
from keyuan.domain.checkin.liveness import LivenessReason, NotLive
from keyuan.evaluation.liveness_attacks import warped_copy
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.liveness import TimedFrame, require_live
from keyuan.services.fakes.uow import FakeUnitOfWork
from keyuan.services.ports import Deps
from unit.services.harness import START, make_deps

pytestmark = pytest.mark.faces

PEOPLE = ("df_id01", "df_id03", "df_id10", "df_id11", "fr_obama")
"""People of the public set with at least three photos."""


@pytest.fixture(scope="module")
def deps() -> Deps:
    face = FaceSettings.model_validate({"engine": "sface"})
    base = make_deps(FakeUnitOfWork(), FakeClock(START), MemorySender(), face=face)
    return replace(base, engine=SFaceEngine(face), landmarker=YuNetLandmarker(face))


def photos(root: Path, person: str) -> list[Path]:
    return sorted((root / "identities" / person).glob("*.jpg"))


def reason(frames: list[TimedFrame], deps: Deps) -> LivenessReason | None:
    try:
        require_live(frames, deps)
    except NotLive as refused:
        return refused.reason
    return None


@pytest.mark.parametrize("person", PEOPLE)
def test_three_copies_of_one_photo_are_identical_frames(face_root: Path, deps: Deps,
                                                        person: str) -> None:
    data = photos(face_root, person)[0].read_bytes()
    frames = [TimedFrame(data, t) for t in (0, 150, 300)]
    assert reason(frames, deps) is LivenessReason.FRAMES_IDENTICAL


@pytest.mark.parametrize("person", PEOPLE)
def test_one_photo_moved_about_with_noise_and_reencoding_is_a_single_image(
        face_root: Path, deps: Deps, person: str) -> None:
    rng = random.Random(person)
    image = decode_image(photos(face_root, person)[0].read_bytes(), max_pixels=16_000_000,
                         max_bytes=8_000_000)
    frames = [TimedFrame(warped_copy(image, rng, max_shift=0.02, max_angle_deg=3.0,
                                     noise_sigma=2.0), 150 * k) for k in range(3)]
    assert reason(frames, deps) is LivenessReason.SINGLE_IMAGE


@pytest.mark.parametrize("person", PEOPLE)
def test_distinct_photos_of_one_person_with_a_cameras_times_pass(
        face_root: Path, deps: Deps, person: str) -> None:
    frames = [TimedFrame(p.read_bytes(), 200 * k) for k, p in enumerate(photos(face_root,
                                                                             person)[:3])]
    assert reason(frames, deps) is None


def test_the_landmarker_gives_five_points_on_a_real_photo_and_bootstrap_wires_it(
        face_root: Path) -> None:
    from keyuan.bootstrap import make_landmarker
    from keyuan.config.settings import Settings

    face = FaceSettings.model_validate({"engine": "dlib"})
    landmarker = YuNetLandmarker(face)
    image = decode_image(photos(face_root, "fr_obama")[0].read_bytes(), max_pixels=16_000_000,
                         max_bytes=8_000_000)
    found = landmarker.faces(image)
    assert len(found) == 1 and len(found[0].landmarks) == 5
    left_eye, right_eye = found[0].landmarks[:2]
    assert left_eye[0] < right_eye[0]  # the eye on the image's left comes first
    settings = Settings.model_validate({"face": {"engine": "dlib"}})
    assert isinstance(make_landmarker(settings, SFaceEngine(face)), YuNetLandmarker)
    assert make_landmarker(settings, None) is None


def test_an_altered_yunet_file_is_refused_by_the_landmarker(tmp_path: Path) -> None:
    from keyuan.adapters.biometrics.sface_engine import YUNET, default_model_dir
    from keyuan.domain import errors

    (tmp_path / YUNET.name).write_bytes(
        (default_model_dir() / YUNET.name).read_bytes()[:-1] + b"\0")
    landmarker = YuNetLandmarker(FaceSettings(), model_dir=tmp_path)
    with pytest.raises(errors.EngineModelInvalid):
        landmarker.faces(decode_image(_grey_png(), max_pixels=10**6, max_bytes=10**6))


def _grey_png() -> bytes:
    import numpy as np

    from support.images import encode

    return encode(np.full((120, 120, 3), 128, dtype=np.uint8), "PNG")
