"""`keyuan serve` as an office runs it with Alibaba Cloud SMS: a separate process whose access key
comes from a 0600 file, pointed at a local stand-in of the provider's API. The kiosk's mobile
path gets its code only through that gateway (the test reads it where the phone would) and
confirms the visit; serve's whole output holds no secret, code or full number. A group-readable
key file, and the outbox in production, stop serve with one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from support.devices import pair_with_cli
from support.live import free_port
from support.offices import office_add_args
from support.sms_gateways import ALIYUN_KEY_ID, ALIYUN_SECRET, FakeGateway, fake_gateway

pytestmark = pytest.mark.slow
KEYUAN = [sys.executable, "-m", "keyuan.cli.main"]
MOBILE = "13698765432"


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("KEYUAN_")}
    return {**keep, "KEYUAN_DATA_DIR": str(data_dir), "KEYUAN_ENVIRONMENT": "test",
            "KEYUAN_SECRET_KEY": "e2e-secret-key-0123456789", "KEYUAN_FACE_MODULE": "off",
            **extra}


def aliyun_environment(data_dir: Path, gateway: FakeGateway, key_file: Path) -> dict[str, str]:
    return environment(data_dir, KEYUAN_SMS__PROVIDER="aliyun", KEYUAN_SMS__SIGN_NAME="客源",
                       KEYUAN_SMS__TEMPLATE_CHECK_IN="SMS_471230001",
                       KEYUAN_SMS__ENDPOINT=gateway.base_url,
                       KEYUAN_SMS__CREDENTIALS_FILE=str(key_file))


def key_file(path: Path, mode: int) -> Path:
    path.write_text(f"access_key_id={ALIYUN_KEY_ID}\naccess_key_secret={ALIYUN_SECRET}\n")
    path.chmod(mode)
    return path


@contextmanager
def serve(env: dict[str, str], output: list[str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([*KEYUAN, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("serve did not answer within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        output.append(out)


def test_serve_with_aliyun_sends_the_kiosk_code_through_the_gateway(tmp_path: Path) -> None:
    output: list[str] = []
    with fake_gateway("aliyun") as gateway:
        env = aliyun_environment(tmp_path / "data", gateway, key_file(tmp_path / "sms.key", 0o600))
        for step in (["init"], office_add_args()):  # a real office: nothing is pre-created
            subprocess.run([*KEYUAN, *step], env=env, capture_output=True, check=True)
        with serve(env, output) as base, httpx.Client(base_url=base, timeout=60) as http:
            http.headers.update(pair_with_cli(base, env))  # the office pairs its tablet
            page = http.get("/kiosk/demo-office", headers={"Accept": "text/html"})
            session = http.post("/api/kiosk/sessions", json={"office_id": "demo-office"}).json()
            sid = session["session_id"]
            sent = http.post(f"/api/kiosk/sessions/{sid}/phone-code", json={"mobile": MOBILE})
            assert sent.status_code == 202, sent.text
            code = gateway.last_code()  # what the phone shows: the office never sees it
            done = http.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
                "mobile": MOBILE, "code": code, "agree": True,
                "notice_hash": session["notice"]["content_hash"]})
            assert done.status_code == 201, done.text
            assert done.json()["method"] == "phone"
            outbox = subprocess.run([*KEYUAN, "outbox"], env=env, capture_output=True,
                                    text=True, check=True).stdout
        assert gateway.problems == [] and len(gateway.requests) == 1
    assert 'id="sms-offline"' not in page.text and code not in outbox
    assert "SMS provider aliyun: codes go to the phone" in outbox
    assert "136****5432  check_in  accepted  request " in outbox and MOBILE not in outbox
    log = "\n".join(output)
    assert "keyuan serving on" in log and "SMS codes go to the outbox" not in log
    for private in (ALIYUN_SECRET, ALIYUN_KEY_ID, code, MOBILE):
        assert private not in log


def test_serve_refuses_a_group_readable_key_file_with_one_line(tmp_path: Path) -> None:
    loose = key_file(tmp_path / "sms.key", 0o640)
    with fake_gateway("aliyun") as gateway:
        env = aliyun_environment(tmp_path / "data", gateway, loose)
        ran = subprocess.run([*KEYUAN, "serve", "--port", str(free_port())], env=env,
                             capture_output=True, text=True, timeout=60)
    assert ran.returncode != 0
    assert ran.stderr.strip() == (f"error: key_file: {loose} is readable by group or others; "
                                  "chmod 600 it")
    assert ALIYUN_SECRET not in ran.stdout + ran.stderr


def test_serve_refuses_the_outbox_in_production_unless_offline(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", KEYUAN_ENVIRONMENT="production")
    ran = subprocess.run([*KEYUAN, "serve", "--port", str(free_port())], env=env,
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode != 0 and "KEYUAN_SMS__OFFLINE" in ran.stderr
    assert len(ran.stderr.strip().splitlines()) == 1


def test_serve_warns_about_the_outbox_outside_demo_mode(tmp_path: Path) -> None:
    output: list[str] = []
    with serve(environment(tmp_path / "data"), output):
        pass
    assert "warning: SMS codes go to the outbox" in output[0]
