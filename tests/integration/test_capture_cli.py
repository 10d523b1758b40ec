"""`keyuan capture …` commands: a camera's token is printed once and only its hash is stored; a
camera needs its lane and alternative route; signage and lanes are recorded as confirmed by the
operator; a pull names a missing camera, a file or recorded footage as an error on stderr with
exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyuan.bootstrap import build
from keyuan.cli.capture import capture_cli
from keyuan.cli.main import cli
from keyuan.config.settings import Settings
from support.offices import office_add_args

runner = CliRunner()
OS_USER = "cam-op"  # getpass.getuser() reads LOGNAME first
LANE = ["--lane", "东门左侧黄线刷脸通道", "--alternative", "东门右侧普通入口"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LOGNAME", OS_USER)
    monkeypatch.setenv("KEYUAN_ENVIRONMENT", "test")
    monkeypatch.setenv("KEYUAN_SECRET_KEY", "cli-capture-secret-0123456789")
    assert runner.invoke(cli, ["init", "--data-dir", str(tmp_path)]).exit_code == 0
    added = runner.invoke(cli, [*office_add_args(), "--data-dir", str(tmp_path)])
    assert added.exit_code == 0, added.output
    return tmp_path


def test_camera_add_prints_the_token_once_and_stores_only_its_hash(data_dir: Path) -> None:
    added = runner.invoke(capture_cli, ["camera", "add", "--office", "demo-office",
                                        "--name", "entrance", *LANE, "--data-dir", str(data_dir)])
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


def test_signage_confirm_records_the_operator_and_when(data_dir: Path) -> None:
    done = runner.invoke(capture_cli, ["signage", "confirm", "--office", "demo-office",
                                       "--data-dir", str(data_dir)])
    forged = runner.invoke(capture_cli, ["signage", "confirm", "--office", "demo-office",
                                         "--by", "店长 王", "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    assert forged.exit_code == 2 and "No such option" in forged.output
    app = build(Settings(data_dir=data_dir))
    try:
        with app.deps.uow() as uow:
            signage = uow.capture.signage("demo-office")
            actors = [e.actor for e in uow.audit.all() if e.action == "signage_confirmed"]
        assert signage is not None and signage.confirmed_by == f"cli:{OS_USER}"
        assert actors == [f"cli:{OS_USER}"]
    finally:
        app.close()


def test_camera_changes_are_audited_as_the_operator(data_dir: Path) -> None:
    added = runner.invoke(capture_cli, ["camera", "add", "--office", "demo-office",
                                        "--name", "gate", *LANE, "--data-dir", str(data_dir)])
    camera_id = added.output.split()[1]
    moved = runner.invoke(capture_cli, ["camera", "lane", camera_id, "--lane", "西门通道",
                                        "--alternative", "西门旁门", "--data-dir", str(data_dir)])
    confirmed = runner.invoke(capture_cli, ["camera", "confirm-lane", camera_id,
                                            "--data-dir", str(data_dir)])
    assert (moved.exit_code, confirmed.exit_code) == (0, 0), moved.output + confirmed.output
    assert "西门旁门" in confirmed.output and f"cli:{OS_USER}" in confirmed.output
    switched = runner.invoke(capture_cli, ["camera", "switch", camera_id, "--off",
                                           "--data-dir", str(data_dir)])
    assert (added.exit_code, switched.exit_code) == (0, 0), added.output + switched.output
    app = build(Settings(data_dir=data_dir))
    try:
        with app.deps.uow() as uow:
            actors = {e.action: e.actor for e in uow.audit.all() if e.subject == camera_id}
    finally:
        app.close()
    assert actors == {"camera_registered": f"cli:{OS_USER}",
                      "camera_lane_set": f"cli:{OS_USER}",
                      "camera_lane_confirmed": f"cli:{OS_USER}",
                      "camera_switched": f"cli:{OS_USER}"}


def test_a_camera_for_an_unknown_office_is_refused_on_stderr(data_dir: Path) -> None:
    result = runner.invoke(capture_cli, ["camera", "add", "--office", "no-such-office",
                                         "--name", "gate", *LANE, "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown_office: ") and result.stdout == ""


def test_pull_with_an_unknown_camera_is_a_clear_error(data_dir: Path) -> None:
    result = runner.invoke(capture_cli, ["pull", "--camera", "cam_nope", "rtsp://10.0.0.5/live",
                                         "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unknown_camera: ") and result.stdout == ""


def test_c11_a_camera_without_its_lane_or_alternative_route_is_refused(data_dir: Path) -> None:
    for lane in (["--alternative", "东门右侧普通入口"], ["--lane", "东门左侧黄线刷脸通道"]):
        result = runner.invoke(capture_cli, ["camera", "add", "--office", "demo-office",
                                             "--name", "gate", *lane, "--data-dir",
                                             str(data_dir)])
        assert result.exit_code == 2 and "Missing option" in result.stderr, result.output
    blank = runner.invoke(capture_cli, ["camera", "add", "--office", "demo-office", "--name",
                                        "gate", "--lane", " ", "--alternative", "东门右侧普通入口",
                                        "--data-dir", str(data_dir)])
    assert blank.exit_code == 1 and blank.stderr.startswith("error: camera_lane_required: ")
    listed = runner.invoke(capture_cli, ["camera", "list", "--data-dir", str(data_dir)])
    assert listed.output == ""


@pytest.mark.parametrize("source", ["clip.mp4", "/srv/nvr/door.dav", "file:///srv/clip.mp4",
                                    "http://nvr.local/export/door.mp4"])
def test_c13_pull_refuses_a_file_or_recorded_footage(data_dir: Path, tmp_path: Path,
                                                     source: str) -> None:
    added = runner.invoke(capture_cli, ["camera", "add", "--office", "demo-office",
                                        "--name", "gate", *LANE, "--data-dir", str(data_dir)])
    camera_id = added.output.split()[1]
    result = runner.invoke(capture_cli, ["pull", "--camera", camera_id, source,
                                         "--data-dir", str(data_dir)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: capture_source_not_live: ") and result.stdout == ""


def test_camera_profile_is_chosen_at_add_edited_and_listed_and_the_password_stays_hidden(
    data_dir: Path,
) -> None:
    args = ["--data-dir", str(data_dir)]
    added = runner.invoke(capture_cli, ["camera", "add", "--office", "demo-office", "--name",
                                        "entrance", *LANE, "--profile", "generic-json", *args])
    assert added.exit_code == 0 and "profile generic-json" in added.output, added.output
    camera_id = added.output.split()[1]
    bad = runner.invoke(capture_cli, ["camera", "add", "--office", "demo-office", "--name",
                                      "x", *LANE, "--profile", "axis", *args])
    assert bad.exit_code == 1 and "camera_profile_invalid" in bad.output
    password = "Cam-Passw0rd-cli-42"
    edited = runner.invoke(capture_cli, ["camera", "profile", camera_id, "--profile",
                                         "hikvision-isapi", "--picture-host", "192.168.1.64",
                                         "--username", "admin", *args], input=password + "\n")
    assert edited.exit_code == 0, edited.output
    assert "hikvision-isapi" in edited.output and "login: stored" in edited.output
    listed = runner.invoke(capture_cli, ["camera", "list", *args])
    assert "profile: hikvision-isapi (pictures from 192.168.1.64)" in listed.output
    for output in (added.output, edited.output, listed.output):
        assert password not in output
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
    cleared = runner.invoke(capture_cli, ["camera", "profile", camera_id, "--profile", "dahua",
                                          "--clear-login", *args])
    assert cleared.exit_code == 0 and "login: none" in cleared.output, cleared.output
