"""A live face, not a photo (issue 18), at the rights desk (当面核验), over real HTTP on SQLite and
PostgreSQL (the fake engine and its landmarker), with the shipped liveness settings (the
challenge required): identical frames sent under a challenge are refused as not live before any
face is compared — no rights session opened —, audited with the reason and counted as a face
attempt against the receipt; a live sequence following a new challenge passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.domain.checkin.liveness import Step
from support import auth
from support.challenge import AS_SHIPPED
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import fake_followed, fake_shots, fake_still

OFFICE = "demo-office"
ALICE = (30, 200, 90)
STEPS = (Step.TURN_RIGHT, Step.LOOK_DOWN, Step.TURN_LEFT)


@pytest.fixture
def live(store_url: str, tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "live", engine=FakeEngine(FaceSettings()),
                     database_url=None if store_url.startswith("sqlite") else store_url,
                     liveness=AS_SHIPPED, challenge_steps=lambda: STEPS) as server:
        yield server


def challenged(live: Live, desk: httpx.Client, sent: dict[str, Any]) -> dict[str, Any]:
    """`sent` with a new rights-desk challenge of this member of staff, answered 10 s after it
    was issued (the server's clock: the visitor makes the movements)."""
    issued = desk.post(f"/api/offices/{OFFICE}/rights-desk/liveness-challenges")
    assert issued.status_code == 201, issued.text
    assert issued.json()["steps"] == [s.value for s in STEPS]
    live.clock.advance(seconds=10)
    return {**sent, "challenge_id": issued.json()["challenge_id"]}


def audited(live: Live, action: str) -> list[dict[str, Any]]:
    with live.app.deps.uow() as uow:
        return [e.detail for e in uow.audit.all() if e.action == action]


def face_hits(live: Live) -> int:
    """Face attempts counted so far, over every face bucket."""
    with live.app.db.connect() as conn:
        return int(conn.execute(text(
            "SELECT sum(hits) FROM throttle_counters WHERE key LIKE :kind"),
            {"kind": "face.%"}).scalar() or 0)


def face_only_visitor(live: Live) -> str:
    with kiosk_client(live) as http:
        session = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
        sid = session["session_id"]
        receipt = http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True,
            "agree": True}).json()["receipt_id"]
        r = http.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                      json={"consent_id": receipt, **fake_shots(ALICE).wire()})
        assert r.status_code == 201, r.text
    return str(receipt)


def test_the_rights_desk_refuses_a_still_photo_counts_it_and_opens_nothing(
        live: Live) -> None:
    receipt = face_only_visitor(live)
    before = face_hits(live)
    with auth.client(live.base_url, live.app, Role.reception) as reception:
        followed = fake_followed(ALICE, STEPS)  # a live sequence's times and steps...
        photo = fake_still(ALICE, 1).wire()["frames"][0]  # ...on one still photo
        still = {**followed, "frames": [photo] * len(followed["frames"])}
        r = reception.post("/api/rights/in-person",
                           json={"receipt_id": receipt, **challenged(live, reception, still)})
        assert (r.status_code, r.json()["error"], r.json()["reason"]) == (
            422, "not_live", "frames_identical"), r.text
        assert "token" not in r.text
        assert audited(live, "face_not_live") == [
            {"use": "rights_in_person", "reason": "frames_identical", "challenge": True}]
        assert audited(live, "rights_face_verified") == []  # nothing was compared
        assert face_hits(live) > before  # a face attempt against the receipt
        opened = reception.post("/api/rights/in-person", json={
            "receipt_id": receipt, **challenged(live, reception, fake_followed(ALICE, STEPS))})
        assert (opened.status_code, opened.json()["outcome"]) == (200, "verified"), opened.text
