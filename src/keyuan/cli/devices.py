"""`keyuan device pair|list|unpair`: the reception tablets paired with an office. Only a paired
tablet may use the kiosk.

    keyuan device pair --office sales-1 --name "前台平板 1"
    keyuan device list
    keyuan device unpair dev_0123456789abcdef

`pair` prints a one-time pairing URL, its eight-character code and the URL as a QR code in the
terminal; the tablet that opens it (or types the code at /kiosk/pair) within 10 minutes becomes
a device of that office. Every pairing and unpairing is audited with the operator as actor."""

from __future__ import annotations

import io
from typing import Annotated

import qrcode
import typer

from keyuan.adapters.crypto import tls
from keyuan.cli.common import DataDir, handles_refusals, open_app, operator
from keyuan.cli.serving import is_loopback
from keyuan.config.settings import Settings
from keyuan.config.tls import tls_dir
from keyuan.domain.checkin.devices import KioskDevice
from keyuan.services.checkin import devices as svc
from keyuan.services.checkin.offices import the_office

device_cli = typer.Typer(help="Kiosk tablets: pair one with an office, list, unpair.",
                         no_args_is_help=True)


def base_url(settings: Settings) -> str:
    """Where tablets reach `keyuan serve`: HTTPS on the first LAN address once the office CA
    exists (`keyuan tls init`), else this machine's loopback (demo, `make run`)."""
    if tls.has_office_ca(tls_dir(settings.data_dir)):
        found = [a for a in tls.lan_addresses() if a.version == 4]
        if found:
            port = settings.tls.port
            return f"https://{found[0]}" + ("" if port == 443 else f":{port}")
    host = "127.0.0.1" if is_loopback(settings.host) or settings.host in ("0.0.0.0", "::") \
        else settings.host
    return f"http://{host}:{settings.port}"


def terminal_qr(data: str) -> str:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


def _line(device: KioskDevice) -> str:
    state = "paired" if device.paired else f"UNPAIRED {device.unpaired_at:%Y-%m-%d %H:%M}Z"
    demo = "\tdemo" if device.demo else ""
    return (f"{device.id}\t{device.office_id}\t{device.name}\t"
            f"paired {device.paired_at:%Y-%m-%d %H:%M}Z\t{state}{demo}")


@device_cli.command("pair")
@handles_refusals
def pair(
    name: Annotated[str, typer.Option(help="What the tablet is called, e.g. 前台平板 1.")],
    office: Annotated[str | None, typer.Option(
        help="The office id (may be left out when there is only one).")] = None,
    url: Annotated[str | None, typer.Option(
        help="The server's address as the tablet reaches it, e.g. https://192.168.1.20:8443 "
        "(default: the first LAN address once `keyuan tls init` ran, else loopback).")] = None,
    qr: Annotated[bool, typer.Option(help="Print the URL as a QR code too.")] = True,
    data_dir: DataDir = None,
) -> None:
    """A one-time pairing code (10 minutes, single use) for a tablet of this office."""
    with open_app(data_dir) as app:
        office_id = the_office(office, app.deps)
        offer = svc.offer_pairing(office_id, name, app.deps, actor=operator())
        link = svc.pair_url(url or base_url(app.settings), offer.code)
    typer.echo(f"pairing '{offer.device_name}' with office '{offer.office_id}'")
    typer.echo(f"  open on the tablet: {link}")
    typer.echo(f"  or type the code at /kiosk/pair: {offer.code}")
    typer.echo(f"  valid until {offer.expires_at:%Y-%m-%d %H:%M:%S}Z, once")
    if qr:
        typer.echo(terminal_qr(link))


@device_cli.command("list")
@handles_refusals
def list_devices(data_dir: DataDir = None) -> None:
    """Every device: id, office, name, when paired, and whether it is still paired."""
    with open_app(data_dir) as app:
        rows = [_line(device) for device in svc.devices(app.deps)]
    typer.echo("\n".join(rows) or "no device yet: pair one with `keyuan device pair`")


@device_cli.command("unpair")
@handles_refusals
def unpair(
    device_id: Annotated[str, typer.Argument(help="The device id (`keyuan device list`).")],
    data_dir: DataDir = None,
) -> None:
    """The tablet is refused from its next request on."""
    with open_app(data_dir) as app:
        device = svc.unpair(device_id, app.deps, actor=operator())
    typer.echo(f"unpaired {device.id} ('{device.name}', office '{device.office_id}')")
