"""One CLI shape (`cli/common.py`), without a store: a refusal is `error: <code>: <message>` on
stderr with exit 1, a usage error exits 2, nothing prints a traceback; the operator is
`cli:<os user>`; the app is closed whatever happens; every command of `keyuan` is wrapped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from keyuan.cli import common
from keyuan.cli.main import cli
from keyuan.domain.errors import NoticeIncomplete, UnknownOffice

CLI_DIR = Path(common.__file__).parent


def one_command_app(body: Any) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @common.handles_refusals
    def only(count: int = 1) -> None:
        typer.echo(f"started {count}")
        body()

    return app


def refuse_unknown_office() -> None:
    raise UnknownOffice("No office 'x'.")


def test_a_refusal_is_its_code_and_message_on_stderr_with_exit_1() -> None:
    result = CliRunner().invoke(one_command_app(refuse_unknown_office), [])

    assert result.exit_code == 1
    assert result.stderr == "error: unknown_office: No office 'x'.\n"
    assert result.stdout == "started 1\n"  # normal output stays on stdout
    assert "Traceback" not in result.output


def test_the_problems_a_refusal_lists_follow_it_on_stderr() -> None:
    def incomplete() -> None:
        raise NoticeIncomplete("2 problems", problems=["missing controller", "missing purpose"])

    result = CliRunner().invoke(one_command_app(incomplete), [])

    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error: notice_incomplete: 2 problems",
                                          "  PROBLEM: missing controller",
                                          "  PROBLEM: missing purpose"]


def test_a_usage_error_exits_2_and_a_bug_is_not_hidden() -> None:
    def bug() -> None:
        raise ZeroDivisionError

    usage = CliRunner().invoke(one_command_app(lambda: None), ["--count", "many"])
    crash = CliRunner().invoke(one_command_app(bug), [])

    assert usage.exit_code == 2 and "--count" in usage.stderr
    assert isinstance(crash.exception, ZeroDivisionError)  # only user errors are turned into text


def test_the_wrapped_command_keeps_its_options_for_typer() -> None:
    result = CliRunner().invoke(one_command_app(lambda: None), ["--count", "3"])

    assert (result.exit_code, result.stdout) == (0, "started 3\n")


def test_an_invalid_setting_is_named_as_a_usage_error_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KEYUAN_FACE_MODULE", "bogus")

    result = CliRunner().invoke(one_command_app(lambda: common.settings_for(None)), [])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid_settings: face_module: ")
    assert "Traceback" not in result.output


def test_the_operator_is_the_os_user_behind_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "wang.li")

    assert common.operator() == "cli:wang.li"


class FakeApp:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[FakeApp]]:
    apps: list[FakeApp] = []

    def build(settings: object) -> FakeApp:
        apps.append(FakeApp())
        return apps[-1]

    monkeypatch.setenv("KEYUAN_ENVIRONMENT", "test")
    monkeypatch.setattr(common, "build", build)
    yield apps


def test_open_app_closes_the_app_when_the_command_is_refused(
    built: list[FakeApp], tmp_path: Path,
) -> None:
    with pytest.raises(UnknownOffice), common.open_app(tmp_path):
        refuse_unknown_office()
    with common.open_app(tmp_path):
        pass

    assert [app.closed for app in built] == [True, True]


def commands(group: TyperGroup, path: str = "keyuan") -> Iterator[tuple[str, Any]]:
    """Every command, and every group that does work of its own (`keyuan demo`)."""
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            if command.invoke_without_command:
                yield f"{path} {name}", command
            yield from commands(command, f"{path} {name}")
        else:
            yield f"{path} {name}", command


REFUSING = common.handles_refusals(lambda: None).__code__


def test_every_command_of_keyuan_turns_refusals_into_error_lines() -> None:
    root = typer.main.get_command(cli)
    assert isinstance(root, TyperGroup)
    found = dict(commands(root))

    unwrapped = [path for path, command in found.items()
                 if getattr(getattr(command.callback, "__wrapped__", None), "__code__", None)
                 is not REFUSING]

    assert len(found) > 40 and {"keyuan purge", "keyuan inspect", "keyuan demo"} <= set(found)
    assert unwrapped == []
