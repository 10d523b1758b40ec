"""`keyuan user add USERNAME --role ROLE [--channel ID]`: the lead registers `user_cli` with
`cli.add_typer(user_cli, name="user")`. The password is prompted for (hidden, twice) or, when
stdin is not a terminal, read from its first line, so scripts never put it on a command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from keyuan.accounts.model import Role
from keyuan.settings import Settings

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
    from keyuan.accounts.service import AddUserCmd, add_user
    from keyuan.bootstrap import build
    from keyuan.errors import KeyuanError

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
