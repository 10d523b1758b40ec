"""活体挑战 over real HTTP on SQLite and PostgreSQL: a challenge is issued for one kiosk session
or one member of staff at one desk, lives a minute, serves one decision — parallel decisions on
one challenge: exactly one uses it —, is refused elsewhere, and issuing one is counted like a
face attempt so challenges cannot be drawn until a convenient sequence comes up."""

from __future__ import annotations

import base64
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.domain.checkin.challenge import CHALLENGE_SECONDS, ChallengePlace
from keyuan.domain.checkin.liveness import Step
from keyuan.domain.errors import ChallengeUsed
from keyuan.services.checkin.challenges import claim_key, kiosk_subject, use_challenge
from support.auth import client as staff_client
from support.challenge import AS_SHIPPED
from support.devices import kiosk_client
from support.live import Live, live_server
from support.parallel import parallel, together

from .conftest import png_bytes

OFFICE = "demo-office"
MOBILE = "13700001111"
LIMITS = {"face_attempts_per_claim": {"limit": 3, "window_seconds": 3600},
          "face_attempts_per_address": {"limit": 1000, "window_seconds": 3600}}


@pytest.fixture
def live(store_url: str, tmp_path: Path) -> Iterator[Live]:
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "live", engine=FakeEngine(FaceSettings()),
                     database_url=database_url, limits=LIMITS, liveness=AS_SHIPPED) as server:
        yield server


@pytest.fixture
def tablet(live: Live) -> Iterator[httpx.Client]:
    with kiosk_client(live) as http:
        yield http


def session(http: httpx.Client) -> str:
    started = http.post("/api/kiosk/sessions", json={"office_id": OFFICE})
    assert started.status_code == 201, started.text
    return str(started.json()["session_id"])


def challenge(http: httpx.Client, sid: str, mobile: str = MOBILE) -> dict[str, Any]:
    issued = http.post(f"/api/kiosk/sessions/{sid}/liveness-challenge", json={"mobile": mobile})
    assert issued.status_code == 201, issued.text
    return dict(issued.json())


def back(http: httpx.Client, sid: str, challenge_id: str) -> httpx.Response:
    frames = [base64.b64encode(png_bytes((200, 60, 60))).decode()] * 3
    return http.post(f"/api/kiosk/sessions/{sid}/return", json={
        "mobile": MOBILE, "frames": frames, "challenge_id": challenge_id})


def error(r: httpx.Response) -> str:
    body = r.json()
    assert set(body) >= {"error", "message"} and body["message"], body
    return str(body["error"])


def test_a_kiosk_challenge_is_a_random_sequence_that_lives_a_minute(tablet: httpx.Client,
                                                                    live: Live) -> None:
    issued = challenge(tablet, session(tablet))
    steps = issued["steps"]
    assert len(steps) == 3 and {Step(s) for s in steps} <= set(Step)
    assert all(a != b for a, b in itertools.pairwise(steps))
    assert issued["seconds"] == CHALLENGE_SECONDS
    with live.app.deps.uow() as uow:
        stored = uow.challenges.get(issued["challenge_id"])
        assert stored is not None and stored.used_at is None and stored.steps == steps


def test_a_return_uses_its_challenge_once_and_a_replay_is_refused(tablet: httpx.Client,
                                                                  live: Live) -> None:
    sid = session(tablet)
    issued = challenge(tablet, sid)
    first = back(tablet, sid, issued["challenge_id"])  # used, then refused: no frame_steps
    assert first.status_code == 422 and error(first) == "frame_times_mismatch"
    replay = back(tablet, sid, issued["challenge_id"])
    assert replay.status_code == 409 and error(replay) == "challenge_used"
    with live.app.deps.uow() as uow:
        assert uow.challenges.get(issued["challenge_id"]).used_at is not None  # type: ignore[union-attr]


def test_an_expired_unknown_or_foreign_challenge_is_refused_before_any_frame(
        tablet: httpx.Client, live: Live, store_url: str) -> None:
    sid, other = session(tablet), session(tablet)
    late = challenge(tablet, sid)
    live.clock.advance(seconds=CHALLENGE_SECONDS)
    expired = back(tablet, sid, late["challenge_id"])
    assert expired.status_code == 410 and error(expired) == "challenge_expired"
    unknown = back(tablet, sid, "0" * 32)
    assert unknown.status_code == 404 and error(unknown) == "challenge_unknown"
    foreign = back(tablet, sid, challenge(tablet, other)["challenge_id"])
    assert foreign.status_code == 403 and error(foreign) == "challenge_elsewhere"
    with staff_client(live.base_url, live.app, Role.signing) as clerk:
        desk = clerk.post(f"/api/offices/{OFFICE}/desk/liveness-challenges")
        assert desk.status_code == 201, desk.text
    at_the_kiosk = back(tablet, sid, desk.json()["challenge_id"])
    assert at_the_kiosk.status_code == 403 and error(at_the_kiosk) == "challenge_elsewhere"
    with live.app.deps.uow() as uow:  # none of the refusals used anything up
        assert uow.challenges.get(desk.json()["challenge_id"]).used_at is None  # type: ignore[union-attr]


