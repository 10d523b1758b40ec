"""判客 over real HTTP: 报备, 到访确认, 签约, review; and C21 — distributor-facing schemas carry
no biometric field, proven over the OpenAPI document."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.attribution.idcard import check_digit
from support import auth
from support.live import Live, live_server
from support.sequences import fake_shots

from .conftest import png_bytes

if TYPE_CHECKING:
    from .conftest import Kiosk

OFFICE = "demo-office"
BIOMETRIC = re.compile(r"template|embedding|face|distance|score|biometric", re.IGNORECASE)
FIRST17 = "44030619900307123"
ID_NUMBER = FIRST17 + check_digit(FIRST17)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("attr"), engine=FakeEngine(FaceSettings())) as s:
        yield s


@pytest.fixture
def client(live: Live) -> Iterator[httpx.Client]:
    with auth.client(live.base_url, live.app, "admin") as http:
        yield http


def channel(client: httpx.Client, name: str = "链家分销") -> str:
    r = client.post(f"/api/offices/{OFFICE}/channels", json={"kind": "distributor", "name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["channel_id"])


def test_register_confirm_sign_and_the_channel_sees_it_won(
    live: Live, client: httpx.Client,
) -> None:
    cid = channel(client)
    r = client.post(f"/api/channels/{cid}/registrations",
                    json={"customer_name": "李雷", "mobile": "13612345678"})
    assert r.status_code == 201, r.text
    assert r.json()["masked_mobile"] == "136****5678"
    rid = r.json()["registration_id"]
    assert client.get(f"/api/channels/{cid}/registrations").json()[0]["status"] == "awaiting_visit"
    live.clock.advance(hours=3)
    r = client.post(f"/api/registrations/{rid}/visit-confirmation",
                    json={"mobile": "13612345678"})
    assert r.status_code == 201 and r.json()["method"] == "staff"
    live.clock.advance(days=2)

    notice = client.get(f"/api/offices/{OFFICE}/desk-notice").json()["notice_hash"]
    yes = client.post(f"/api/offices/{OFFICE}/desk-consents", json={
        "id_number": ID_NUMBER, "notice_hash": notice, "given": True}).json()["desk_consent_id"]
    r = client.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": "李雷", "id_number": ID_NUMBER, "mobile": "13612345678",
        "contract_price_fen": 2_800_000_00, "desk_consent_id": yes,
        **fake_shots((30, 200, 90)).desk_wire(),
        "chip_photo": base64.b64encode(png_bytes((30, 200, 90))).decode()})

    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["status"], body["registration_id"], body["channel_id"]) == ("final", rid, cid)
    assert body["contract_price_fen"] == 2_800_000_00 and body["id_photo_passed"] is True
    assert body["decision"]["evidence"]["visit_count"] == 1
    [mine] = client.get(f"/api/channels/{cid}/registrations").json()
    assert (mine["status"], mine["outcome"]) == ("valid", "won")


def test_bad_input_gets_stable_codes_and_no_echo(client: httpx.Client) -> None:
    cid = channel(client, "乙分销")
    r = client.post(f"/api/channels/{cid}/registrations",
                    json={"customer_name": "韩梅梅", "mobile": "136*5678"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid_mobile")
    r = client.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": "韩梅梅", "id_number": FIRST17 + "0" if check_digit(FIRST17) != "0"
        else FIRST17 + "1", "mobile": "13612340000", "contract_price_fen": 1})
    assert (r.status_code, r.json()["error"]) == (422, "invalid_id_number")
    assert FIRST17 not in r.text
    r = client.post("/api/channels/nope/registrations",
                    json={"customer_name": "韩梅梅", "mobile": "13612340000"})
    assert (r.status_code, r.json()["error"]) == (404, "unknown_channel")
    r = client.post("/api/signings/nope/review", json={"reason": "x"})
    assert (r.status_code, r.json()["error"]) == (404, "unknown_signing")


def test_the_review_queue_is_served_to_staff(client: httpx.Client) -> None:
    r = client.get(f"/api/offices/{OFFICE}/review-queue")
    assert r.status_code == 200 and isinstance(r.json(), list)


def test_rules_can_be_read_and_set_per_office(client: httpx.Client) -> None:
    assert client.get(f"/api/offices/{OFFICE}/attribution-rules").json() == {
        "registration_valid_hours": 72, "protection_days": 30, "known_lookback_days": 90,
        "conflict_policy": "refuse"}
    r = client.put(f"/api/offices/{OFFICE}/attribution-rules", json={
        "registration_valid_hours": 48, "protection_days": 30, "known_lookback_days": 90,
        "conflict_policy": "mark"})
    assert r.status_code == 200
    got = client.get(f"/api/offices/{OFFICE}/attribution-rules").json()
    assert (got["registration_valid_hours"], got["conflict_policy"]) == (48, "mark")
    r = client.put(f"/api/offices/{OFFICE}/attribution-rules", json={"conflict_policy": "maybe"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid_request"), r.text
    client.put(f"/api/offices/{OFFICE}/attribution-rules", json={})


# --- C21 ------------------------------------------------------------------------------------

def _field_names(schema: Any, components: dict[str, Any], seen: set[str]) -> set[str]:
    """Every property name reachable from a schema, following $ref, items and combinators."""
    names: set[str] = set()
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            key = ref.rsplit("/", 1)[-1]
            if key not in seen:
                seen.add(key)
                names |= _field_names(components[key], components, seen)
        for name, sub in (schema.get("properties") or {}).items():
            names.add(name)
            names |= _field_names(sub, components, seen)
        for key in ("items", "additionalProperties"):
            names |= _field_names(schema.get(key), components, seen)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key) or []:
                names |= _field_names(sub, components, seen)
    return names


def _response_fields(openapi: dict[str, Any], tag: str) -> dict[str, set[str]]:
    components = openapi["components"]["schemas"]
    out: dict[str, set[str]] = {}
    for path, methods in openapi["paths"].items():
        for method, op in methods.items():
            if tag not in op.get("tags", []):
                continue
            fields: set[str] = set()
            for response in op["responses"].values():
                for content in (response.get("content") or {}).values():
                    fields |= _field_names(content.get("schema"), components, set())
            out[f"{method.upper()} {path}"] = fields
    return out


def test_c21_distributor_facing_responses_have_no_biometric_field(client: httpx.Client) -> None:
    openapi = client.get("/openapi.json").json()
    routes = _response_fields(openapi, "distributor")

    assert len(routes) >= 2 and all(routes.values())
    offending = {route: sorted(f for f in fields if BIOMETRIC.search(f))
                 for route, fields in routes.items()}
    assert offending == {route: [] for route in routes}


def test_the_c21_walker_does_find_a_biometric_field_where_one_exists(client: httpx.Client) -> None:
    """The staff signing response has the ID-photo score: the walker must see it, or the C21
    test above could pass by walking nothing."""
    openapi = client.get("/openapi.json").json()
    staff = _response_fields(openapi, "attribution-staff")
    assert "id_photo_score" in staff["POST /api/offices/{office_id}/signings"]


def test_settlement_over_http_from_agreement_to_paid_with_a_dispute(
    live: Live, client: httpx.Client,
) -> None:
    cid = channel(client, "丙分销")
    r = client.post(f"/api/channels/{cid}/agreements", json={
        "kind": "fixed", "value": 2_000_000, "effective_from": "2026-01-01T00:00:00Z"})
    assert r.status_code == 201, r.text
    rid = client.post(f"/api/channels/{cid}/registrations", json={
        "customer_name": "周杰", "mobile": "13712340000"}).json()["registration_id"]
    client.post(f"/api/registrations/{rid}/visit-confirmation",
                json={"mobile": "13712340000"})
    other17 = "44030619900307456"
    r = client.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": "周杰", "id_number": other17 + check_digit(other17),
        "mobile": "13712340000", "contract_price_fen": 1_900_000_00})
    assert r.json()["registration_id"] == rid
    period = {"period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z"}

    st = client.post(f"/api/channels/{cid}/statements", json=period).json()
    assert (st["status"], st["total_fen"], len(st["lines"])) == ("draft", 2_000_000, 1)
    sid = st["statement_id"]
    d = client.post(f"/api/channels/{cid}/statements/{sid}/disputes",
                    json={"reason": "the agreed bonus is missing"})
    assert d.status_code == 201, d.text
    assert client.post(f"/api/statements/{sid}/approve").json()["error"] == "statement_state"
    client.post(f"/api/disputes/{d.json()['dispute_id']}/decision", json={
        "upheld": True, "reason": "bonus agreed by email",
        "adjustment_fen": 50_000})
    assert client.post(f"/api/statements/{sid}/approve").json()["total_fen"] == 2_050_000
    assert client.post(f"/api/statements/{sid}/paid").json()["status"] == "paid"
    export = client.get(f"/api/statements/{sid}/export.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines()[-1] == "total,,,,2050000"


# --- the channel's view once the customer signed elsewhere ----------------------------------

def test_a_channel_whose_customer_signed_with_another_channel_sees_lost_and_nothing_else(
    live: Live, client: httpx.Client,
) -> None:
    client.put(f"/api/offices/{OFFICE}/attribution-rules", json={"conflict_policy": "mark"})
    first, second = channel(client, "甲先报备分销"), channel(client, "乙后报备分销")
    mobile = "13512345670"
    won = client.post(f"/api/channels/{first}/registrations",
                      json={"customer_name": "陈晨", "mobile": mobile}).json()["registration_id"]
    live.clock.advance(hours=1)
    client.post(f"/api/channels/{second}/registrations",
                json={"customer_name": "陈晨", "mobile": "135****5670"})
    client.post(f"/api/registrations/{won}/visit-confirmation", json={"mobile": mobile})
    with auth.client(live.base_url, live.app, "distributor", channel=second) as theirs:
        before = theirs.get(f"/api/channels/{second}/registrations").json()
        id17 = "44030619900307789"
        signed = client.post(f"/api/offices/{OFFICE}/signings", json={
            "buyer_name": "陈晨", "id_number": id17 + check_digit(id17), "mobile": mobile,
            "contract_price_fen": 3_000_000_00}).json()
        after = theirs.get(f"/api/channels/{second}/registrations")

    assert (signed["status"], signed["channel_id"]) == ("final", first)
    # marked at once (another channel's claim is protected), never saying whose
    assert before[0]["status"] == "registration_protected_elsewhere"
    assert before[0]["conflict"] == "registration_protected_elsewhere"
    assert before[0]["outcome"] is None
    [mine] = after.json()
    assert (mine["status"], mine["outcome"], mine["lost_reason"]) == (
        "lost", "lost", "registration_protected_elsewhere")
    for leak in (first, "甲先报备分销", won, signed["signing_id"], "3000000"):
        assert leak not in after.text
    assert not BIOMETRIC.search(after.text)
    [theirs_won] = client.get(f"/api/channels/{first}/registrations").json()
    assert (theirs_won["outcome"], theirs_won["lost_reason"]) == ("won", None)
    client.put(f"/api/offices/{OFFICE}/attribution-rules", json={})  # the module's server


def test_a_claim_awaiting_a_visit_is_lost_when_the_customer_signs_as_natural(
    live: Live, client: httpx.Client,
) -> None:
    cid = channel(client, "戊分销")
    mobile = "13512345671"
    client.post(f"/api/channels/{cid}/registrations",
                json={"customer_name": "林琳", "mobile": mobile})
    assert client.get(f"/api/channels/{cid}/registrations").json()[0]["status"] == \
        "awaiting_visit"
    id17 = "44030619900307790"

    signed = client.post(f"/api/offices/{OFFICE}/signings", json={
        "buyer_name": "林琳", "id_number": id17 + check_digit(id17), "mobile": mobile,
        "contract_price_fen": 2_000_000_00}).json()

    assert (signed["status"], signed["channel_id"]) == ("final", None), signed["decision"]
    [mine] = client.get(f"/api/channels/{cid}/registrations").json()
    assert (mine["status"], mine["outcome"], mine["lost_reason"]) == (
        "lost", "lost", "no_visit_before_signing"), signed["decision"]


def test_lost_claims_on_both_stores_give_their_own_reason_never_the_winner(
    make_kiosk: Callable[..., Kiosk], store_url: str,
) -> None:
    from keyuan.domain.attribution.channels import ChannelKind
    from keyuan.domain.attribution.registration import AttributionRules, ConflictPolicy
    from keyuan.services.attribution import registration as reg
    from keyuan.services.attribution import signing

    k = make_kiosk(store_url)
    reg.set_rules(k.office_id, AttributionRules(conflict_policy=ConflictPolicy.MARK), k.deps,
                  actor="manager-1")  # the losing claims are recorded, marked
    winner, masked, late = (reg.create_channel(k.office_id, ChannelKind.DISTRIBUTOR, name,
                                               k.deps).id for name in ("甲", "乙", "丙"))
    first = reg.register(reg.RegisterCmd(winner, "王芳", "13800001111"), k.deps).id
    k.clock.advance(hours=1)
    reg.register(reg.RegisterCmd(masked, "王芳", "138****1111"), k.deps)
    reg.confirm_visit(reg.ConfirmVisitCmd(first, "13800001111", staff="reception:t"), k.deps)
    k.clock.advance(days=31)  # past the 30-day protection: the signing goes natural
    reg.register(reg.RegisterCmd(late, "王芳", "13800001111"), k.deps)  # customer known by now
    id17 = "11010519800101001"
    signing.sign(signing.SigningCmd(
        office_id=k.office_id, buyer_name="王芳", id_number=id17 + check_digit(id17),
        mobile="13800001111", contract_price_fen=1_000_000_00, actor="signing:t"), k.deps)

    views = {cid: reg.claim_statuses(cid, k.deps)[0] for cid in (winner, masked, late)}

    assert {cid: (v.status, v.outcome, v.lost_reason) for cid, v in views.items()} == {
        winner: ("lost", "lost", "protection_expired"),
        masked: ("lost", "lost", "registration_protected_elsewhere"),  # marked at once
        late: ("lost", "lost", "registration_customer_known")}
    assert all(v.visited_at is None for v in views.values())
