"""`keyuan user add USERNAME --role ROLE [--channel ID]`, `keyuan user list`, `keyuan user
disable|enable USERNAME`, `keyuan user passwd USERNAME`. A password is prompted for (hidden,
twice) or, when stdin is not a terminal, read from its first line, so scripts never put it on a
command line. Each change is audited with the actor `cli`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from keyuan.config.settings import Settings
from keyuan.domain.accounts.model import Role, User
from keyuan.services.ports import Deps

user_cli = typer.Typer(help="Accounts: staff, distributor and agent logins.", no_args_is_help=True)


@user_cli.callback()
def _user_group() -> None:
    """Keeps `user` a group even with one command."""


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_cli.command("add")
def add(
    username: str,
    role: Annotated[Role, typer.Option(help="reception, sales, signing, finance, manager, "
                                       "compliance, admin; distributor or agent need --channel")],
    channel: Annotated[str | None, typer.Option(help="Channel id (distributor/agent).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Data directory (default: "
                                                  "KEYUAN_DATA_DIR or ./var).")] = None,
) -> None:
    """Create an account. The password is hashed with argon2id and never printed."""
    from keyuan.bootstrap import build
    from keyuan.domain.errors import KeyuanError
    from keyuan.services.accounts.service import AddUserCmd, add_user

    app = build(Settings(data_dir=data_dir) if data_dir else Settings())
    try:
        user = add_user(AddUserCmd(username=username, role=role, password=_password(),
                                   channel_id=channel), app.deps)
    except KeyuanError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        app.close()
    scope = f" for channel {user.channel_id}" if user.channel_id else ""
    typer.echo(f"added {user.role.value} '{user.username}'{scope}")


def _run(data_dir: Path | None, action: Callable[[Deps], str]) -> None:
    from keyuan.bootstrap import build
    from keyuan.domain.errors import KeyuanError

    app = build(Settings(data_dir=data_dir) if data_dir else Settings())
    try:
        typer.echo(action(app.deps))
    except KeyuanError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        app.close()


DataDir = Annotated[Path | None, typer.Option(help="Data directory (default: KEYUAN_DATA_DIR "
                                              "or ./var).")]


@user_cli.command("list")
def list_users(data_dir: DataDir = None) -> None:
    """Every account: username, role, channel, disabled or not (never a password hash)."""
    from keyuan.services.accounts.service import users

    def show(deps: Deps) -> str:
        rows = [f"{u.username}\t{u.role.value}\t{u.channel_id or '-'}\t"
                f"{'disabled' if u.disabled else 'active'}" for u in users(deps)]
        return "\n".join(rows) or "no accounts yet"
    _run(data_dir, show)


def _toggled(what: str, user: User) -> str:
    return f"{what} '{user.username}'"


@user_cli.command("disable")
def disable(username: str, data_dir: DataDir = None) -> None:
    """Disable an account and end its sessions at once."""
    from keyuan.services.accounts.service import set_disabled

    _run(data_dir, lambda deps: _toggled("disabled", set_disabled(username, True, deps,
                                                                  actor="cli")))


@user_cli.command("enable")
def enable(username: str, data_dir: DataDir = None) -> None:
    """Enable a disabled account again."""
    from keyuan.services.accounts.service import set_disabled

    _run(data_dir, lambda deps: _toggled("enabled", set_disabled(username, False, deps,
                                                                 actor="cli")))


@user_cli.command("passwd")
def passwd(username: str, data_dir: DataDir = None) -> None:
    """Set a new password (ends every session of the account)."""
    from keyuan.services.accounts.service import change_password

    password = _password()
    _run(data_dir, lambda deps: "password changed for "
         f"'{change_password(username, password, deps, actor='cli').username}'")
