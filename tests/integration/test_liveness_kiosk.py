"""A still photo never passes the kiosk (issue 18): the passive liveness checks run at face
enrollment (as shipped) and at a plain return visit (no challenge, at an office that switched
it off), over real HTTP on SQLite and PostgreSQL, with the real engine (SFace, YuNet's
landmarks) on real photos of both public sets — the mixed set and the East Asian one.

One photo repeated (`frames_identical`) and one photo moved, zoomed, turned and re-encoded
(`single_image`) are refused with 422 `not_live` and the reason, before any template is derived:
nothing is written but the audit entry (`face_not_live`, the use and the reason code only) and,
at a return, the face attempt it counts. A return's refusal comes before anyone is looked up:
the same answer whoever the claim names. Distinct photos of one person, timed as a camera takes
them, still enroll and return."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, text

from keyuan.adapters.biometrics.engines import make_engine
from keyuan.config.face import FaceSettings
from keyuan.services.faces.engine import FaceEngine
from support.challenge import AS_SHIPPED
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import Shots, identity_photos, photo_shots, still_shots, warped_shots

pytestmark = pytest.mark.faces

OFFICE = "demo-office"
PEOPLE = {"mixed": "df_id01", "east_asian": "Jiang_Zemin"}
"""One person of each public set with at least six photos: three to enroll, three to return."""
KEPT_APART = ("audit", "throttle")
"""Tables a refusal may write to: its audit entry and, at a return, the attempt it counts."""


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return make_engine(FaceSettings())


@pytest.fixture(params=sorted(PEOPLE))
def photos(request: pytest.FixtureRequest) -> list[Path]:
    root = request.getfixturevalue(
        "face_root" if request.param == "mixed" else "east_asian_root")
    found = identity_photos(root, PEOPLE[request.param])
    assert len(found) >= 6, found
    return found


@pytest.fixture
def live(store_url: str, tmp_path: Path, engine: FaceEngine) -> Iterator[Live]:
    """The shipped liveness settings: the challenge required at a return."""
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "live", engine=engine, database_url=database_url,
                     liveness=AS_SHIPPED) as server:
        yield server


@pytest.fixture
def switched_off(store_url: str, tmp_path: Path, engine: FaceEngine) -> Iterator[Live]:
    """An office that switched the challenge off (`KEYUAN_LIVENESS__CHALLENGE_REQUIRED=false`):
    a plain return visit, no challenge, gets the passive checks alone."""
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "off", engine=engine, database_url=database_url,
                     liveness={"challenge_required": False}) as server:
        yield server


@pytest.fixture
def tablet(live: Live) -> Iterator[httpx.Client]:
    with kiosk_client(live) as http:
        yield http


@pytest.fixture
def off_tablet(switched_off: Live) -> Iterator[httpx.Client]:
    with kiosk_client(switched_off) as http:
        yield http


def attacks(photo: Path) -> dict[str, Shots]:
    still = photo.read_bytes()
    return {"frames_identical": still_shots(still), "single_image": warped_shots(still)}


def consented(tablet: httpx.Client) -> tuple[str, str]:
    """A kiosk session with a face consent given in it: (session id, receipt id)."""
    session = tablet.post("/api/kiosk/sessions", json={"office_id": OFFICE})
    assert session.status_code == 201, session.text
    sid = session.json()["session_id"]
    receipt = tablet.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
        "notice_hash": session.json()["notice"]["content_hash"], "age_14_or_over": True,
        "agree": True})
    assert receipt.status_code == 201, receipt.text
    return sid, receipt.json()["receipt_id"]


def enroll(tablet: httpx.Client, sid: str, receipt: str, frames: Shots) -> httpx.Response:
    return tablet.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                       json={"consent_id": receipt, **frames.wire()})


def back(tablet: httpx.Client, claim: dict[str, str], frames: Shots) -> httpx.Response:
    sid = tablet.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()["session_id"]
    return tablet.post(f"/api/kiosk/sessions/{sid}/return", json={**claim, **frames.wire()})


def rows(live: Live) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the main store but the audit log's and the throttle's, table by table."""
    with live.app.db.connect() as conn:
        tables = [t for t in inspect(conn).get_table_names()
                  if not any(part in t for part in KEPT_APART)]
        return {t: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{t}"'))), key=repr)
                for t in tables}


