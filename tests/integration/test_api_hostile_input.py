"""Input an attacker sends, over real HTTP on SQLite and PostgreSQL: every case that once gave a
500 (overflowing money, out-of-range and naive times, NUL in strings, oversized ids, a dispute
naming a signing that is not on the statement) now gets a clear 4xx, and nothing is stored."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from itertools import count
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.store.tables import attribution as attribution_tables
from keyuan.adapters.store.tables import checkin as checkin_tables
from keyuan.config.face import FaceSettings
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.faces.engine import FaceSample, Purpose
from keyuan.services.faces.engine import Image as Pixels
from support import auth, images, postgres
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sequences import camera_times, fake_shots

from .conftest import png_bytes

OFFICE = "demo-office"
COUNTED = (checkin_tables.persons, checkin_tables.consents, checkin_tables.visits,
           attribution_tables.registrations, attribution_tables.signings,
           attribution_tables.channel_agreements, attribution_tables.disputes,
           attribution_tables.visit_corrections)
_mobiles = count(13_700_000_000)


class CountingEngine(FakeEngine):
    """The fake engine, counting every image that reaches a detector."""

    samples = 0

    def sample(self, image: Pixels, *, purpose: Purpose) -> FaceSample:
        CountingEngine.samples += 1
        return super().sample(image, purpose=purpose)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql",
                                                              marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("hostile")
    engine = CountingEngine(FaceSettings())
    if request.param == "sqlite":
        with live_server(data_dir, engine=engine) as server:
            yield server
        return
    with postgres.migrated_database(postgres.admin_url()) as url, live_server(
            data_dir, engine=engine, database_url=url) as server:
        yield server


@pytest.fixture(scope="module")
def admin(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, "admin") as http:
        yield http


@pytest.fixture
def anonymous(live: Live) -> Iterator[httpx.Client]:
    with kiosk_client(live) as http:  # no account; a paired tablet for the kiosk calls
        yield http


def counts(live: Live) -> dict[str, int]:
    with live.app.db.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in COUNTED}


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and body["message"], body
    assert "Traceback" not in response.text


def id_number(first17: str = "44030619900307123") -> str:
    return first17 + check_digit(first17)


def mobile() -> str:
    return str(next(_mobiles))


def channel(admin: httpx.Client, name: str = "分销") -> str:
    r = admin.post(f"/api/offices/{OFFICE}/channels", json={"kind": "distributor", "name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["channel_id"])


def final_signing(live: Live, admin: httpx.Client, cid: str, buyer: str, first17: str) -> str:
    """A deal for channel `cid`: 报备, an escorted visit, a signing two days later."""
    number = mobile()
    r = admin.post(f"/api/channels/{cid}/registrations",
                   json={"customer_name": buyer, "mobile": number})
    assert r.status_code == 201, r.text
    live.clock.advance(hours=1)
    admin.post(f"/api/registrations/{r.json()['registration_id']}/visit-confirmation",
               json={"mobile": number}).raise_for_status()
    live.clock.advance(days=1)
    signed = admin.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": buyer, "id_number": id_number(first17), "mobile": number,
        "contract_price_fen": 2_000_000_00})
    assert signed.status_code == 201 and signed.json()["channel_id"] == cid, signed.text
    return str(signed.json()["signing_id"])


# --- money and counts -------------------------------------------------------------------------

AGREEMENT = {"kind": "fixed", "value": 500_00, "effective_from": "2026-01-01T00:00:00+08:00"}


@pytest.mark.parametrize("change", [
    {"referral_reward_fen": 10**30}, {"referral_reward_fen": 2**63},
    {"referral_reward_fen": 2**63 - 1}, {"value": 10**30}, {"tiers": [[2**63, 1]]},
    {"tiers": [[2, 10**30]]}, {"referral_reward_fen": -1},
], ids=["reward 1e30", "reward 2^63", "reward 2^63-1", "value 1e30", "tier count", "tier value",
        "negative"])
def test_money_and_counts_beyond_their_bounds_are_422_and_statements_still_work(
    change: dict[str, Any], live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    before = counts(live)
    refused(admin.post(f"/api/channels/{cid}/agreements", json={**AGREEMENT, **change}),
            422, "invalid_request")
    assert counts(live) == before
    statement = admin.post(f"/api/channels/{cid}/statements", json={
        "period_start": "2026-11-01T00:00:00+08:00", "period_end": "2026-12-01T00:00:00+08:00"})
    assert statement.status_code == 201, statement.text
    assert admin.get(f"/api/channels/{cid}/statements").status_code == 200


def test_a_contract_price_past_the_bound_is_422(live: Live, admin: httpx.Client) -> None:
    r = admin.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": "王五", "id_number": id_number(), "mobile": mobile(),
        "contract_price_fen": 2**63})
    refused(r, 422, "invalid_request")


# --- times ------------------------------------------------------------------------------------

BAD_TIMES = ["2026-06-01T10:00:00", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00",
             "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59Z", "1999-12-31T23:59:59Z"]


@pytest.mark.parametrize("at", BAD_TIMES)
def test_naive_and_out_of_range_times_are_422_everywhere(
    at: str, live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    good = "2026-11-01T00:00:00+08:00"
    before = counts(live)
    attempts = [
        admin.post(f"/api/channels/{cid}/registrations", json={
            "customer_name": "赵六", "mobile": mobile(), "expected_visit_at": at}),
        admin.post(f"/api/channels/{cid}/agreements", json={**AGREEMENT, "effective_from": at}),
        admin.post(f"/api/channels/{cid}/agreements", json={**AGREEMENT, "effective_to": at}),
        admin.post(f"/api/channels/{cid}/statements",
                   json={"period_start": at, "period_end": good}),
        admin.post(f"/api/channels/{cid}/statements",
                   json={"period_start": good, "period_end": at}),
        admin.post("/api/visits/nope/corrections", json={"corrected_at": at, "reason": "typo"}),
    ]
    for r in attempts:
        refused(r, 422, "invalid_request")
    assert counts(live) == before


def test_a_camera_time_that_leaves_the_range_in_utc_is_422(live: Live, admin: httpx.Client) -> None:
    r = admin.post(f"/api/offices/{OFFICE}/cameras",
                   json={"name": "大堂", "lane": "大堂左侧刷脸通道", "alternative": "大堂右门"})
    camera, token = r.json()["id"], r.json()["token"]
    pushed = httpx.post(f"{live.base_url}/api/cameras/{camera}/captures",
                        content=png_bytes((10, 20, 30)), headers={
                            "content-type": "image/jpeg", "authorization": f"Bearer {token}",
                            "x-capture-time": "9999-12-31T23:59:59-14:00"})
    assert pushed.status_code in (409, 422), pushed.text  # 409: the office's signage/face gate
    assert pushed.json()["error"] in ("capture_time_invalid", "signage_not_confirmed",
                                      "camera_lane_not_confirmed", "face_module_disabled",
                                      "camera_disabled")
    # the shared server's other tests run without a camera (one switched on needs assessing)
    off = admin.put(f"/api/cameras/{camera}/enabled", json={"enabled": False})
    assert off.status_code == 200, off.text


# --- NUL and other control characters (PostgreSQL refuses U+0000 in text) ---------------------

def _nul_requests(admin: httpx.Client, anonymous: httpx.Client) -> list[httpx.Response]:
    session = anonymous.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
    sid, notice_hash = session["session_id"], session["notice"]["content_hash"]
    cid = channel(admin)
    return [
        anonymous.post("/api/kiosk/sessions", json={"office_id": "demo\x00office"}),
        anonymous.post("/api/auth/login", json={"username": "ad\x00min", "password": "x"}),
        anonymous.get("/api/receipts/abc%00def"),
        anonymous.post("/api/rights/code", json={"receipt_id": "abcdefgh\x00"}),
        anonymous.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": notice_hash, "age_14_or_over": True, "agree": True,
            "name": "王\x00小明"}),
        admin.post(f"/api/channels/{cid}/registrations",
                   json={"customer_name": "李\x00雷", "mobile": mobile()}),
        admin.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "韩\x00梅梅", "id_number": id_number(), "mobile": mobile(),
            "contract_price_fen": 100}),
        admin.post(f"/api/offices/{OFFICE}/notices",
                   json={"language": "zh-CN", "text": {"purpose\x1b": "x"}}),
        anonymous.get(f"/api/offices/{OFFICE}/notice?lang=zh%00CN"),
    ]


def test_nul_and_control_characters_are_422_on_every_route_of_the_report(
    live: Live, admin: httpx.Client, anonymous: httpx.Client,
) -> None:
    responses = _nul_requests(admin, anonymous)
    before = counts(live)
    for r in responses:
        assert r.status_code == 422, (r.request.url, r.text)
        assert r.json()["error"] in ("invalid_request", "invalid_text")
    assert counts(live) == before


def test_a_nul_the_schemas_cannot_see_is_refused_by_the_store(live: Live) -> None:
    """The login form is parsed by the page route, not a schema: the store's net refuses it."""
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        r = http.post("/login", data={"username": "ad\x00min", "password": "x",
                                      "csrf_token": "x", "next": "/"})
    assert r.status_code < 500, r.text


