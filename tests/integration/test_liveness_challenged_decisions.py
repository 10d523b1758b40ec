"""The decisions a liveness challenge serves, over real HTTP on SQLite and PostgreSQL (fake face
engine, fake landmarker: a frame's pose is written into it): the kiosk return checks the
challenge's movements on the very frames the 1:1 then reads; frames that do not follow it are
`422 not_live` with its reason and no visit; an office that needs a challenge refuses a face
return without one; a challenged sequence needs each frame's step."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine, FakeLandmarker, posed_face
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.domain.checkin.liveness import Step
from support.auth import client as staff_client
from support.devices import kiosk_client
from support.images import encode
from support.live import Live, live_server

OFFICE = "demo-office"
ANN = (200, 60, 60)
MOBILE = "13700001111"
STEPS = (Step.TURN_LEFT, Step.LOOK_UP, Step.TURN_RIGHT)
TARGET = {Step.TURN_LEFT: (32, 0), Step.TURN_RIGHT: (-32, 0), Step.LOOK_UP: (0, 16),
          Step.LOOK_DOWN: (0, -16)}
SIZE = (480, 640)


def b64(yaw: int = 0, pitch: int = 0, seed: int = 0) -> str:
    return base64.b64encode(encode(posed_face(ANN, yaw, pitch, seed=seed, size=SIZE),
                                   "PNG")).decode()


def followed(steps: tuple[Step, ...] = STEPS, pace: float = 1.0) -> dict[str, Any]:
    """What liveness.js sends: facing the camera, then three frames per movement (before
    moving, on the way, there), 300-1000 ms apart (times `pace`)."""
    frames, times, tags = [b64(seed=0)], [0], [None]
    for index, step in enumerate(steps):
        yaw, pitch = TARGET[step]
        for share, at in ((0.0, 150), (0.6, 1400), (1.0, 2450)):
            frames.append(b64(round(yaw * share), round(pitch * share), seed=len(frames)))
            times.append(round((900 + 2600 * index + at) * pace))
            tags.append(index)
    return {"frames": frames, "frame_times_ms": times, "frame_steps": tags}


ANSWERED_S = 10
"""Server seconds from a challenge's issuance to its answer: `followed()` spans 8.55 s."""
FRONTAL = 4
"""Frames of `followed()` facing the camera: the lead-in and each step's frame before moving."""


def audited(live: Live, action: str) -> list[dict[str, Any]]:
    with live.app.deps.uow() as uow:
        return [e.detail for e in uow.audit.all() if e.action == action]


def held_still() -> dict[str, Any]:
    """The same number of frames of someone (or a photo) facing the camera throughout."""
    sent = followed()
    sent["frames"] = [b64(seed=k) for k in range(len(sent["frames"]))]
    return sent


@pytest.fixture
def kiosk_on(store_url: str, tmp_path: Path) -> Iterator[Callable[..., Live]]:
    started: list[Any] = []

    def start(**liveness: object) -> Live:
        context = live_server(
            tmp_path / f"data{len(started)}", engine=FakeEngine(FaceSettings()),
            database_url=None if store_url.startswith("sqlite") else store_url,
            face={"min_sharpness": 0.0}, landmarker=FakeLandmarker(),
            challenge_steps=lambda: STEPS, liveness=liveness)
        started.append(context)
        return context.__enter__()

    yield start
    for context in started:
        context.__exit__(None, None, None)


def enrolled(http: httpx.Client) -> str:
    """ANN checks in by face (consent, frames, template) with her mobile on file."""
    sid = session(http)
    notice = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
    consent = http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
        "notice_hash": notice["notice"]["content_hash"], "age_14_or_over": True, "agree": True})
    assert consent.status_code == 201, consent.text
    frames = [b64(k - 1, 0, seed=k) for k in range(3)]
    done = http.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
        "consent_id": consent.json()["receipt_id"], "frames": frames,
        "frame_times_ms": [0, 150, 300]})
    assert done.status_code == 201, done.text
    return str(consent.json()["receipt_code"])


def session(http: httpx.Client) -> str:
    started = http.post("/api/kiosk/sessions", json={"office_id": OFFICE})
    assert started.status_code == 201, started.text
    return str(started.json()["session_id"])


def back(live: Live, http: httpx.Client, receipt: str, sent: dict[str, Any], *,
         challenge: bool = True, answered_s: float = 10) -> httpx.Response:
    sid = session(http)
    notice = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
    body = {"receipt_id": receipt, **sent, "renewal": {
        "notice_hash": notice["notice"]["content_hash"], "age_14_or_over": True, "agree": True}}
    if challenge:
        issued = http.post(f"/api/kiosk/sessions/{sid}/liveness-challenge",
                           json={"receipt_id": receipt})
        assert issued.status_code == 201, issued.text
        assert issued.json()["steps"] == [s.value for s in STEPS]  # the test's fixed picker
        body["challenge_id"] = issued.json()["challenge_id"]
        live.clock.advance(seconds=answered_s)  # the visitor makes the movements
    return http.post(f"/api/kiosk/sessions/{sid}/return", json=body)


