"""The container image, built and started where a Docker engine answers (CI with Docker); on a
machine without one (a docker CLI but no daemon, or no docker at all) this skips with the reason.
The start path inside the image is `deploy/entrypoint.sh`, which test_deploy_entrypoint runs for
real on every machine."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 3600


def docker_engine() -> str:
    """The docker CLI's path when an engine answers `docker info`; otherwise skip, saying why."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI on this machine: the image is built only where Docker is")
    info = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"],
                          capture_output=True, text=True, timeout=60)
    if info.returncode != 0 or not info.stdout.strip():
        reason = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        pytest.skip(f"no Docker engine answers `docker info` ({reason[:200]}): the image is "
                    "built only where one runs")
    return docker


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)


def test_the_image_builds_runs_as_non_root_and_becomes_healthy() -> None:
    docker = docker_engine()
    tag = f"keyuan-test:{secrets.token_hex(4)}"
    built = run(docker, "build", "--tag", tag, str(ROOT), timeout=BUILD_TIMEOUT_S)
    assert built.returncode == 0, built.stderr[-4000:]
    name = f"keyuan-test-{secrets.token_hex(4)}"
    try:
        user = run(docker, "run", "--rm", "--entrypoint", "id", tag, "-u")
        assert user.returncode == 0 and user.stdout.strip() not in ("", "0"), user.stderr
        started = run(docker, "run", "--detach", "--name", name,
                      "--env", "KEYUAN_ENVIRONMENT=test",
                      "--env", "KEYUAN_SECRET_KEY=image-test-secret-key-0123456789",
                      "--env", "KEYUAN_SMS__OFFLINE=true", tag)
        assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + 300
        while True:  # the image's own HEALTHCHECK command, run now rather than every 30 s
            check = run(docker, "exec", name, "keyuan-entrypoint", "healthcheck", timeout=60)
            if check.returncode == 0:
                break
            state = run(docker, "inspect", "--format", "{{.State.Running}}", name)
            logs = run(docker, "logs", name)
            assert state.stdout.strip() == "true", logs.stdout[-4000:] + logs.stderr[-4000:]
            assert time.monotonic() < deadline, logs.stdout[-4000:] + logs.stderr[-4000:]
            time.sleep(2)
        logs = run(docker, "logs", name)
        assert "keyuan-entrypoint: migrating the store" in logs.stdout
        assert "keyuan serving on https://" in logs.stdout
        health = run(docker, "inspect", "--format", "{{json .Config.Healthcheck.Test}}", name)
        assert "healthcheck" in health.stdout
    finally:
        run(docker, "rm", "--force", "--volumes", name)
        run(docker, "rmi", "--force", tag)