# --- ids --------------------------------------------------------------------------------------

def test_an_oversized_or_unknown_notice_id_is_404(admin: httpx.Client) -> None:
    refused(admin.get("/api/notices/999999999999999999999999"), 404, "unknown_notice")
    refused(admin.get(f"/api/notices/{2**63}"), 404, "unknown_notice")
    refused(admin.get(f"/api/notices/{2**31}"), 404, "unknown_notice")  # INTEGER on PostgreSQL
    refused(admin.get("/api/notices/0"), 404, "unknown_notice")
    refused(admin.post("/api/notices/999999999999999999999999/publish"), 404, "unknown_notice")


def test_a_dispute_may_name_only_a_signing_on_that_statement(
    live: Live, admin: httpx.Client,
) -> None:
    mine, theirs = channel(admin, "甲"), channel(admin, "乙")
    own = final_signing(live, admin, mine, "钱七", "11010519800101123")
    other = final_signing(live, admin, theirs, "孙八", "11010519800101456")
    period = {"period_start": "2026-11-01T00:00:00+08:00",
              "period_end": "2027-01-01T00:00:00+08:00"}
    statement = admin.post(f"/api/channels/{mine}/statements", json=period).json()["statement_id"]
    with auth.client(live.base_url, live.app, "distributor", channel=mine) as distributor:
        url = f"/api/channels/{mine}/statements/{statement}/disputes"
        before = counts(live)
        refused(distributor.post(url, json={"reason": "x", "signing_id": "nope"}),
                404, "unknown_signing")
        refused(distributor.post(url, json={"reason": "x", "signing_id": other}),
                404, "unknown_signing")
        assert counts(live) == before
        r = distributor.post(url, json={"reason": "the price was higher", "signing_id": own})
        assert r.status_code == 201, r.text


