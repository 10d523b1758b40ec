"""A liveness challenge and the decision it serves count once (issue 18), over real HTTP on SQLite
and PostgreSQL: the decision consumes the face-attempt slot its challenge took, so one tablet
gets as many challenged returns an hour as its address allows face attempts, not half; drawing
challenges still spends that budget (no endless draws), and a kiosk challenge serves the claim
it was drawn for only (a slot taken for one claim is no slot for another)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from support.auth import client as staff_client
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import fake_shots

OFFICE = "demo-office"
MOBILE = "13700001111"
PER_ADDRESS = 4
LIMITS = {"face_attempts_per_claim": {"limit": 100, "window_seconds": 3600},
          "face_attempts_per_address": {"limit": PER_ADDRESS, "window_seconds": 3600}}


@pytest.fixture
def live(store_url: str, tmp_path: Path) -> Iterator[Live]:
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "live", engine=FakeEngine(FaceSettings()),
                     database_url=database_url, limits=LIMITS) as server:
        yield server


def hits(live: Live, kind: str) -> int:
    with live.app.db.connect() as conn:
        return int(conn.execute(text(
            "SELECT coalesce(sum(hits), 0) FROM throttle_counters WHERE key LIKE :kind"),
            {"kind": f"{kind}%"}).scalar() or 0)


def session(http: httpx.Client) -> str:
    started = http.post("/api/kiosk/sessions", json={"office_id": OFFICE})
    assert started.status_code == 201, started.text
    return str(started.json()["session_id"])


def draw(http: httpx.Client, sid: str, mobile: str = MOBILE) -> httpx.Response:
    return http.post(f"/api/kiosk/sessions/{sid}/liveness-challenge", json={"mobile": mobile})


def back(http: httpx.Client, sid: str, challenge_id: str, mobile: str = MOBILE) -> httpx.Response:
    """A challenged return whose frames carry no steps: refused after the challenge was used up
    (`frame_times_mismatch`), the attempt spent as a failed one is."""
    frames: dict[str, Any] = fake_shots((200, 60, 60)).wire()
    return http.post(f"/api/kiosk/sessions/{sid}/return", json={
        "mobile": mobile, "challenge_id": challenge_id, **frames})


def test_a_challenged_return_takes_the_slot_its_challenge_took(live: Live) -> None:
    with kiosk_client(live) as tablet:
        for _ in range(PER_ADDRESS):  # before: a challenge and its return took two slots each
            sid = session(tablet)
            issued = draw(tablet, sid)
            assert issued.status_code == 201, issued.text
            spent = back(tablet, sid, issued.json()["challenge_id"])
            assert spent.json()["error"] == "frame_times_mismatch", spent.text
        assert hits(live, "face.address") == PER_ADDRESS
        assert hits(live, "face.claim") == PER_ADDRESS
        more = draw(tablet, session(tablet))  # drawing still spends the address's budget
        assert (more.status_code, more.json()["error"]) == (429, "face_attempts_rate_limited")
        assert more.headers["Retry-After"]


def test_a_kiosk_challenge_serves_the_claim_it_was_drawn_for_only(live: Live) -> None:
    with kiosk_client(live) as tablet:
        sid = session(tablet)
        issued = draw(tablet, sid)
        assert issued.status_code == 201, issued.text
        other = back(tablet, sid, issued.json()["challenge_id"], mobile="13700002222")
        assert (other.status_code, other.json()["error"]) == (403, "challenge_elsewhere")
        assert hits(live, "face.claim") == 1  # the other claim spent nothing and saw nothing
        same = back(tablet, sid, issued.json()["challenge_id"])
        assert same.json()["error"] == "frame_times_mismatch", same.text


def test_a_rights_desk_check_takes_its_address_slot_with_its_challenge(live: Live) -> None:
    with kiosk_client(live) as tablet:
        sid = session(tablet)
        started = tablet.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
        receipt = tablet.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": started["notice"]["content_hash"], "age_14_or_over": True,
            "agree": True}).json()["receipt_id"]
        enrolled = tablet.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
            "consent_id": receipt, **fake_shots((30, 200, 90)).wire()})
        assert enrolled.status_code == 201, enrolled.text
    with staff_client(live.base_url, live.app, Role.reception) as desk:
        issued = desk.post(f"/api/offices/{OFFICE}/rights-desk/liveness-challenges")
        assert issued.status_code == 201, issued.text
        r = desk.post("/api/rights/in-person", json={
            "receipt_id": receipt, "challenge_id": issued.json()["challenge_id"],
            "frames": [base64.b64encode(b"x").decode()] * 3})
        assert r.json()["error"] == "frame_times_mismatch", r.text
    assert (hits(live, "face.staff"), hits(live, "face.address"), hits(live, "face.claim")) == (
        1, 1, 1)