def templates(live: Live) -> int:
    with live.app.deps.uow() as uow:
        return uow.vault.count()


def audited(live: Live, action: str) -> list[tuple[str | None, dict[str, Any]]]:
    with live.app.deps.uow() as uow:
        return [(e.subject, e.detail) for e in uow.audit.all() if e.action == action]


def face_hits(live: Live) -> int:
    with live.app.db.connect() as conn:
        return int(conn.execute(text(
            "SELECT coalesce(sum(hits), 0) FROM throttle_counters WHERE key LIKE 'face.%'"),
        ).scalar())


def refused(reply: httpx.Response, reason: str) -> None:
    body = reply.json()
    assert (reply.status_code, body["error"], body["reason"]) == (422, "not_live", reason), \
        reply.text
    assert body["message"]


def test_a_still_photo_never_enrolls_and_leaves_nothing_behind(
        live: Live, tablet: httpx.Client, photos: list[Path]) -> None:
    sid, receipt = consented(tablet)
    before = rows(live)

    for reason, frames in attacks(photos[0]).items():
        refused(enroll(tablet, sid, receipt, frames), reason)

    assert rows(live) == before  # no template, visit, person or consent change
    assert templates(live) == 0 and len(live.app.deps.gallery) == 0
    with live.app.deps.uow() as uow:
        consent = uow.consents.get(receipt)
        assert consent is not None and consent.is_active  # the consent stands, unchanged
        person = consent.person_id
    assert audited(live, "face_not_live") == [  # the reason code only: no frame, no score
        (person, {"use": "enrollment", "reason": "frames_identical", "challenge": False}),
        (person, {"use": "enrollment", "reason": "single_image", "challenge": False})]
    assert audited(live, "template_enrolled") == []

    genuine = enroll(tablet, sid, receipt, photo_shots(photos, n=3))
    assert genuine.status_code == 201, genuine.text
    assert templates(live) == 1


def test_a_still_photo_never_makes_a_return_visit_and_counts_as_an_attempt(
        switched_off: Live, off_tablet: httpx.Client, photos: list[Path]) -> None:
    """Where the challenge is switched off (with it, a return without one is
    `challenge_missing`: tests/integration/test_default_deployment.py)."""
    live, tablet = switched_off, off_tablet
    sid, receipt = consented(tablet)
    assert enroll(tablet, sid, receipt, photo_shots(photos, n=3)).status_code == 201
    before, hits = rows(live), face_hits(live)

    answers = []
    for reason, frames in attacks(photos[3]).items():
        for claim in ({"receipt_id": receipt}, {"mobile": "13700009999"}):  # known, nobody
            reply = back(tablet, claim, frames)
            refused(reply, reason)
            answers.append(reply.json())

    assert answers[0] == answers[1] and answers[2] == answers[3]  # one answer for every claim
    after = rows(live)
    assert {t: after[t] for t in after if "session" not in t} == {
        t: before[t] for t in before if "session" not in t}  # no visit, no consent change
    assert face_hits(live) >= hits + 4  # each counted against the claim (and the address)
    assert audited(live, "face_not_live") == [
        (None, {"use": "return_visit", "reason": "frames_identical", "challenge": False}),
        (None, {"use": "return_visit", "reason": "frames_identical", "challenge": False}),
        (None, {"use": "return_visit", "reason": "single_image", "challenge": False}),
        (None, {"use": "return_visit", "reason": "single_image", "challenge": False})]
    assert audited(live, "face_verified") == []  # nobody was looked up or compared

    genuine = back(tablet, {"receipt_id": receipt}, photo_shots(photos, n=3, skip=3))
    assert genuine.status_code == 201, genuine.text
    assert len(audited(live, "face_verified")) == 1
