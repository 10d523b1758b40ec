"""Every request carrying frames for a face decision carries their capture times too
(`frame_times_ms`, issue 18): one per frame, refused before any frame is decoded when the counts
differ (`frame_times_mismatch`, 422), nothing stored and no engine call. Over real HTTP on SQLite
and PostgreSQL: kiosk enrollment and return visit, the signing desk and the rights desk."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.store.tables import checkin as tables
from keyuan.domain.accounts.model import Role
from support import auth
from support.devices import kiosk_client
from support.live import Live

from .conftest import png_bytes

OFFICE = "demo-office"
ANN = (200, 150, 120)
FRAMES = [base64.b64encode(png_bytes(ANN)).decode()] * 3
COUNTED = (tables.persons, tables.consents, tables.visits, tables.templates)


@pytest.fixture
def kiosk(live: Live) -> Iterator[httpx.Client]:
    with kiosk_client(live) as http:
        yield http


def counts(live: Live) -> dict[str, int]:
    with live.app.db.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in COUNTED}


def engine_calls(live: Live) -> int:
    engine = live.app.deps.engine
    assert isinstance(engine, FakeEngine)
    return len(engine.calls)


def consented(kiosk: httpx.Client) -> tuple[str, str]:
    session = kiosk.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
    sid = session["session_id"]
    r = kiosk.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
        "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True, "agree": True})
    assert r.status_code == 201, r.text
    return sid, r.json()["receipt_id"]


def refused_as_mismatch(r: httpx.Response) -> bool:
    body = r.json()
    return (r.status_code, body["error"]) == (422, "frame_times_mismatch") and bool(
        body["message"]) and "Traceback" not in r.text


@pytest.mark.parametrize("times", [[0, 150], [0, 150, 300, 450], []])
def test_an_enrollment_whose_times_do_not_pair_with_its_frames_is_refused_and_stores_nothing(
        live: Live, kiosk: httpx.Client, times: list[int]) -> None:
    sid, receipt = consented(kiosk)
    before, calls = counts(live), engine_calls(live)

    r = kiosk.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
        "consent_id": receipt, "frames": FRAMES, "frame_times_ms": times})

    assert refused_as_mismatch(r), r.text
    assert counts(live) == before and engine_calls(live) == calls  # nothing decoded or stored


def test_a_return_visit_whose_times_do_not_pair_with_its_frames_is_refused_uncounted(
        live: Live, kiosk: httpx.Client) -> None:
    sid, _ = consented(kiosk)
    calls = engine_calls(live)

    r = kiosk.post(f"/api/kiosk/sessions/{sid}/return", json={
        "mobile": "13812345678", "frames": FRAMES, "frame_times_ms": [0]})

    assert refused_as_mismatch(r), r.text
    assert engine_calls(live) == calls
    with live.app.deps.uow() as uow:  # refused before the attempt is counted or audited
        assert [e.action for e in uow.audit.all() if e.action.startswith("face_")] == []


def test_the_rights_desk_refuses_times_that_do_not_pair_with_its_frames(live: Live) -> None:
    with auth.client(live.base_url, live.app, Role.reception) as reception:
        r = reception.post("/api/rights/in-person", json={
            "receipt_id": "KY-00000-00000", "frames": FRAMES, "frame_times_ms": [0, 1]})

    assert refused_as_mismatch(r), r.text


@pytest.mark.parametrize("where", ["single", "buyers"])
def test_the_signing_desk_refuses_times_that_do_not_pair_with_its_live_frames(
        live: Live, where: str) -> None:
    buyer: dict[str, Any] = {"id_number": "440306199003071232", "mobile": "13612340001",
                             "live_frames": FRAMES, "frame_times_ms": [0, 150]}
    body: dict[str, Any] = (
        {"buyer_name": "李雷", **buyer} if where == "single"
        else {"buyers": [{"name": "李雷", "main": True, **buyer}]})
    with auth.client(live.base_url, live.app, "admin") as desk:
        calls = engine_calls(live)
        r = desk.post(f"/api/offices/{OFFICE}/signings",
                      json={**body, "contract_price_fen": 2_800_000_00})
        queue = desk.get(f"/api/offices/{OFFICE}/review-queue").json()

    assert refused_as_mismatch(r), r.text
    assert engine_calls(live) == calls and queue == []


@pytest.mark.parametrize("times", [[-1, 0, 150], [0, 1.5, 3], ["0", "a", "b"], [2**53, 0, 1]])
def test_a_capture_time_that_is_not_a_whole_non_negative_ms_count_is_a_clear_422(
        live: Live, kiosk: httpx.Client, times: list[Any]) -> None:
    sid, receipt = consented(kiosk)

    r = kiosk.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
        "consent_id": receipt, "frames": FRAMES, "frame_times_ms": times})

    assert (r.status_code, r.json()["error"]) == (422, "invalid_request"), r.text
    assert "frame_times_ms" in r.json()["message"]
