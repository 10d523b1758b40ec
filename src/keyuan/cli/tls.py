"""`keyuan tls`: the office CA and the server certificate under data_dir/tls/ that `keyuan
serve` uses off loopback (see `adapters.crypto.tls`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from keyuan.adapters.crypto import tls
from keyuan.cli.common import DataDir, handles_refusals, settings_for
from keyuan.config.tls import CA_CERT, SERVER_CERT, tls_dir

tls_cli = typer.Typer(help="HTTPS on the office network: the office CA and this machine's "
                      "certificate (data_dir/tls/).", no_args_is_help=True)

Now = Annotated[datetime | None, typer.Option(
    help="Act as if it were this UTC time (testing renewals).", hidden=True)]


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now.replace(tzinfo=now.tzinfo or UTC)


def _show(info: tls.CertInfo, now: datetime) -> None:
    days = (info.not_after - now).days
    kind = "office CA" if info.is_ca else "server certificate"
    typer.echo(f"{kind}: {info.path}\n  subject:  {info.subject}\n"
               f"  valid:    {info.not_before:%Y-%m-%d} .. {info.not_after:%Y-%m-%d} "
               f"({days} days left)\n  SHA-256:  {info.sha256}\n"
               f"  SPKI:     {info.spki_sha256}")
    if not info.is_ca:
        names = [*info.names.dns, *map(str, info.names.ips)]
        typer.echo(f"  names:    {', '.join(names)}")


@tls_cli.command("init")
@handles_refusals
def init(
    data_dir: DataDir = None,
    name: Annotated[list[str] | None, typer.Option(
        help="Another host name for the certificate (repeatable).")] = None,
    ip: Annotated[list[str] | None, typer.Option(
        help="Another IP address for the certificate (repeatable).")] = None,
    if_missing: Annotated[bool, typer.Option(
        "--if-missing", help="Do nothing when the CA and a server certificate exist "
        "(`make run HOST=...`).")] = False,
    now: Now = None,
) -> None:
    """Create the office CA (once; key 0600) and issue this machine's server certificate for
    its host names and every LAN address (re-issued each time: run it again to add a name)."""
    settings = settings_for(data_dir)
    at = _now(now)
    names = tls.machine_names() | tls.parse_names(name or [], ip or [])
    directory = tls_dir(settings.data_dir)
    if if_missing and tls.has_office_ca(directory) and (directory / SERVER_CERT).is_file():
        typer.echo(f"office CA and server certificate exist in {directory}: kept")
        return
    created, server = tls.init(directory, names, at)
    ca = tls.read_info(directory / CA_CERT)
    typer.echo(f"{'created' if created else 'kept'} the office CA {ca.path} (key ca.key, mode "
               "0600: it never leaves this machine)")
    _show(ca, at)
    _show(server, at)
    typer.echo("next: `keyuan serve --host 0.0.0.0`, then install the office CA on each tablet "
               "and PC from the admin page /admin/tls (README: Running on the office network)")


@tls_cli.command("status")
@handles_refusals
def status(data_dir: DataDir = None, now: Now = None) -> None:
    """The office CA and the server certificate: validity, names, fingerprints; whether the
    server certificate is due for renewal."""
    settings = settings_for(data_dir)
    at = _now(now)
    directory = tls_dir(settings.data_dir)
    if not tls.has_office_ca(directory):
        raise tls.TlsError(f"no office CA in {directory}: run `keyuan tls init`")
    _show(tls.read_info(directory / CA_CERT), at)
    _show(tls.read_info(directory / SERVER_CERT), at)
    due = tls.renewal_due(directory, at, settings.tls.renew_days)
    typer.echo(f"renewal: due ({due}); `keyuan serve` renews it" if due else
               f"renewal: not due (renewed within {settings.tls.renew_days} days of expiry)")


@tls_cli.command("renew")
@handles_refusals
def renew(data_dir: DataDir = None, now: Now = None, force: bool = False) -> None:
    """Re-issue the server certificate from the office CA if it is due (what `serve` does at
    start and every 12 hours); `--force` re-issues it anyway."""
    settings = settings_for(data_dir)
    at = _now(now)
    directory = tls_dir(settings.data_dir)
    days = 100_000 if force else settings.tls.renew_days
    renewed = tls.renew_if_due(directory, at, days, tls.machine_names())
    if renewed is None:
        typer.echo("not due: the server certificate was kept")
        return
    typer.echo(f"renewed the server certificate ({renewed[0]})")
    _show(renewed[1], at)