def test_a_return_that_follows_its_challenge_is_verified_on_the_same_frames(
        kiosk_on: Callable[..., Live]) -> None:
    live = kiosk_on()
    with kiosk_client(live) as http:
        receipt = enrolled(http)
        ok = back(live, http, receipt, followed())
        assert ok.status_code == 201, ok.text
        assert ok.json()["method"] == "face_kiosk"
        # the 1:1 reads the frames facing the camera: the lead-in and each step's first frame
        assert [d["probe_frames"] for d in audited(live, "face_verified")] == [FRONTAL]
        refused = back(live, http, receipt, held_still())
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "not_live"
    assert refused.json()["reason"] == "challenge_not_followed"


def test_a_challenges_answer_is_bound_to_the_servers_clock(
        kiosk_on: Callable[..., Live]) -> None:
    """The frames' own times say 8.55 s: an answer the server saw come 3 s after the challenge
    was issued was not filmed for it; three movements the server saw answered 1.2 s after
    issuance (frames of 2.1 s) were not made by a person. Neither is compared with anyone, both
    are audited. The same frames 10 s later pass."""
    live = kiosk_on()
    with kiosk_client(live) as http:
        receipt = enrolled(http)
        early = back(live, http, receipt, followed(), answered_s=3)
        instant = back(live, http, receipt, followed(pace=0.25), answered_s=1.2)
        assert back(live, http, receipt, followed(), answered_s=10).status_code == 201
    assert [(r.status_code, r.json()["reason"]) for r in (early, instant)] == [
        (422, "frames_outlast_challenge"), (422, "challenge_too_fast")]
    assert [d["reason"] for d in audited(live, "face_not_live")] == [
        "frames_outlast_challenge", "challenge_too_fast"]
    assert len(audited(live, "face_verified")) == 1  # only the answer in time was compared


def test_frames_whose_own_times_go_backwards_are_refused_for_that_reason(
        kiosk_on: Callable[..., Live]) -> None:
    """The frames' own times are checked before they are held to the server's clock: times out
    of order are `timestamps_implausible`, not a too fast or too early answer."""
    live = kiosk_on()
    sent = followed()
    sent["frame_times_ms"] = list(reversed(sent["frame_times_ms"]))
    with kiosk_client(live) as http:
        refused = back(live, http, enrolled(http), sent)
    assert (refused.status_code, refused.json()["reason"]) == (422, "timestamps_implausible")


def test_an_office_that_needs_a_challenge_refuses_a_face_return_without_one(
        kiosk_on: Callable[..., Live]) -> None:
    live = kiosk_on(challenge_required=True)
    with kiosk_client(live) as http:
        receipt = enrolled(http)
        bare = back(live, http, receipt, followed(), challenge=False)
        assert bare.status_code == 422 and bare.json()["error"] == "challenge_missing"
        sent = followed()
        del sent["frame_steps"]
        untagged = back(live, http, receipt, sent)
        assert untagged.status_code == 422
        assert untagged.json()["error"] == "frame_times_mismatch"
        assert back(live, http, receipt, followed()).status_code == 201


def test_the_rights_desk_checks_its_own_challenge_on_the_frames_it_compares(
        kiosk_on: Callable[..., Live]) -> None:
    live = kiosk_on()
    with kiosk_client(live) as http:
        receipt = enrolled(http)
    with staff_client(live.base_url, live.app, Role.reception) as desk, \
            staff_client(live.base_url, live.app, Role.reception) as colleague:
        def check(who: httpx.Client, sent: dict[str, Any]) -> httpx.Response:
            issued = who.post(f"/api/offices/{OFFICE}/rights-desk/liveness-challenges")
            assert issued.status_code == 201, issued.text
            live.clock.advance(seconds=ANSWERED_S)
            return desk.post("/api/rights/in-person", json={
                "receipt_id": receipt, **sent, "challenge_id": issued.json()["challenge_id"]})

        elsewhere = check(colleague, followed())  # another account's challenge
        assert elsewhere.status_code == 403 and elsewhere.json()["error"] == "challenge_elsewhere"
        still = check(desk, held_still())
        assert still.status_code == 422 and still.json()["reason"] == "challenge_not_followed"
        opened = check(desk, followed())
        assert opened.status_code == 200, opened.text
        assert opened.json()["outcome"] == "verified"
    assert [d["probe_frames"] for d in audited(live, "rights_face_verified")] == [FRONTAL]