# --- people -----------------------------------------------------------------------------------

def test_an_id_number_born_in_the_future_is_refused(live: Live, admin: httpx.Client) -> None:
    before = counts(live)
    r = admin.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": "未来人", "id_number": id_number("11010520990101001"), "mobile": mobile(),
        "contract_price_fen": 100})
    refused(r, 422, "invalid_id_number")
    assert counts(live) == before


@pytest.mark.parametrize("blank", ["", " ", "\u3000\t\n"])
def test_blank_buyer_and_customer_names_are_refused(
    blank: str, live: Live, admin: httpx.Client,
) -> None:
    cid = channel(admin)
    before = counts(live)
    refused(admin.post(f"/api/channels/{cid}/registrations",
                       json={"customer_name": blank, "mobile": mobile()}), 422, "invalid_request")
    refused(admin.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": blank, "id_number": id_number(), "mobile": mobile(),
        "contract_price_fen": 100}), 422, "invalid_request")
    assert counts(live) == before


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (128, 128, 128)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("frames", [{}, fake_shots((30, 200, 90)).desk_wire()],
                         ids=["alone", "with face"])
def test_a_chip_photo_that_is_not_an_image_is_refused(
    frames: dict[str, Any], live: Live, admin: httpx.Client,
) -> None:
    notice = admin.get(f"/api/offices/{OFFICE}/desk-notice").json()["notice_hash"]
    yes = admin.post(f"/api/offices/{OFFICE}/desk-consents", json={  # C1: the buyer said yes
        "id_number": id_number(), "notice_hash": notice, "given": True}).json()["desk_consent_id"]
    before = counts(live)
    for chip in (b64(b"%PDF-1.4 not a photo"), "***", b64(png(1, 1))):
        r = admin.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "周九", "id_number": id_number(), "mobile": mobile(),
            "contract_price_fen": 100, **frames, "chip_photo": chip,
            "desk_consent_id": yes})
        assert r.status_code == 422, r.text
        assert r.json()["error"] in ("invalid_request", "image_shape_refused")
    assert counts(live) == before


# --- images: the shape is read from the header, before any detector ---------------------------

SHAPES = {"1x1": png(1, 1), "3x5": png(3, 5), "1x16M": images.png_bomb(1, 16_000_000),
          "16Mx1": images.png_bomb(16_000_000, 1)}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_frames_too_small_or_too_narrow_never_reach_a_detector(
    shape: str, live: Live, anonymous: httpx.Client,
) -> None:
    session = anonymous.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
    sid = session["session_id"]
    consent = anonymous.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
        "notice_hash": session["notice"]["content_hash"], "age_14_or_over": True, "agree": True})
    detected = CountingEngine.samples
    before = counts(live)
    r = anonymous.post(f"/api/kiosk/sessions/{sid}/face-enrollment", json={
        "consent_id": consent.json()["receipt_id"], "frames": [b64(SHAPES[shape])] * 3,
        "frame_times_ms": camera_times(3)})
    refused(r, 422, "image_shape_refused")
    frame = anonymous.post(f"/api/kiosk/sessions/{sid}/frame-check", json={
        "consent_id": consent.json()["receipt_id"], "frame": b64(SHAPES[shape])})
    refused(frame, 422, "image_shape_refused")
    assert CountingEngine.samples == detected
    assert counts(live) == before


def test_healthz_says_up_and_nothing_else(anonymous: httpx.Client) -> None:
    r = anonymous.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "up"})


def test_the_openapi_document_states_the_bounds(anonymous: httpx.Client) -> None:
    schemas = anonymous.get("/openapi.json").json()["components"]["schemas"]
    reward = schemas["AgreementIn"]["properties"]["referral_reward_fen"]
    assert reward["maximum"] == 10**12 and reward["minimum"] == 0
