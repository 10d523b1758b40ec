"""Browser tests: Python Playwright driving Debian's chromium (never `playwright install`)
against the app served by uvicorn on 127.0.0.1, with a fake camera playing a public-set photo.

Chromium comes from `make test` (apt-get when missing). Where it is absent the tests skip with
the reason — except under CI (`CI` set), where a missing browser fails the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from keyuan.adapters.biometrics.engines import make_engine
from keyuan.config.face import FaceSettings
from keyuan.domain.errors import KeyuanError
from keyuan.services.faces.decode import decode_image
from keyuan.services.faces.engine import FaceEngine, Purpose, Template
from keyuan.services.faces.matching import distance
from support.browser import CHROMIUM, CHROMIUM_FLAGS, PHONE, Shooter, letterbox, write_y4m
from support.live import Live, live_server
from support.sequences import Shots, shots


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} absent: `make test` installs Debian's chromium (apt-get, as root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def face_engine() -> FaceEngine:
    return make_engine(FaceSettings())  # the default engine, as `make run` serves


CAMERA_PHOTOS = 6
"""Distinct photos of one person the fake camera films in turn (a loop of one still photo is
what the liveness check refuses)."""


def _camera_template(photo: Path, face_engine: FaceEngine) -> Template | None:
    """The photo's template as a 640x480 camera frame, if it shows exactly one face that passes
    the quality gate (and is large enough to pass it from every frame of the clip)."""
    from keyuan.services.faces.quality import check_face

    image = decode_image(jpeg(letterbox(Image.open(photo))), max_pixels=10**8, max_bytes=10**8)
    boxes = face_engine.detect(image)
    if len(boxes) != 1 or min(boxes[0].width, boxes[0].height) < 140:
        return None
    try:
        check_face(image, boxes[0], FaceSettings())
        return face_engine.sample(image, purpose=Purpose.ENROLL).template
    except KeyuanError:  # below a gate: not this photo
        return None


@pytest.fixture(scope="session")
def camera_photos(face_root: Path, face_engine: FaceEngine) -> tuple[str, list[Path]]:
    """(identity, photos): the first public-set person with `CAMERA_PHOTOS` stills that each,
    fitted into a 640x480 camera frame, show one face passing the quality gate, and that agree
    with each other as one person's frames must at enrollment — what the fake camera films."""
    settings = FaceSettings()
    limit = settings.thresholds_for(settings.engine).verify
    for folder in sorted((face_root / "identities").iterdir()):
        good: list[tuple[Path, Template]] = []
        for photo in sorted(folder.glob("*.jpg")):
            template = _camera_template(photo, face_engine)
            if template is not None and all(distance(template, t) <= limit for _, t in good):
                good.append((photo, template))
            if len(good) == CAMERA_PHOTOS:
                return folder.name, [p for p, _ in good]
    pytest.skip(f"no public-set person has {CAMERA_PHOTOS} photos that pass the quality gate "
                "in a 640x480 frame")


@pytest.fixture(scope="session")
def camera_photo(camera_photos: tuple[str, list[Path]]) -> tuple[str, Path]:
    """(identity, photo): the first photo the fake camera films (a chip photo, a reference)."""
    return camera_photos[0], camera_photos[1][0]


@pytest.fixture(scope="session")
def camera_shots(camera_photos: tuple[str, list[Path]]) -> Shots:
    """The fake camera's person as a face request carries them: the photos as 640x480 camera
    frames, distinct, with capture times."""
    return shots([jpeg(letterbox(Image.open(p))) for p in camera_photos[1][:3]])


def jpeg(frame: Image.Image) -> bytes:
    from io import BytesIO

    out = BytesIO()
    frame.save(out, format="JPEG", quality=92)
    return out.getvalue()


@pytest.fixture(scope="session")
def camera_y4m(camera_photos: tuple[str, list[Path]],
               tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("camera")
    pictures = [letterbox(Image.open(p)) for p in camera_photos[1]]
    return write_y4m(pictures, folder / "camera.y4m")


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """One Playwright driver per session: the sync API cannot start a second one while the first
    is running, so a test that needs its own launch flags launches from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver: Any, chromium: Path, camera_y4m: Path) -> Iterator[Any]:
    launched = playwright_driver.chromium.launch(
        executable_path=str(chromium), headless=True,
        args=[*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream",
              "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={camera_y4m}"])
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def live(tmp_path: Path, face_engine: FaceEngine) -> Iterator[Live]:
    """The app on 127.0.0.1 with the real default engine; plain-HTTP cookies (not Secure)."""
    with live_server(tmp_path / "data", engine=face_engine, session_cookie_secure=False) as s:
        yield s


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Shooter:
    return Shooter(request.node.nodeid.split("::", 1)[-1])


@pytest.fixture
def context(browser: Any, live: Live) -> Iterator[Any]:
    """A fresh browser profile (no cookies) with the camera allowed for the app's origin."""
    ctx = browser.new_context(base_url=live.base_url, viewport={"width": 1024, "height": 768},
                              locale="zh-CN")
    ctx.grant_permissions(["camera"], origin=live.base_url)
    ctx.set_default_timeout(20_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def phone_page(browser: Any, live: Live) -> Iterator[Any]:
    """The same app on a phone (390×844, touch, zoomable as a phone is), failing its test on a
    script error like `page`."""
    ctx = browser.new_context(base_url=live.base_url, viewport=PHONE, is_mobile=True,
                              has_touch=True, device_scale_factor=2, locale="zh-CN")
    ctx.set_default_timeout(20_000)
    new = ctx.new_page()
    problems: list[str] = []
    new.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    try:
        yield new
    finally:
        ctx.close()
    assert problems == [], problems


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    """A page that fails its test on any uncaught script error or Content-Security-Policy
    violation (the pages run under a strict CSP: `api.headers`)."""
    new = context.new_page()
    problems: list[str] = []
    new.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    new.on("console", lambda msg: problems.append(f"console: {msg.text}")
           if "Content Security Policy" in msg.text else None)
    yield new
    assert problems == [], problems
