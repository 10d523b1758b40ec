"""The packaging files say what they must: compose.yaml (keyuan and PostgreSQL, named volumes,
every secret a file handed over by a `KEYUAN_*_FILE` variable the settings know), the Dockerfile
(slim 3.11, non-root, healthcheck, the data volume, the entrypoint), .dockerignore, and the
systemd unit (verified by `systemd-analyze verify` where it exists, hardened). The environment
of compose.yaml and of each example file makes valid production settings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from keyuan.config.secret_files import FILE_VARIABLES
from keyuan.config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "keyuan.service"


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in list(os.environ):
        if name.startswith("KEYUAN_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("KEYUAN_"):
            monkeypatch.setenv(name, value)
    return Settings()


def secret_files(tmp_path: Path, names: list[str]) -> Path:
    run = tmp_path / "run-secrets"
    run.mkdir(exist_ok=True)
    for name in names:
        (run / name).write_text(f"value-of-{name}-0123456789\n")
    return run


def test_compose_runs_keyuan_with_postgres_on_named_volumes() -> None:
    spec = compose()
    db, app = spec["services"]["db"], spec["services"]["keyuan"]
    assert db["image"].startswith("postgres:")
    assert app["build"] == "." and app["restart"] == "unless-stopped"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    named = set(spec["volumes"])
    for service in (db, app):
        for volume in service["volumes"]:
            source = volume.partition(":")[0]
            assert source in named, f"{volume}: a named volume, not a host path"
    assert "keyuan-data:/data" in app["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    for port in db.get("ports", []):  # PostgreSQL never on the office network
        assert port.startswith("127.0.0.1:")


def test_compose_hands_every_secret_over_as_a_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = compose()
    declared = spec["secrets"]
    for name, secret in declared.items():
        assert set(secret) == {"file"} and secret["file"].startswith("./secrets/"), name
    env: dict[str, str] = spec["services"]["keyuan"]["environment"]
    granted = set(spec["services"]["keyuan"]["secrets"])
    assert granted <= set(declared)
    file_vars = {name: value for name, value in env.items() if name.endswith("_FILE")}
    assert set(file_vars) == {"KEYUAN_DATABASE_PASSWORD_FILE", "KEYUAN_SECRET_KEY_FILE",
                              "KEYUAN_SMS__ACCESS_KEY_ID_FILE",
                              "KEYUAN_SMS__ACCESS_KEY_SECRET_FILE"}
    for name, value in file_vars.items():
        assert name in FILE_VARIABLES, f"{name}: the settings read no such file variable"
        assert value.startswith("/run/secrets/") and value.rsplit("/", 1)[1] in granted
    for plain in ("KEYUAN_SECRET_KEY", "KEYUAN_DATABASE_PASSWORD", "KEYUAN_VAULT_KEY"):
        assert plain not in env
    assert ":" not in env["KEYUAN_DATABASE_URL"].split("@")[0].split("//")[1]  # no password
    db_env = spec["services"]["db"]["environment"]
    assert db_env["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert db_env["POSTGRES_USER"] in env["KEYUAN_DATABASE_URL"]
    published = spec["services"]["db"]["ports"][0].split(":")[1]
    assert f"127.0.0.1:{published}/" in env["KEYUAN_DATABASE_URL"]

    run = secret_files(tmp_path, sorted(granted))
    given = {k: v.replace("/run/secrets", str(run)) for k, v in env.items()}
    given.update(env_file(DEPLOY / "compose.env.example"))
    settings = settings_from(given, monkeypatch)
    assert settings.environment == "production" and settings.sms.provider == "aliyun"
    assert settings.secret_key == "value-of-secret_key-0123456789"
    assert "value-of-db_password" in settings.resolved_database_url
    assert "value-of" not in settings.shown_database_url


def test_the_dockerfile_is_slim_non_root_healthchecked_with_the_data_volume() -> None:
    text = (ROOT / "Dockerfile").read_text()
    instructions = [line for line in re.sub(r"\\\n", " ", text).splitlines()
                    if line.strip() and not line.startswith("#")]
    froms = [line.split()[1] for line in instructions if line.startswith("FROM ")]
    assert froms and all(image.startswith("python:3.11-slim") for image in froms)
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") and "healthcheck" in line
               for line in instructions)
    assert 'VOLUME ["/data"]' in instructions and "KEYUAN_DATA_DIR=/data" in text
    assert 'ENTRYPOINT ["keyuan-entrypoint"]' in instructions
    assert "COPY deploy/entrypoint.sh /opt/keyuan/bin/keyuan-entrypoint" in instructions
    assert "dlib" in text and "face_recognition_models" in text  # checked at build time
    ignored = (ROOT / ".dockerignore").read_text().split()
    for kept in ("src", "pyproject.toml", "README.md", "NOTICE", "deploy"):
        assert kept not in ignored
    for left_out in (".venv", "var", "secrets", ".git"):
        assert left_out in ignored


def test_the_entrypoint_is_posix_sh() -> None:
    assert (DEPLOY / "entrypoint.sh").stat().st_mode & 0o111
    checked = subprocess.run(["sh", "-n", str(DEPLOY / "entrypoint.sh")], capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stderr


def unit_directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            found[key.strip()].append(value.strip())
    return found


def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("no systemd-analyze here: test_the_systemd_unit_is_hardened parses it")
    prefix = tmp_path / "opt" / "keyuan"  # verify checks that ExecStart's program exists
    (prefix / "bin").mkdir(parents=True)
    shutil.copy(DEPLOY / "entrypoint.sh", prefix / "bin" / "keyuan-entrypoint")
    unit = tmp_path / "keyuan.service"
    unit.write_text(UNIT.read_text().replace("/opt/keyuan", str(prefix)))
    verified = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                              timeout=60)
    assert (verified.returncode, verified.stderr, verified.stdout) == (0, "", "")
    broken = tmp_path / "broken.service"
    broken.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    complaint = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True,
                               timeout=60)
    assert "restart specifier" in complaint.stderr  # the check can fail


def test_the_systemd_unit_is_hardened_and_reads_its_secrets_as_credentials(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unit = unit_directives()
    assert unit["User"] == ["keyuan"] and unit["Restart"] == ["on-failure"]
    assert unit["ProtectSystem"] == ["strict"] and unit["NoNewPrivileges"] == ["yes"]
    assert unit["CapabilityBoundingSet"] == [""]
    environment = dict(e.split("=", 1) for e in unit["Environment"])
    assert unit["ReadWritePaths"] == [environment["KEYUAN_DATA_DIR"]] == ["/var/lib/keyuan"]
    assert unit["ExecStart"] == ["/opt/keyuan/bin/keyuan-entrypoint serve"]
    credentials = dict(c.split(":", 1) for c in unit["LoadCredential"])
    for name, value in environment.items():
        if name.endswith("_FILE"):
            assert name in FILE_VARIABLES and value.startswith("%d/")
            assert value.removeprefix("%d/") in credentials

    run = secret_files(tmp_path, list(credentials))
    given = {k: v.replace("%d", str(run)) for k, v in environment.items()}
    given.update(env_file(UNIT.with_name("keyuan.env.example")))
    given["KEYUAN_DATA_DIR"] = str(tmp_path)
    settings = settings_from(given, monkeypatch)
    assert settings.environment == "production" and settings.host == "0.0.0.0"
    assert settings.secret_key == "value-of-secret_key-0123456789"
