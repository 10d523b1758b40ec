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
from keyuan.services.faces.engine import FaceEngine
from support.browser import CHROMIUM, CHROMIUM_FLAGS, PHONE, Shooter, letterbox, write_y4m
from support.live import Live, live_server


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


@pytest.fixture(scope="session")
def camera_photo(face_root: Path, face_engine: FaceEngine) -> tuple[str, Path]:
    """(identity, photo): the first public-set still that, fitted into a 640x480 camera frame,
    shows exactly one face that passes the quality gate — what the fake camera will film."""
    from keyuan.services.faces.quality import check_face

    settings = FaceSettings()
    for photo in sorted((face_root / "identities").glob("*/*.jpg")):
        frame = letterbox(Image.open(photo))
        image = decode_image(jpeg(frame), max_pixels=10**8, max_bytes=10**8)
        boxes = face_engine.detect(image)
        if len(boxes) != 1 or min(boxes[0].width, boxes[0].height) < 140:
            continue
        try:
            check_face(image, boxes[0], settings)
        except KeyuanError:  # below a gate: try the next photo
            continue
        return photo.parent.name, photo
    pytest.skip("no public-set photo passes the quality gate in a 640x480 frame")


def jpeg(frame: Image.Image) -> bytes:
    from io import BytesIO

    out = BytesIO()
    frame.save(out, format="JPEG", quality=92)
    return out.getvalue()


@pytest.fixture(scope="session")
def camera_y4m(camera_photo: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("camera")
    return write_y4m(letterbox(Image.open(camera_photo[1])), folder / "camera.y4m")


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
