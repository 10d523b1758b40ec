"""One liveness call for every decision that may run a challenge (issue 18): the kiosk's return,
the signing desk and the rights desk, over real HTTP on SQLite and PostgreSQL with the real
engine and YuNet landmarks on real photos of both sets, with the shipped liveness settings. At an
office that switched the challenge off, the signing desk runs the passive checks when no
challenge is sent (a still photo never passes the ID + face check); a challenge whose
movements were not made is audited as `face_not_live` at every place; a rights-desk challenge
serves a check at its own office only."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from keyuan.adapters.biometrics.engines import make_engine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.services.faces.engine import FaceEngine
from support import auth
from support.challenge import AS_SHIPPED
from support.devices import kiosk_client
from support.live import Live, live_server
from support.offices import set_up_office
from support.sequences import identity_photos, photo_shots, shots, still_shots, warped_shots

pytestmark = pytest.mark.faces

OFFICE = "demo-office"
OTHER = "other-office"
PEOPLE = {"mixed": "df_id01", "east-asian": "Junichiro_Koizumi"}
BUYER_ID = "11010519491231002X"
ANSWERED_S = 5
"""Server seconds from issuing a challenge to its answer (the sequences span 2.7 s)."""


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return make_engine(FaceSettings())


@pytest.fixture
def live(store_url: str, tmp_path: Path, engine: FaceEngine) -> Iterator[Live]:
    """The shipped liveness settings: the challenge required."""
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "data", engine=engine, database_url=database_url,
                     liveness=AS_SHIPPED) as server:
        yield server


@pytest.fixture
def switched_off(store_url: str, tmp_path: Path, engine: FaceEngine) -> Iterator[Live]:
    """An office that switched the challenge off (`KEYUAN_LIVENESS__CHALLENGE_REQUIRED=false`):
    the passive checks alone where no challenge is sent."""
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "off", engine=engine, database_url=database_url,
                     liveness={"challenge_required": False}) as server:
        yield server


@pytest.fixture(params=sorted(PEOPLE))
def photos(request: pytest.FixtureRequest, face_root: Path, east_asian_root: Path) -> list[Path]:
    root = face_root if request.param == "mixed" else east_asian_root
    return identity_photos(root, PEOPLE[request.param])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def refusals(live: Live) -> list[dict[str, Any]]:
    with live.app.deps.uow() as uow:
        return [e.detail for e in uow.audit.all() if e.action == "face_not_live"]


def actions(live: Live) -> list[str]:
    with live.app.deps.uow() as uow:
        return [e.action for e in uow.audit.all()]


def tagged(photos: list[Path]) -> dict[str, Any]:
    """Four photos sent as a challenge's sequence, 0.9 s apart: the lead-in, then one frame per
    step — no movement."""
    sent = shots([p.read_bytes() for p in photos[:4]], gap_ms=900)
    steps: list[int | None] = [None, *range(len(sent.frames) - 1)]
    return {**sent.wire(), "frame_steps": steps}


def desk_consent(desk: httpx.Client) -> str:
    notice = desk.get(f"/api/offices/{OFFICE}/desk-notice").json()["notice_hash"]
    r = desk.post(f"/api/offices/{OFFICE}/desk-consents", json={
        "id_number": BUYER_ID, "notice_hash": notice, "given": True})
    assert r.status_code == 201, r.text
    return str(r.json()["desk_consent_id"])


def sign(desk: httpx.Client, frames: dict[str, Any], chip: bytes) -> httpx.Response:
    return desk.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": "王芳", "id_number": BUYER_ID, "mobile": "13800138000",
        "contract_price_fen": 100_000_00, "desk_consent_id": desk_consent(desk),
        "chip_photo": b64(chip), **frames})


def test_a_still_photo_never_passes_the_id_and_face_check_at_signing(
        switched_off: Live, photos: list[Path]) -> None:
    live = switched_off
    chip, shown = photos[0].read_bytes(), photos[1].read_bytes()
    with auth.client(live.base_url, live.app, Role.admin) as desk:
        for attack, reason in ((still_shots(shown), "frames_identical"),
                               (warped_shots(shown), "single_image")):
            r = sign(desk, attack.desk_wire(), chip)
            assert (r.status_code, r.json()["error"], r.json()["reason"]) == (
                422, "not_live", reason), r.text
        assert refusals(live) == [
            {"use": "signing_desk", "reason": reason, "challenge": False}
            for reason in ("frames_identical", "single_image")]
        assert "attribution_decided" not in actions(live)  # nothing was signed
        signed = sign(desk, photo_shots(photos, skip=1).desk_wire(), chip)
        assert signed.status_code == 201, signed.text
        assert signed.json()["id_photo_passed"] is True, signed.text


def test_a_kiosk_return_whose_challenge_was_not_followed_is_audited(
        live: Live, photos: list[Path]) -> None:
    with kiosk_client(live) as tablet:
        sid = tablet.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()["session_id"]
        issued = tablet.post(f"/api/kiosk/sessions/{sid}/liveness-challenge",
                             json={"mobile": "13700001111"})
        assert issued.status_code == 201, issued.text
        live.clock.advance(seconds=ANSWERED_S)
        r = tablet.post(f"/api/kiosk/sessions/{sid}/return", json={
            "mobile": "13700001111", "challenge_id": issued.json()["challenge_id"],
            **tagged(photos)})
    assert (r.status_code, r.json()["error"], r.json()["reason"]) == (
        422, "not_live", "challenge_not_followed"), r.text
    assert refusals(live) == [
        {"use": "return_visit", "reason": "challenge_not_followed", "challenge": True}]


def enrolled(live: Live, photos: list[Path]) -> str:
    with kiosk_client(live) as tablet:
        session = tablet.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
        sid = session["session_id"]
        receipt = tablet.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True,
            "agree": True}).json()["receipt_id"]
        r = tablet.post(f"/api/kiosk/sessions/{sid}/face-enrollment",
                        json={"consent_id": receipt, **photo_shots(photos, n=5).wire()})
        assert r.status_code == 201, r.text
    return str(receipt)


def test_the_rights_desk_audits_a_challenge_not_followed_and_binds_it_to_the_office(
        live: Live, photos: list[Path]) -> None:
    receipt = enrolled(live, photos)
    set_up_office(live.app.deps, OTHER, name="另一售楼处")
    with auth.client(live.base_url, live.app, Role.admin) as reception:
        def drawn(office: str) -> str:
            r = reception.post(f"/api/offices/{office}/rights-desk/liveness-challenges")
            assert r.status_code == 201, r.text
            live.clock.advance(seconds=ANSWERED_S)
            return str(r.json()["challenge_id"])

        sent = tagged(photos)
        elsewhere = reception.post("/api/rights/in-person", json={
            "receipt_id": receipt, "challenge_id": drawn(OTHER), **sent})
        assert (elsewhere.status_code, elsewhere.json()["error"]) == (
            403, "challenge_elsewhere"), elsewhere.text
        r = reception.post("/api/rights/in-person", json={
            "receipt_id": receipt, "challenge_id": drawn(OFFICE), **sent})
    assert (r.status_code, r.json()["error"], r.json()["reason"]) == (
        422, "not_live", "challenge_not_followed"), r.text
    assert "token" not in r.text
    assert refusals(live)[-1] == {
        "use": "rights_in_person", "reason": "challenge_not_followed", "challenge": True}
