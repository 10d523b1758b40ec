"""`keyuan serve` with its vault key file gone while the vault holds templates: one line naming
the missing file, exit 1, and nothing written (a new key would make every template unreadable).
SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.clock import FakeClock
from keyuan.bootstrap import build, prepare_data_dir
from keyuan.config.settings import Settings
from keyuan.demo.office import default_office
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from support import postgres
from support.live import free_port
from support.offices import set_up_office
from support.pia import record_office_pia
from support.sequences import fake_shots, landmarker_for

KEYUAN = [sys.executable, "-m", "keyuan.cli.main"]
SECRET = "e2e-secret-key-0123456789"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    with postgres.fresh_database(postgres.admin_url()) as url:
        yield url


def enroll_one_face(data_dir: Path, database_url: str | None) -> None:
    settings = Settings(data_dir=data_dir, environment="test", secret_key=SECRET,
                        database_url=database_url)  # type: ignore[arg-type]
    prepare_data_dir(settings)
    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    engine = FakeEngine(settings.face)
    app = build(settings, clock=clock, engine=engine, landmarker=landmarker_for(engine))
    try:
        set_up_office(app.deps)
        record_office_pia(app.deps)
        session, notice = kiosk_service.start_session(default_office().id, app.deps)
        consent = kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
            session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True,
        ), app.deps)
        face_service.enroll_face(face_service.EnrollCmd(
            session.id, consent.id, **fake_shots((200, 40, 40)).cmd()), app.deps)
    finally:
        app.close()


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


def test_serve_without_its_vault_key_names_the_file_and_writes_nothing(
    tmp_path: Path, database_url: str | None,
) -> None:
    enroll_one_face(tmp_path, database_url)
    key_file = tmp_path / "vault.key"
    key_file.unlink()
    before = snapshot(tmp_path)
    env = {**os.environ, "KEYUAN_DATA_DIR": str(tmp_path), "KEYUAN_ENVIRONMENT": "test",
           "KEYUAN_SECRET_KEY": SECRET, "KEYUAN_FACE_MODULE": "off"}
    env.pop("KEYUAN_VAULT_KEY", None)
    if database_url:
        env["KEYUAN_DATABASE_URL"] = database_url
    done = subprocess.run([*KEYUAN, "serve", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1, done.stderr
    assert len(lines) == 1 and str(key_file) in lines[0] and "missing" in lines[0], done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not key_file.exists()
    assert snapshot(tmp_path) == before
