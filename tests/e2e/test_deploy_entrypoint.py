"""The container's start path, run for real on this machine: `deploy/entrypoint.sh` (the image's
ENTRYPOINT and the systemd unit's ExecStart) against PostgreSQL in production mode, every secret
from a file (`KEYUAN_*_FILE`, as Docker secrets and systemd credentials hand them over). It
migrates the store, makes the office certificate, serves HTTPS on all addresses with the
plain-HTTP redirect, and its `healthcheck` (the image's HEALTHCHECK) follows the server."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from keyuan.adapters.store.migrate import alembic_config
from support.live import free_port
from support.postgres import admin_url, fresh_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ENTRYPOINT = Path(__file__).resolve().parents[2] / "deploy" / "entrypoint.sh"
SECRET_KEY = "secret-key-from-a-docker-secret-0123456789"
DB_PASSWORD = "db-password-from-a-docker-secret"
SMS_SECRET = "sms-access-key-secret-from-a-file-77"


def secrets_dir(tmp_path: Path) -> Path:
    """Files as `docker compose` mounts them under /run/secrets."""
    run = tmp_path / "run-secrets"
    run.mkdir(mode=0o700)
    for name, value in {"db_password": DB_PASSWORD, "secret_key": SECRET_KEY,
                        "sms_access_key_id": "LTAI5tKeyIdFromAFile",
                        "sms_access_key_secret": SMS_SECRET}.items():
        (run / name).write_text(value + "\n")
        (run / name).chmod(0o400)
    return run


def entrypoint_env(data_dir: Path, database_url: str, run: Path, **extra: str) -> dict[str, str]:
    """compose.yaml's environment, on free ports and this machine's paths."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYUAN_")}
    return {
        **env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "KEYUAN_DATA_DIR": str(data_dir),
        "KEYUAN_ENVIRONMENT": "production",
        "KEYUAN_HOST": "0.0.0.0",
        "KEYUAN_PORT": str(free_port()),
        "KEYUAN_TLS__PORT": str(free_port()),
        "KEYUAN_DATABASE_URL": database_url,
        "KEYUAN_DATABASE_PASSWORD_FILE": str(run / "db_password"),
        "KEYUAN_SECRET_KEY_FILE": str(run / "secret_key"),
        "KEYUAN_SMS__PROVIDER": "aliyun",
        "KEYUAN_SMS__SIGN_NAME": "客源",
        "KEYUAN_SMS__TEMPLATE_CHECK_IN": "SMS_000000001",
        "KEYUAN_SMS__ACCESS_KEY_ID_FILE": str(run / "sms_access_key_id"),
        "KEYUAN_SMS__ACCESS_KEY_SECRET_FILE": str(run / "sms_access_key_secret"),
        "TLS_NAMES": "keyuan.office.test",
        "TLS_IPS": "192.0.2.10",
        **extra,
    }


def healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(ENTRYPOINT), "healthcheck"], env=env, capture_output=True,
                          text=True, timeout=60)


@contextmanager
def started(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """The entrypoint with no arguments (the image's CMD is `serve`), until /healthz answers."""
    proc = subprocess.Popen(["sh", str(ENTRYPOINT)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    printed: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while healthcheck(env).returncode != 0:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"entrypoint exited: {out}")
            if time.monotonic() > deadline:
                raise AssertionError("the entrypoint's server did not become healthy in 120 s")
            time.sleep(0.5)
        while proc.stdout is not None:
            printed.append(line := proc.stdout.readline())
            if not line or "redirects to HTTPS" in line:
                break
        yield proc, printed
    finally:
        proc.send_signal(signal.SIGTERM)  # what `docker stop` and systemd send
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_the_image_start_path_migrates_postgres_and_serves_https_with_secrets_from_files(
        tmp_path: Path) -> None:
    with fresh_database(admin_url(), "keyuan_deploy") as database_url:
        data_dir = tmp_path / "data"
        env = entrypoint_env(data_dir, database_url, secrets_dir(tmp_path))
        assert healthcheck(env).returncode == 1  # nothing serving yet: unhealthy

        with started(env) as (proc, printed):
            tls_port, http_port = env["KEYUAN_TLS__PORT"], env["KEYUAN_PORT"]
            ca = ssl.create_default_context(cafile=str(data_dir / "tls" / "ca.crt"))
            up = httpx.get(f"https://localhost:{tls_port}/healthz", verify=ca, timeout=10)
            assert (up.status_code, up.json()) == (200, {"status": "up"})
            plain = httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=10)
            assert plain.status_code == 308
            assert plain.headers["location"].startswith("https://")

            engine = create_engine(database_url)
            try:
                heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
                with engine.connect() as conn:  # migrated on start: alembic at head
                    version = conn.execute(text("SELECT version_num FROM alembic_version"))
                    assert sorted(version.scalars()) == sorted(heads)
            finally:
                engine.dispose()
            names = subprocess.run(
                ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in",
                 str(data_dir / "tls" / "server.crt")], capture_output=True, text=True)
            if names.returncode == 0:  # TLS_NAMES / TLS_IPS reached the certificate
                assert "keyuan.office.test" in names.stdout and "192.0.2.10" in names.stdout
            output = "".join(printed)
            assert "keyuan-entrypoint: migrating the store" in output
            assert "keyuan serving on https://" in output
            for secret in (SECRET_KEY, DB_PASSWORD, SMS_SECRET):
                assert secret not in output
            assert (data_dir / "vault.key").stat().st_mode & 0o077 == 0
        assert proc.returncode is not None
        assert healthcheck(env).returncode == 1  # stopped: unhealthy again


def test_a_missing_secret_file_stops_the_start_before_anything_is_served(
        tmp_path: Path) -> None:
    run = secrets_dir(tmp_path)
    (run / "secret_key").unlink()
    env = entrypoint_env(tmp_path / "data", "postgresql+psycopg://keyuan@127.0.0.1:1/none", run)

    done = subprocess.run(["sh", str(ENTRYPOINT)], env=env, capture_output=True, text=True,
                          timeout=120)

    assert done.returncode == 2
    assert "error: invalid_settings: KEYUAN_SECRET_KEY_FILE: cannot read" in done.stderr
    assert "Traceback" not in done.stderr and DB_PASSWORD not in done.stdout + done.stderr
    assert not (tmp_path / "data" / "tls").exists()
