"""`keyuan user add USERNAME --role ROLE [--channel ID]`, `keyuan user list`, `keyuan user
disable|enable USERNAME`, `keyuan user passwd USERNAME`. A password is prompted for (hidden,
twice) or, when stdin is not a terminal, read from its first line, so scripts never put it on a
command line. Each change is audited with the operator (`cli:<os user>`) as the actor."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from keyuan.cli.common import DataDir, handles_refusals, open_app, operator
from keyuan.domain.accounts.model import Role, User
from keyuan.services.accounts.service import (
    AddUserCmd,
    add_user,
    change_password,
    set_disabled,
    users,
)

user_cli = typer.Typer(help="Accounts: staff, distributor and agent logins.", no_args_is_help=True)


@user_cli.callback()
def _user_group() -> None:
    """Keeps `user` a group even with one command."""


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_cli.command("add")
@handles_refusals
def add(
    username: str,
    role: Annotated[Role, typer.Option(help="reception, sales, signing, finance, manager, "
                                       "compliance, admin; distributor or agent need --channel")],
    channel: Annotated[str | None, typer.Option(help="Channel id (distributor/agent).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an account. The password is hashed with argon2id and never printed."""
    cmd = AddUserCmd(username=username, role=role, password=_password(), channel_id=channel)
    with open_app(data_dir) as app:
        user = add_user(cmd, app.deps, actor=operator())
    scope = f" for channel {user.channel_id}" if user.channel_id else ""
    typer.echo(f"added {user.role.value} '{user.username}'{scope}")


@user_cli.command("list")
@handles_refusals
def list_users(data_dir: DataDir = None) -> None:
    """Every account: username, role, channel, disabled or not (never a password hash)."""
    with open_app(data_dir) as app:
        rows = [f"{u.username}\t{u.role.value}\t{u.channel_id or '-'}\t"
                f"{'disabled' if u.disabled else 'active'}" for u in users(app.deps)]
    typer.echo("\n".join(rows) or "no accounts yet")


def _toggled(what: str, user: User) -> str:
    return f"{what} '{user.username}'"


@user_cli.command("disable")
@handles_refusals
def disable(username: str, data_dir: DataDir = None) -> None:
    """Disable an account and end its sessions at once."""
    with open_app(data_dir) as app:
        user = set_disabled(username, True, app.deps, actor=operator())
    typer.echo(_toggled("disabled", user))


@user_cli.command("enable")
@handles_refusals
def enable(username: str, data_dir: DataDir = None) -> None:
    """Enable a disabled account again."""
    with open_app(data_dir) as app:
        user = set_disabled(username, False, app.deps, actor=operator())
    typer.echo(_toggled("enabled", user))


@user_cli.command("passwd")
@handles_refusals
def passwd(username: str, data_dir: DataDir = None) -> None:
    """Set a new password (ends every session of the account)."""
    password = _password()
    with open_app(data_dir) as app:
        user = change_password(username, password, app.deps, actor=operator())
    typer.echo(f"password changed for '{user.username}'")
