"""`keyuan capture …` commands: a camera's token is printed once and only its hash is stored;
signage is recorded; a pull names a missing camera or source as an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyuan.bootstrap import build
from keyuan.cli.capture import capture_cli
from keyuan.cli.main import cli
from keyuan.config.settings import Settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEYUAN_ENVIRONMENT", "test")
    monkeypatch.setenv("KEYUAN_SECRET_KEY", "cli-capture-secret-0123456789")
    assert runner.invoke(cli, ["init", "--data-dir", str(tmp_path)]).exit_code == 0
    return tmp_path


def test_camera_add_prints_the_token_once_and_stores_only_its_hash(data_dir: Path) -> None:
    added = runner.invoke(capture_cli, ["camera", "add", "--office", "demo-office",
                                        "--name", "entrance", "--data-dir", str(data_dir)])
    assert added.exit_code == 0, added.output
    token = added.output.split("store it in the camera): ")[1].strip()
    camera_id = added.output.split()[1]
    listed = runner.invoke(capture_cli, ["camera", "list", "--data-dir", str(data_dir)])
    assert camera_id in listed.output and token not in listed.output
    for path in data_dir.iterdir():
        assert token.encode() not in path.read_bytes()
    assert runner.invoke(capture_cli, ["camera", "switch", camera_id, "--off",
                                       "--data-dir", str(data_dir)]).exit_code == 0
    app = build(Settings(data_dir=data_dir))
    try:
        with app.deps.uow() as uow:
            camera = uow.capture.camera(camera_id)
        assert camera is not None and not camera.enabled
    finally:
        app.close()


def test_signage_confirm_records_who_and_when(data_dir: Path) -> None:
    done = runner.invoke(capture_cli, ["signage", "confirm", "--office", "demo-office",
                                       "--by", "店长 王", "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    app = build(Settings(data_dir=data_dir))
    try:
        with app.deps.uow() as uow:
            signage = uow.capture.signage("demo-office")
        assert signage is not None and signage.confirmed_by == "店长 王"
    finally:
        app.close()


def test_pull_with_an_unknown_camera_is_a_clear_error(data_dir: Path) -> None:
    result = runner.invoke(capture_cli, ["pull", "--camera", "cam_nope", "clip.mp4",
                                         "--data-dir", str(data_dir)])
    assert result.exit_code == 2 and "unknown_camera" in result.output
