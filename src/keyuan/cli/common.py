"""What every `keyuan` command shares: the `--data-dir` option, the app built from settings and
always closed, the operator the audit log names, and one way to refuse.

The shape of every command's output: results on stdout; a refusal (any `KeyuanError`) as
`error: <code>: <message>` on stderr with exit 1; a usage error (an unknown option, a bad value,
an unreadable input file, an invalid setting) exits 2. A user error never prints a traceback, and
neither does a bug: `main` (through `guarded`) turns any other exception into one line
`error: internal_error: <Type>: <message>` on stderr and exit 70; `KEYUAN_DEBUG=1` re-raises it
with its traceback (never with local variables: they may hold personal data)."""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from keyuan.adapters.crypto.keyfiles import KeyFileError
from keyuan.bootstrap import App, build
from keyuan.config.secret_files import SecretFileError
from keyuan.config.settings import Settings
from keyuan.domain.errors import KeyuanError

P = ParamSpec("P")
R = TypeVar("R")

REFUSED = 1
"""Exit code of a refusal: the service said no (a `KeyuanError`)."""
USAGE = 2
"""Exit code of a usage error, as typer/click use it for bad options."""
INTERNAL = 70
"""Exit code of an unexpected error (a bug or a broken environment): EX_SOFTWARE of sysexits."""
DEBUG_ENV = "KEYUAN_DEBUG"
MESSAGE_LIMIT = 200
_PERSONAL = re.compile(r"\+?\d[\d -]{5,}\d|[\w.+-]+@[\w-]+\.[\w.-]+")
"""Runs of 7+ digits (mobile, ID and receipt numbers) and e-mail addresses."""

DataDir = Annotated[
    Path | None, typer.Option(help="Data directory (default: KEYUAN_DATA_DIR or ./var).")
]


def operator() -> str:
    """Who acts from the command line: the local OS user, as `cli:<user>`. The CLI has no login
    and no option names another actor: a free-text actor would let anyone write the audit log
    (C17) under someone else's name."""
    return f"cli:{getpass.getuser()}"


def settings_for(data_dir: Path | None, *, demo: bool = False) -> Settings:
    """Settings from the environment, with `--data-dir` and `--demo` when given. An invalid
    setting is a usage error, named, not a traceback."""
    given: dict[str, object] = {"data_dir": data_dir} if data_dir else {}
    if demo:
        given["demo"] = True
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        typer.echo(f"error: invalid_settings: {problems}", err=True)
        raise typer.Exit(USAGE) from exc
    except SecretFileError as exc:  # a KEYUAN_…_FILE variable: named, never the content
        typer.echo(f"error: invalid_settings: {exc}", err=True)
        raise typer.Exit(USAGE) from exc


@contextmanager
def open_app(data_dir: Path | None, *, demo: bool = False) -> Iterator[App]:
    """The app built from settings (store, vault, engine), closed whatever happens inside."""
    app = build(settings_for(data_dir, demo=demo))
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
        except KeyFileError as exc:  # a key missing, unreadable or not matching: one line
            typer.echo(f"error: key_file: {exc}", err=True)
            raise typer.Exit(REFUSED) from exc

    return run


def read_json(file: Path) -> object:
    """A JSON file given on the command line; unreadable or malformed is a usage error."""
    try:
        return json.loads(file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc}", param_hint="FILE") from exc


def guarded(command: Callable[[], object]) -> None:
    """Run the whole command line: an exception no command handled is reported as one line
    (type and message, numbers and e-mail addresses masked, no parameters or locals) with exit
    `INTERNAL`. `KEYUAN_DEBUG=1` lets it through with its traceback."""
    try:
        command()
    except Exception as exc:
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        print(f"error: internal_error: {describe(exc)} (set {DEBUG_ENV}=1 for the traceback)",
              file=sys.stderr)
        sys.exit(INTERNAL)


def describe(exc: BaseException) -> str:
    """`Type: first line of the message`, shortened, with personal-looking data masked."""
    lines = str(exc).strip().splitlines()
    message = _PERSONAL.sub("***", lines[0] if lines else "")
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT - 1] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
