"""The bad-input suite against a real `keyuan serve` process, on SQLite and PostgreSQL: no answer
is a 5xx, and its whole log (stdout and stderr: uvicorn, access log, our handlers) holds none of
the mobile numbers, names and ID numbers that were sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from keyuan.bootstrap import build, prepare_data_dir
from keyuan.config.settings import Settings
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.accounts.service import AddUserCmd, add_user, login
from support import postgres
from support.devices import pair_with_cli
from support.live import free_port
from support.offices import set_up_office
from support.pia import record_office_pia

pytestmark = pytest.mark.slow
KEYUAN = [sys.executable, "-m", "keyuan.cli.main"]
SECRET = "e2e-secret-key-0123456789"
PASSWORD = "correct horse battery staple"
OFFICE = "demo-office"

MOBILES = ["13987654321", "15811112222", "18600001234", "13500009876"]
NAMES = ["欧阳娜娜", "司马相如", "诸葛明亮", "Zhang Weiwei"]
ID_NUMBERS = [f + check_digit(f) for f in ("44030619851120123", "11010519770707456")]
FUTURE_ID = "11010520990101001" + check_digit("11010520990101001")
PERSONAL = [*MOBILES, *NAMES, *ID_NUMBERS, FUTURE_ID, *(i[:17] for i in ID_NUMBERS)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    with postgres.fresh_database(postgres.admin_url()) as url:
        yield url


def staff_token(data_dir: Path, database_url: str | None) -> str:
    """The office, its notice, an admin account and a bearer token, made before serving."""
    settings = Settings(data_dir=data_dir, environment="test", secret_key=SECRET,
                        database_url=database_url, face_module="off")  # type: ignore[arg-type]
    prepare_data_dir(settings)
    app = build(settings)
    try:
        set_up_office(app.deps)
        record_office_pia(app.deps)
        add_user(AddUserCmd(username="admin", role=Role("admin"), password=PASSWORD), app.deps)
        return login("admin", PASSWORD, "bearer", app.deps, app.guard.sessions).token
    finally:
        app.close()


def bad_input_suite(http: httpx.Client) -> list[httpx.Response]:
    m1, m2, m3, m4 = MOBILES
    n1, n2, n3, n4 = NAMES
    cid = http.post(f"/api/offices/{OFFICE}/channels",
                    json={"kind": "distributor", "name": "分销"}).json()["channel_id"]
    session = http.post("/api/kiosk/sessions", json={"office_id": OFFICE}).json()
    sid, notice_hash = session["session_id"], session["notice"]["content_hash"]
    signing = {"buyer_name": n1, "id_number": ID_NUMBERS[0], "mobile": m1,
               "contract_price_fen": 100}
    return [
        http.post(f"/api/channels/{cid}/registrations", json={"customer_name": n1, "mobile": m1}),
        http.post(f"/api/channels/{cid}/registrations",
                  json={"customer_name": n2 + "\x00", "mobile": m2}),
        http.post(f"/api/channels/{cid}/registrations", json={
            "customer_name": n2, "mobile": m2, "expected_visit_at": "9999-12-31T23:59:59-14:00"}),
        http.post(f"/api/channels/{cid}/registrations", json={
            "customer_name": n3, "mobile": m3, "expected_visit_at": "2026-12-01T10:00:00"}),
        http.post(f"/api/channels/{cid}/registrations", json={"customer_name": " ", "mobile": m3}),
        http.post(f"/api/offices/{OFFICE}/signings", json={**signing, "buyer_name": n3 + "\x00"}),
        http.post(f"/api/offices/{OFFICE}/signings", json={**signing, "id_number": FUTURE_ID}),
        http.post(f"/api/offices/{OFFICE}/signings", json={**signing, "contract_price_fen": 2**63}),
        http.post(f"/api/offices/{OFFICE}/signings",
                  json={**signing, "chip_photo": "bm90IGFuIGltYWdl"}),
        http.post(f"/api/offices/{OFFICE}/signings",
                  json={**signing, "id_number": ID_NUMBERS[1][:-1] + "0", "mobile": m4}),
        http.post(f"/api/offices/{OFFICE}/signings", json=signing),
        http.post(f"/api/channels/{cid}/agreements", json={
            "kind": "fixed", "value": 100, "effective_from": "0001-01-01T00:00:00+14:00",
            "referral_reward_fen": 2**63 - 1}),
        http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": m4 + "\x00"}),
        http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": m4}),
        http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
            "mobile": m4, "code": "000000", "notice_hash": notice_hash, "agree": True,
            "name": n4}),
        http.post(f"/api/kiosk/sessions/{sid}/face-consent", json={
            "notice_hash": notice_hash, "age_14_or_over": True, "agree": True, "name": n4}),
        http.post(f"/api/kiosk/sessions/{sid}/return", json={"mobile": m3, "frames": ["eA=="]}),
        http.post("/api/auth/login", json={"username": n2 + "\x00", "password": m2}),
        http.post("/api/rights/code", json={"receipt_id": m1 + "\x00"}),
        http.get(f"/api/receipts/{m2}%00"),
        http.get("/api/notices/999999999999999999999999"),
        http.get(f"/dashboard?days={'9' * 5000}", headers={"accept": "application/json"}),
    ]


def test_no_personal_data_reaches_the_log_of_a_served_bad_input_suite(
    tmp_path: Path, database_url: str | None,
) -> None:
    data_dir = tmp_path / "data"
    token = staff_token(data_dir, database_url)
    port, log_file = free_port(), tmp_path / "serve.log"
    env = {**os.environ, "KEYUAN_DATA_DIR": str(data_dir), "KEYUAN_ENVIRONMENT": "test",
           "KEYUAN_SECRET_KEY": SECRET, "KEYUAN_FACE_MODULE": "off"}
    if database_url:
        env["KEYUAN_DATABASE_URL"] = database_url
    with log_file.open("w") as log:
        proc = subprocess.Popen([*KEYUAN, "serve", "--port", str(port)], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc)
        tablet = pair_with_cli(base, env)  # the kiosk calls come from a paired tablet
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {token}", **tablet}) as http:
            answers = bad_input_suite(http)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    assert [r.status_code for r in answers if r.status_code >= 500] == []
    assert sum(r.status_code >= 400 for r in answers) >= 18
    text = log_file.read_text("utf-8")
    assert "POST /api/offices/demo-office/signings" in text  # the access log was written
    leaked = [value for value in PERSONAL if value in text]
    assert leaked == [], f"personal data in the server log: {leaked}"


def wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("serve exited before answering")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("serve did not answer within 60 s")
