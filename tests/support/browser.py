"""Browser-test helpers: a fake camera file made from public-set photos of one person (in the
test's temp folder, never committed), screenshots as artifacts, and page checks (labels,
keyboard)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from support.auth import PASSWORD, make_user

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# axe-core, from npm: `make browser` runs `npm ci` in tests/browser/axe/ (exact version pinned in
# its package-lock.json) when this file is missing.
AXE_SCRIPT = PROJECT_ROOT / "tests" / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
FRAME_SIZE = (640, 480)
PHONE = {"width": 390, "height": 844}
"""A common phone (the tester's); tablets and laptops are tested at 1024×768."""
TABLET = {"width": 1024, "height": 768}
MIN_FONT_PX = 12


def letterbox(photo: Image.Image, size: tuple[int, int] = FRAME_SIZE) -> Image.Image:
    """The photo scaled to fit the camera frame, on a neutral grey background."""
    w, h = size
    scale = min(w / photo.width, h / photo.height)
    fitted = photo.convert("RGB").resize((round(photo.width * scale), round(photo.height * scale)))
    frame = Image.new("RGB", size, (128, 128, 128))
    frame.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
    return frame


def write_y4m(pictures: Sequence[Image.Image], path: Path, *, hold: int = 1, fps: int = 15,
              seconds: int = 4) -> Path:
    """A YUV4MPEG2 (4:2:0, JPEG range) clip — what Chromium's fake camera plays in a loop — of
    several distinct photos of one person in a shuffled order (each held for `hold` frames, never
    the same photo twice in a row, moved by a pixel between frames): a camera's sequence as the
    public set allows one, where a loop of one still photo is what the liveness check refuses.
    Shuffled so that frames a page takes a moment apart come from different photos whatever its
    timing (three frames all of one photo: about 1 in len(pictures)² of requests). All pictures
    must have one size."""
    w, h = pictures[0].size
    assert all(p.size == (w, h) for p in pictures), "every picture of a clip has one size"
    order = _shuffled(len(pictures), max(1, fps * seconds // hold))
    arrays = [np.asarray(p.convert("RGB")) for p in pictures]
    return write_frames([arrays[i] for i in order for _ in range(hold)], path, fps=fps)


def write_frames(frames: Sequence[np.ndarray], path: Path, *, fps: int = 15) -> Path:
    """A YUV4MPEG2 clip (4:2:0, JPEG range) of RGB `frames` of one size, each moved by a pixel
    against the one before (as a hand-held picture never stands perfectly still)."""
    h, w = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i, base in enumerate(frames):
            moved = np.roll(base, shift=(i % 3) - 1, axis=1)
            ycc = Image.fromarray(moved).convert("YCbCr")
            y, cb, cr = ycc.split()
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            out.write(cb.resize((w // 2, h // 2), Image.Resampling.BOX).tobytes())
            out.write(cr.resize((w // 2, h // 2), Image.Resampling.BOX).tobytes())
    return path


def _shuffled(kinds: int, length: int) -> list[int]:
    """`length` picks of `kinds` pictures in a fixed pseudo-random order, no pick twice in a row
    (when there are two kinds or more)."""
    rng = np.random.default_rng(18)
    picks: list[int] = []
    while len(picks) < length:
        pick = int(rng.integers(kinds))
        if kinds == 1 or not picks or pick != picks[-1]:
            picks.append(pick)
    return picks


class Shooter:
    """`shoot(page, "step")` saves a full-page PNG under test-artifacts/screenshots/<test>/."""

    def __init__(self, test_name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)[:120]
        self.count = 0

    def __call__(self, page: object, name: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


# Every form control a person can use must have a name a screen reader reads out.
UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !el.closest('[hidden]'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
               && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""


def unlabelled(page: object) -> list[str]:
    """Form controls without a label (empty list: every input is labelled)."""
    return list(page.evaluate(UNLABELLED_JS))  # type: ignore[attr-defined]


# Every visible element: does it, or its own text, end past the phone's right edge (outside a
# box that scrolls sideways on purpose), is its content clipped sideways by its own overflow
# (hidden/clip), and is its own text smaller than MIN_FONT_PX?
LAYOUT_JS = """([minFont, width]) => {
  const out = [];
  if (window.innerWidth !== width)
    out.push(`zoomed out to fit: innerWidth ${window.innerWidth} != ${width}`);
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const scrolls = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  const unseen = '.skip, [hidden], details:not([open]) > :not(summary)';
  // visually hidden for screen readers only (a 1×1 px clipped box, e.g. a card table's header)
  const srOnly = el => {
    for (let p = el; p && p !== document.body; p = p.parentElement) {
      const b = p.getBoundingClientRect();
      if (b.width <= 1 && b.height <= 1 && getComputedStyle(p).overflow !== 'visible') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el), box = el.getBoundingClientRect();
    if (style.display === 'none' || style.visibility === 'hidden' || box.width === 0
        || box.height === 0 || el.closest(unseen) || srOnly(el)) continue;
    if (box.right > width + 0.5 && !scrolls(el))
      out.push(`past the right edge (${Math.round(box.right)} > ${width}): ${name(el)}`);
    const clips = style.overflowX === 'hidden' || style.overflowX === 'clip';
    if (clips && el.scrollWidth > el.clientWidth + 1)
      out.push(`content clipped (${el.scrollWidth} > ${el.clientWidth}): ${name(el)}`);
    const texts = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
    if (texts.length && parseFloat(style.fontSize) < minFont)
      out.push(`text ${style.fontSize}: ${name(el)}`);
    for (const text of texts) {  // text running out of its own (narrower) box
      const range = document.createRange();
      range.selectNodeContents(text);
      const right = range.getBoundingClientRect().right;
      if (right > width + 0.5 && !scrolls(el) && style.overflowX === 'visible')
        out.push(`text past the right edge (${Math.round(right)} > ${width}): ${name(el)}`);
    }
  }
  const page = document.scrollingElement;
  if (page.scrollWidth > Math.min(width, window.innerWidth))
    out.push(`page scrolls sideways: ${page.scrollWidth} > ${width}`);
  return out;
}"""


def layout_problems(page: Any, width: int = PHONE["width"]) -> list[str]:
    """What does not fit: checked against the viewport's width (390 for a phone), not only
    `innerWidth`: on a mobile viewport Chromium widens the layout viewport (zooms out) to fit
    content that is too wide. Empty: nothing sideways, nothing cut, no text under 12 px."""
    return list(page.evaluate(LAYOUT_JS, [MIN_FONT_PX, width]))


def posted_bodies(page: Any, *routes: str) -> dict[str, list[dict[str, Any]]]:
    """The JSON bodies the page POSTs to URLs ending in each of `routes`, filled as it posts."""
    posts: dict[str, list[dict[str, Any]]] = {route: [] for route in routes}

    def seen(request: Any) -> None:
        route = request.url.split("?", 1)[0].rsplit("/", 1)[-1]
        if request.method == "POST" and route in posts:
            posts[route].append(request.post_data_json)

    page.on("request", seen)
    return posts


def assert_timed_frames(frames: list[str], times: list[int]) -> None:
    """Each frame went with its capture time (whole ms of performance.now()), in capture order,
    taken over a moment rather than all at once (what the liveness check reads)."""
    assert len(times) == len(frames) >= 3
    assert all(isinstance(t, int) for t in times) and times == sorted(times)
    assert times[-1] - times[0] >= 100


SIZES = {"phone": PHONE, "tablet": TABLET}
LOGIN_WORDS = {"zh-CN": {"user": "用户名", "password": "密码", "login": "登录"},
               "en": {"user": "Username", "password": "Password", "login": "Log in"}}


def new_page(browser: Any, live: Any, size: str, lang: str, *, camera: bool = False) -> Any:
    """A page in a fresh context: "phone" (390×844, touch) or "tablet" (1024×768), in `lang`;
    `camera` grants the (fake) camera. `page.problems` collects script errors and CSP refusals."""
    phone = size == "phone"
    ctx = browser.new_context(base_url=live.base_url, viewport=SIZES[size], is_mobile=phone,
                              has_touch=phone, locale=lang)
    if camera:
        ctx.grant_permissions(["camera"], origin=live.base_url)
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: page.problems.append(f"console: {msg.text}")
            if "Content Security Policy" in msg.text else None)
    return page


def log_in(page: Any, username: str, password: str, lang: str) -> None:
    """Fill and send the login form the page shows."""
    w = LOGIN_WORDS[lang]
    page.get_by_label(w["user"]).fill(username)
    page.get_by_label(w["password"]).fill(password)
    page.get_by_role("button", name=w["login"], exact=True).click()


def fits(page: Any, size: str) -> None:
    assert layout_problems(page, SIZES[size]["width"]) == []


def staff_page(browser: Any, live: Any, role: Any, *, size: str, lang: str, lands: str,
               opens: str | None = None, camera: bool = False) -> Any:
    """A new page (`new_page`) logged in at `/login` as a new account of `role`, waited until it
    lands on its workspace `lands` (`/admin`, `/reception`); with `opens`, the workspace menu's
    link to that page (`#admin-pages`) followed as well."""
    page = new_page(browser, live, size, lang, camera=camera)
    page.goto(f"/login?lang={lang}")
    log_in(page, make_user(live.app, role), PASSWORD, lang)
    page.wait_for_url(f"**{lands}")
    if opens is not None:
        page.locator(f"#admin-pages a[href='{opens}']").click()
        page.wait_for_url(f"**{opens}")
    return page
