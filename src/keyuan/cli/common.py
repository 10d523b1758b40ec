"""What every `keyuan` command shares: the `--data-dir` option, the app built from settings and
always closed, the operator the audit log names, and one way to refuse.

The shape of every command's output: results on stdout; a refusal (any `KeyuanError`) as
`error: <code>: <message>` on stderr with exit 1; a usage error (an unknown option, a bad value,
an unreadable input file, an invalid setting) exits 2. A user error never prints a traceback."""

from __future__ import annotations

import functools
import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from keyuan.bootstrap import App, build
from keyuan.config.settings import Settings
from keyuan.domain.errors import KeyuanError

P = ParamSpec("P")
R = TypeVar("R")

REFUSED = 1
"""Exit code of a refusal: the service said no (a `KeyuanError`)."""
USAGE = 2
"""Exit code of a usage error, as typer/click use it for bad options."""

DataDir = Annotated[
    Path | None, typer.Option(help="Data directory (default: KEYUAN_DATA_DIR or ./var).")
]


def operator() -> str:
    """Who acts from the command line: the local OS user, as `cli:<user>`. The CLI has no login
    and no option names another actor: a free-text actor would let anyone write the audit log
    (C17) under someone else's name."""
    return f"cli:{getpass.getuser()}"


def settings_for(data_dir: Path | None) -> Settings:
    """Settings from the environment, with `--data-dir` when given. An invalid setting is a
    usage error, named, not a traceback."""
    try:
        return Settings(data_dir=data_dir) if data_dir else Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        typer.echo(f"error: invalid_settings: {problems}", err=True)
        raise typer.Exit(USAGE) from exc


@contextmanager
def open_app(data_dir: Path | None) -> Iterator[App]:
    """The app built from settings (store, vault, engine), closed whatever happens inside."""
    app = build(settings_for(data_dir))
    try:
        yield app
    finally:
        app.close()


def refuse(exc: KeyuanError) -> NoReturn:
    """Print a refusal as `error: <code>: <message>` (and any listed problems) on stderr; exit 1."""
    typer.echo(f"error: {exc.code}: {exc.message}", err=True)
    problems = exc.details.get("problems")
    for problem in problems if isinstance(problems, list) else []:
        typer.echo(f"  PROBLEM: {problem}", err=True)
    raise typer.Exit(REFUSED) from exc


def handles_refusals(command: Callable[P, R]) -> Callable[P, R]:
    """Every command is wrapped in this: a `KeyuanError` it raises becomes `refuse(exc)`.
    Typer reads the parameters through `functools.wraps`, so options are unchanged."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except KeyuanError as exc:
            refuse(exc)

    return run


def read_json(file: Path) -> object:
    """A JSON file given on the command line; unreadable or malformed is a usage error."""
    try:
        return json.loads(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc}", param_hint="FILE") from exc