def test_parallel_returns_on_one_challenge_exactly_one_uses_it(tablet: httpx.Client,
                                                               live: Live) -> None:
    sid = session(tablet)
    issued = challenge(tablet, sid)
    frames = [base64.b64encode(png_bytes((200, 60, 60))).decode()] * 3
    answers = together(4, lambda http, _: http.post(
        f"/api/kiosk/sessions/{sid}/return", json={
            "mobile": MOBILE, "frames": frames, "challenge_id": issued["challenge_id"]}),
        live.base_url, headers=dict(tablet.headers))
    codes = sorted(error(r) for r in answers)
    assert codes == ["challenge_used"] * 3 + ["frame_times_mismatch"], codes  # one used it


def test_issuing_challenges_is_counted_like_face_attempts_of_the_claim(
        tablet: httpx.Client) -> None:
    sid = session(tablet)
    for _ in range(LIMITS["face_attempts_per_claim"]["limit"]):
        challenge(tablet, sid)
    farmed = tablet.post(f"/api/kiosk/sessions/{sid}/liveness-challenge",
                         json={"mobile": MOBILE})
    assert farmed.status_code == 429 and error(farmed) == "face_attempts_rate_limited"
    assert farmed.headers["Retry-After"]
    # the claim's returns were counted as its challenges were drawn: none is left to draw
    other = tablet.post(f"/api/kiosk/sessions/{sid}/liveness-challenge",
                        json={"mobile": "13700002222"})
    assert other.status_code == 201, other.text


def test_a_kiosk_challenge_needs_a_claim_and_a_session_that_may_use_face(
        tablet: httpx.Client) -> None:
    sid = session(tablet)
    nobody = tablet.post(f"/api/kiosk/sessions/{sid}/liveness-challenge", json={})
    assert nobody.status_code == 404 and error(nobody) == "unknown_person"
    assert tablet.post(f"/api/kiosk/sessions/{sid}/decline-face").status_code == 200
    declined = tablet.post(f"/api/kiosk/sessions/{sid}/liveness-challenge",
                           json={"mobile": MOBILE})
    assert declined.status_code == 409 and error(declined) == "face_declined_this_visit"


def test_desk_challenges_are_for_their_own_desk_roles(live: Live) -> None:
    with staff_client(live.base_url, live.app, Role.signing) as clerk:
        issued = clerk.post(f"/api/offices/{OFFICE}/desk/liveness-challenges")
        assert issued.status_code == 201, issued.text
        assert clerk.post(f"/api/offices/{OFFICE}/rights-desk/liveness-challenges"
                          ).status_code == 403
        unknown = clerk.post("/api/offices/nowhere/desk/liveness-challenges")
        assert unknown.status_code == 404 and error(unknown) == "unknown_office"
    with staff_client(live.base_url, live.app, Role.reception) as reception:
        rights = reception.post(f"/api/offices/{OFFICE}/rights-desk/liveness-challenges")
        assert rights.status_code == 201, rights.text
        assert reception.post(f"/api/offices/{OFFICE}/desk/liveness-challenges"
                              ).status_code == 403
    with live.app.deps.uow() as uow:
        desk = uow.challenges.get(issued.json()["challenge_id"])
        assert desk is not None and desk.subject.startswith("signing:")


def test_two_decisions_that_both_read_it_unused_use_a_challenge_once(
        tablet: httpx.Client, live: Live, store_url: str) -> None:
    """The store's conditional update, not the order requests happen to arrive in: on
    PostgreSQL both transactions read the challenge unused before either marks it; on SQLite the
    writer lock already orders them."""
    sid = session(tablet)
    issued = challenge(tablet, sid)["challenge_id"]
    deps = live.app.deps
    both_read = threading.Barrier(2) if store_url.startswith("postgresql") else None

    def decide(_: int) -> str:
        try:
            with deps.uow() as uow:
                if both_read is not None:
                    found = uow.challenges.get(issued)
                    assert found is not None and found.used_at is None
                    both_read.wait(timeout=20)
                used_up = use_challenge(uow, deps, issued, place=ChallengePlace.KIOSK_RETURN,
                                        subject=kiosk_subject(sid, claim_key(None, MOBILE, deps),
                                                              deps),
                                        office_id=OFFICE)
                uow.commit()
                return used_up.id
        except ChallengeUsed as refused:
            return refused.code

    outcomes = sorted(parallel(2, decide))
    assert outcomes == sorted([issued, "challenge_used"]), outcomes
