"""The signing desk asks first, over real HTTP on SQLite and PostgreSQL (C1, C5, C22): the desk's
own notice, the buyer's separate yes or no recorded and audited before any photo, nothing about
the face read without it or for a buyer under 14 by their ID number, the same attribution either
way; and the kiosk keeps an "under 14" answer for the rest of the visit."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.display import DISPLAY_ZONE
from support import auth
from support.devices import kiosk_client
from support.live import Live
from support.sequences import fake_shots

from .conftest import png_bytes

OFFICE = "demo-office"
ALICE = (30, 200, 90)
BIOMETRIC_ACTIONS = {"face_identified", "face_candidates_searched", "face_candidate",
                     "face_verified", "id_face_verified", "template_enrolled"}
PARALLEL = 4


def id_born(born: date, serial: str = "123") -> str:
    first17 = f"440306{born:%Y%m%d}{serial}"
    return first17 + check_digit(first17)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def desk(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, "admin") as http:
        yield http


def engine_calls(live: Live) -> int:
    engine = live.app.deps.engine
    assert isinstance(engine, FakeEngine)
    return len(engine.calls)


def actions(live: Live) -> list[str]:
    with live.app.deps.uow() as uow:
        return [e.action for e in uow.audit.all()]


def templates(live: Live) -> int:
    with live.app.deps.uow() as uow:
        return uow.vault.count()


def notice_hash(http: httpx.Client, lang: str = "zh-CN") -> str:
    r = http.get(f"/api/offices/{OFFICE}/desk-notice", params={"lang": lang})
    assert r.status_code == 200, r.text
    return str(r.json()["notice_hash"])


def answer(http: httpx.Client, id_number: str, given: bool) -> httpx.Response:
    return http.post(f"/api/offices/{OFFICE}/desk-consents", json={
        "id_number": id_number, "notice_hash": notice_hash(http), "given": given})


def claimed_and_escorted(live: Live, http: httpx.Client, mobile: str, name: str) -> tuple[
        str, str]:
    """A channel registers the customer and escorts them in: (channel id, registration id)."""
    r = http.post(f"/api/offices/{OFFICE}/channels", json={"kind": "distributor", "name": name})
    cid = r.json()["channel_id"]
    r = http.post(f"/api/channels/{cid}/registrations",
                  json={"customer_name": "李雷", "mobile": mobile})
    rid = r.json()["registration_id"]
    live.clock.advance(hours=1)
    r = http.post(f"/api/registrations/{rid}/visit-confirmation", json={"mobile": mobile})
    assert r.status_code == 201, r.text
    live.clock.advance(days=1)
    return cid, rid


def signing(id_number: str, mobile: str, **extra: Any) -> dict[str, Any]:
    return {"buyer_name": "李雷", "id_number": id_number, "mobile": mobile,
            "contract_price_fen": 2_800_000_00, **extra}


FACES = {**fake_shots(ALICE).desk_wire(), "chip_photo": b64(png_bytes(ALICE))}


@pytest.mark.parametrize("evidence", [
    FACES,
    {"chip_photo": b64(b"\x89PNG\r\n\x1a\n" + b"not a png at all")},  # never decoded
    {"face_receipt_id": "a-receipt-the-buyer-shows"},
])
def test_c1_without_the_desk_consent_no_face_evidence_is_read(
    live: Live, desk: httpx.Client, evidence: dict[str, Any],
) -> None:
    before = engine_calls(live)
    buyer = id_born(date(1990, 3, 7))

    r = desk.post(f"/api/offices/{OFFICE}/signings",
                  json=signing(buyer, "13612340001", **evidence))

    assert (r.status_code, r.json()["error"]) == (403, "desk_consent_missing")
    assert engine_calls(live) == before  # nothing decoded, detected or embedded
    assert not BIOMETRIC_ACTIONS & set(actions(live)) and templates(live) == 0
    assert desk.get(f"/api/offices/{OFFICE}/review-queue").json() == []


def test_c1_a_refusal_is_recorded_audited_and_stops_every_face_step(
    live: Live, desk: httpx.Client,
) -> None:
    buyer = id_born(date(1990, 3, 7))
    r = answer(desk, buyer, given=False)
    assert r.status_code == 201, r.text
    refused = r.json()["desk_consent_id"]
    before = engine_calls(live)

    r = desk.post(f"/api/offices/{OFFICE}/signings",
                  json=signing(buyer, "13612340002", desk_consent_id=refused, **FACES))

    assert (r.status_code, r.json()["error"]) == (403, "desk_consent_refused")
    assert engine_calls(live) == before
    assert "desk_consent_refused" in actions(live)
    assert not BIOMETRIC_ACTIONS & set(actions(live)) and templates(live) == 0
    with live.app.deps.uow() as uow:
        record = uow.desk_consents.get(refused)
        assert record is not None and not record.given and record.signing_id is None
        assert buyer not in str(vars(record))  # the ID number only as its keyed hash


def test_c1_attribution_is_the_same_with_the_desk_face_check_and_with_a_refusal(
    live: Live, desk: httpx.Client,
) -> None:
    """Two buyers with the same history: one lets the desk check the face, one refuses and
    signs by ID number and mobile. Same decision, same status, same evidence (C2)."""
    outcomes = []
    for given, mobile, serial in ((True, "13612340003", "031"), (False, "13612340004", "032")):
        cid, rid = claimed_and_escorted(live, desk, mobile, f"分销{serial}")
        buyer = id_born(date(1988, 5, 6), serial)
        consent = answer(desk, buyer, given=given).json()["desk_consent_id"]
        faces = FACES if given else {}
        r = desk.post(f"/api/offices/{OFFICE}/signings", json=signing(
            buyer, mobile, desk_consent_id=consent, **faces))
        assert r.status_code == 201, r.text
        body = r.json()
        decision = body["decision"]
        outcomes.append((body["status"], body["registration_id"] == rid,
                         body["channel_id"] == cid, decision["reason_codes"],
                         decision["needs_review"], decision["evidence"]["visit_count"]))
        with live.app.deps.uow() as uow:
            assert uow.desk_consents.get(consent).signing_id == body["signing_id"]
        assert body["id_photo_passed"] is (True if given else None)

    assert outcomes[0] == outcomes[1]
    assert outcomes[0][:3] == ("final", True, True)
    assert actions(live).count("id_face_verified") == 1  # only the buyer who said yes


def test_c1_one_desk_consent_serves_one_signing_under_parallel_posts(
    live: Live, desk: httpx.Client,
) -> None:
    buyer = id_born(date(1979, 12, 1))
    consent = answer(desk, buyer, given=True).json()["desk_consent_id"]
    barrier = threading.Barrier(PARALLEL)
    cookies, headers = dict(desk.cookies), dict(desk.headers)

    def one(i: int) -> httpx.Response:
        with httpx.Client(base_url=live.base_url, cookies=cookies, headers=headers,
                          timeout=60) as http:
            barrier.wait()
            return http.post(f"/api/offices/{OFFICE}/signings", json=signing(
                buyer, "13612340005", unit=f"1-{i}01", desk_consent_id=consent,
                **FACES))

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(one, range(PARALLEL)))

    codes = sorted((r.status_code, r.json().get("error")) for r in answers)
    assert codes == [(201, None)] + [(403, "desk_consent_missing")] * (PARALLEL - 1), codes
    [won] = [r.json()["signing_id"] for r in answers if r.status_code == 201]
    with live.app.deps.uow() as uow:
        assert uow.desk_consents.get(consent).signing_id == won
    assert actions(live).count("attribution_decided") == 1


def test_c5_a_buyer_under_14_by_the_id_number_gets_no_face_processing(
    live: Live, desk: httpx.Client,
) -> None:
    today = live.clock.now().astimezone(DISPLAY_ZONE).date()
    child = id_born(today.replace(year=today.year - 10))
    before = engine_calls(live)

    r = answer(desk, child, given=True)
    assert (r.status_code, r.json()["error"]) == (403, "under_14_no_face")
    refused = answer(desk, child, given=False).json()["desk_consent_id"]
    r = desk.post(f"/api/offices/{OFFICE}/signings",
                  json=signing(child, "13612340006", desk_consent_id=refused, **FACES))
    assert (r.status_code, r.json()["error"]) == (403, "under_14_no_face")
    assert engine_calls(live) == before and not BIOMETRIC_ACTIONS & set(actions(live))

    r = desk.post(f"/api/offices/{OFFICE}/signings",
                  json=signing(child, "13612340006", desk_consent_id=refused))
    assert r.status_code == 201, r.text  # the ID number and mobile path always works


def test_c22_the_desk_notice_is_generated_from_the_live_configuration_in_both_languages(
    live: Live, desk: httpx.Client,
) -> None:
    zh = desk.get(f"/api/offices/{OFFICE}/desk-notice").json()
    en = desk.get(f"/api/offices/{OFFICE}/desk-notice", params={"lang": "en"}).json()

    assert zh["face_uses"] == en["face_uses"] == [
        "signing_id_check_1to1", "signing_link_1to1", "signing_search_1toN"]
    assert "签约人证核验" in zh["processing"] and "14" in zh["processing"]
    assert "ID check at signing" in en["processing"] and en["controller"]
    assert "return_visit_1to1" not in zh["processing"]


def test_c22_a_consent_under_a_desk_notice_since_replaced_is_asked_again(
    live: Live, desk: httpx.Client,
) -> None:
    buyer = id_born(date(1990, 3, 7))
    consent = answer(desk, buyer, given=True).json()["desk_consent_id"]
    r = desk.post(f"/api/offices/{OFFICE}/notices/republish")
    assert r.status_code in (200, 201), r.text
    before = engine_calls(live)

    r = desk.post(f"/api/offices/{OFFICE}/signings",
                  json=signing(buyer, "13612340007", desk_consent_id=consent, **FACES))

    assert (r.status_code, r.json()["error"]) == (409, "notice_mismatch")
    assert engine_calls(live) == before
    r = desk.post(f"/api/offices/{OFFICE}/desk-consents", json={
        "id_number": buyer, "notice_hash": "0" * 64, "given": True})
    assert (r.status_code, r.json()["error"]) == (409, "notice_mismatch")


# --- the kiosk keeps an "under 14" answer for the visit (C5) ---------------------------------

def test_c5_the_kiosk_remembers_an_under_14_answer_for_the_session(live: Live) -> None:
    with kiosk_client(live, timeout=30) as kiosk:
        session = kiosk.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
        url = f"/api/kiosk/sessions/{session['session_id']}"
        notice = session["notice"]["content_hash"]

        r = kiosk.post(f"{url}/face-consent", json={"notice_hash": notice,
                                                     "age_14_or_over": False, "agree": True})
        assert (r.status_code, r.json()["error"]) == (403, "minor_face_refused")
        r = kiosk.post(f"{url}/face-consent", json={"notice_hash": notice,
                                                     "age_14_or_over": True, "agree": True})
        assert (r.status_code, r.json()["error"]) == (403, "minor_face_refused")
        frame = b64(png_bytes(ALICE))
        before = engine_calls(live)
        live_face = fake_shots(ALICE).wire()
        for step, body in (("face-enrollment", {"consent_id": "x", **live_face}),
                           ("frame-check", {"consent_id": "x", "frame": frame}),
                           ("return", {**live_face, "mobile": "13612340008"})):
            r = kiosk.post(f"{url}/{step}", json=body)
            assert (r.status_code, r.json()["error"]) == (403, "minor_face_refused"), step
        r = kiosk.post(f"{url}/phone-code", json={"mobile": "13612340010"})
        assert r.status_code == 202, r.text  # the mobile path stays open, equal for attribution
        r = kiosk.post(f"{url}/phone-check-in", json={
            "mobile": "13612340010", "code": live.last_code(), "agree": True,
            "notice_hash": notice})
        assert r.status_code == 201, r.text

    assert engine_calls(live) == before
    with live.app.deps.uow() as uow:
        stored = uow.sessions.get(session["session_id"])
        assert stored is not None and stored.under_14 and uow.vault.count() == 0
        assert stored.person_id is not None  # the phone check-in's person
        assert [c.scope.value for c in uow.consents.for_person(stored.person_id)] == ["phone"]


def test_c5_a_return_visit_answering_under_14_is_remembered_too(live: Live) -> None:
    with kiosk_client(live, timeout=30) as kiosk:
        session = kiosk.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
        url = f"/api/kiosk/sessions/{session['session_id']}"
        renewal = {"notice_hash": session["notice"]["content_hash"], "age_14_or_over": False,
                   "agree": True}
        before = engine_calls(live)

        r = kiosk.post(f"{url}/return", json={**fake_shots(ALICE).wire(), "mobile": "13612340009",
                                               "renewal": renewal})
        assert (r.status_code, r.json()["error"]) == (403, "minor_face_refused")
        r = kiosk.post(f"{url}/face-consent", json={
            "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True,
            "agree": True})
        assert (r.status_code, r.json()["error"]) == (403, "minor_face_refused")

    assert engine_calls(live) == before
