"""The kiosk's mobile path with a real SMS provider (Aliyun) behind a local stand-in of its API,
over real HTTP on SQLite and PostgreSQL: the code reaches the "phone" only through the gateway,
each send is recorded and audited (masked number, never the code), and the gateway's failures
reach the kiosk as JSON errors with Retry-After."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from keyuan.config.sms import SmsSettings
from keyuan.services import sms
from support.devices import kiosk_client
from support.live import Live, live_server
from support.sms_gateways import ALIYUN_KEY_ID, ALIYUN_SECRET, FakeGateway, Step, fake_gateway

MOBILE = "13912345678"


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with fake_gateway("aliyun") as fake:
        yield fake


@pytest.fixture
def live(tmp_path: Path, store_url: str, gateway: FakeGateway) -> Iterator[Live]:
    settings = SmsSettings(provider="aliyun", sign_name="客源", template_check_in="SMS_4712",
                           template_rights="SMS_4713",
                           endpoint=gateway.base_url, access_key_id=ALIYUN_KEY_ID,  # type: ignore[arg-type]
                           access_key_secret=ALIYUN_SECRET, timeout_seconds=0.5,  # type: ignore[arg-type]
                           attempts=2, backoff_seconds=0)
    with live_server(tmp_path / "data", engine=None, face_module="off", database_url=store_url,
                     configured_sender=True, sms=settings, otp_resend_seconds=0) as server:
        yield server


def start(http: httpx.Client) -> tuple[str, str]:
    session = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
    return session["session_id"], session["notice"]["content_hash"]


def test_the_mobile_path_gets_its_code_through_the_gateway(live: Live,
                                                            gateway: FakeGateway) -> None:
    with kiosk_client(live, timeout=30) as http:
        page = http.get("/kiosk/demo-office")
        assert 'id="sms-offline"' not in page.text and 'data-sms-offline="false"' in page.text
        sid, notice_hash = start(http)
        sent = http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": MOBILE})
        assert sent.status_code == 202, sent.text
        assert gateway.problems == [] and gateway.requests[-1]["PhoneNumbers"] == MOBILE
        wrong = http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
            "mobile": MOBILE, "code": "000000" if gateway.last_code() != "000000" else "111111",
            "agree": True, "notice_hash": notice_hash})
        assert wrong.json()["error"] == "code_invalid", wrong.text
        visit = http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
            "mobile": MOBILE, "code": gateway.last_code(), "agree": True,
            "notice_hash": notice_hash})
        assert visit.status_code == 201, visit.text
        assert visit.json()["method"] == "phone"
    [delivery] = sms.recent_deliveries(live.app.deps)
    assert (delivery.provider, delivery.outcome, delivery.purpose) == (
        "aliyun", "accepted", "check_in")
    assert delivery.masked_mobile == "139****5678" and delivery.request_id
    assert delivery.message_id and delivery.attempts == 1
    with live.app.deps.uow() as uow:
        audited = [e for e in uow.audit.all() if e.action == "sms_delivery"]
        outbox = uow.outbox.recent()
    assert [e.subject for e in audited] == [delivery.id] and outbox == []
    stored = json.dumps([e.detail for e in audited]) + repr(delivery)
    assert MOBILE not in stored and gateway.last_code() not in stored


def test_the_rights_portal_code_goes_through_the_gateway_with_its_template(
        live: Live, gateway: FakeGateway) -> None:
    with kiosk_client(live, timeout=30) as http:
        sid, notice_hash = start(http)
        http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": MOBILE})
        visit = http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
            "mobile": MOBILE, "code": gateway.last_code(), "agree": True,
            "notice_hash": notice_hash}).json()
        receipt = visit["receipt"]["receipt_id"]
        sent = http.post("/api/rights/code", json={"receipt_id": receipt})
        assert sent.status_code == 202, sent.text
        assert gateway.requests[-1]["TemplateCode"] == "SMS_4713"
        verified = http.post("/api/rights/verify", json={"receipt_id": receipt,
                                                         "code": gateway.last_code()})
        assert verified.status_code == 200, verified.text
        gateway.script = [Step("error", code="isv.DAY_LIMIT_CONTROL")]
        throttled = http.post("/api/rights/code", json={"receipt_id": receipt})
    assert throttled.status_code == 429 and throttled.json()["error"] == "sms_gateway_throttled"
    purposes = sorted((d.purpose, d.outcome) for d in sms.recent_deliveries(live.app.deps))
    assert purposes == [("check_in", "accepted"), ("rights", "accepted"), ("rights", "throttled")]


def test_provider_throttling_reaches_the_kiosk_as_429_with_retry_after(
        live: Live, gateway: FakeGateway) -> None:
    gateway.script = [Step("error", code="isv.BUSINESS_LIMIT_CONTROL")]
    with kiosk_client(live, timeout=30) as http:
        sid, _ = start(http)
        sent = http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": MOBILE})
    assert sent.status_code == 429 and sent.headers["Retry-After"] == "60"
    assert sent.json()["error"] == "sms_gateway_throttled" and "wait" in sent.json()["message"]
    [delivery] = sms.recent_deliveries(live.app.deps)
    assert (delivery.outcome, delivery.provider_code) == (
        "throttled", "isv.BUSINESS_LIMIT_CONTROL")


def test_a_gateway_that_never_answers_is_a_503_after_bounded_retries(
        live: Live, gateway: FakeGateway) -> None:
    gateway.script = [Step("sleep", seconds=1.5)] * 2
    with kiosk_client(live, timeout=30) as http:
        sid, _ = start(http)
        sent = http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": MOBILE})
    assert sent.status_code == 503 and int(sent.headers["Retry-After"]) >= 30
    assert sent.json()["error"] == "sms_gateway_unavailable"
    assert "did not answer (2 attempts" in sent.json()["message"]
    [delivery] = sms.recent_deliveries(live.app.deps)
    assert (delivery.outcome, delivery.provider_code, delivery.attempts) == (
        "unavailable", "timeout", 2)


def test_parallel_codes_are_each_sent_once_and_recorded_once(live: Live,
                                                              gateway: FakeGateway) -> None:
    mobiles = [f"1371234{n:04d}" for n in range(6)]

    def ask(mobile: str) -> int:
        with kiosk_client(live, timeout=30) as http:
            sid, _ = start(http)
            return http.post(f"/api/kiosk/sessions/{sid}/phone-code",
                             json={"mobile": mobile}).status_code

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(ask, mobiles)) == [202] * 6
    assert sorted(r["PhoneNumbers"] for r in gateway.requests) == mobiles
    deliveries = sms.recent_deliveries(live.app.deps)
    assert len(deliveries) == 6 and {d.outcome for d in deliveries} == {"accepted"}
    assert len({d.request_id for d in deliveries}) == 6


def test_the_outbox_is_labelled_on_the_kiosk(tmp_path: Path) -> None:
    with live_server(tmp_path / "data", engine=None, face_module="off") as server, \
            kiosk_client(server, timeout=30) as http:
        page = http.get("/kiosk/demo-office")
    assert 'id="sms-offline"' in page.text and "演示/离线短信" in page.text
    assert 'data-sms-offline="true"' in page.text
