"""`keyuan` command line: this module assembles the groups of each area and holds the commands
that run the whole product (init, serve, outbox, demo, bench). Every command has one shape
(`cli/common.py`): parse, call bootstrap and one service, print; refusals on stderr."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from keyuan.adapters import office_lock
from keyuan.bench.attribution import bench_attribution_command
from keyuan.bench.capture import bench_capture_command
from keyuan.bench.engine import run_engine_bench
from keyuan.bench.eval import run_eval_bench
from keyuan.bench.liveness import run_liveness_bench
from keyuan.bench.load import run_load_bench
from keyuan.bootstrap import App, prepare_data_dir
from keyuan.cli import serving
from keyuan.cli.accounts import user_cli
from keyuan.cli.attribution import attribution_cli
from keyuan.cli.backup import register as register_backup
from keyuan.cli.capture import capture_cli
from keyuan.cli.common import DataDir, guarded, handles_refusals, open_app, settings_for
from keyuan.cli.compliance import register as register_compliance
from keyuan.cli.devices import device_cli
from keyuan.cli.evaluation import eval_cli
from keyuan.cli.offices import entity_cli, office_cli
from keyuan.cli.tls import tls_cli
from keyuan.demo.day import run_demo
from keyuan.demo.faces import find_face_set
from keyuan.demo.month import run_demo_month
from keyuan.demo.office import DEFAULT_OFFICE_ID, DEMO_ENTITY_NAME, ensure_demo_office
from keyuan.services import sms
from keyuan.services.accounts.service import has_users
from keyuan.services.checkin import phone
from keyuan.services.checkin.offices import offices as list_offices
from keyuan.services.checkin.setup import load_gallery
from keyuan.services.compliance.pia import assessment_status, record_demo_pia
from keyuan.services.ports import Deps

cli = typer.Typer(help="keyuan (客源): consent-first visitor attribution.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)  # locals may hold personal data
bench_cli = typer.Typer(help="Benchmarks: printed as ratios against a baseline in the same run.")
cli.add_typer(bench_cli, name="bench")
cli.add_typer(eval_cli, name="eval")
register_compliance(cli)  # audit, receipt, pia, filing groups; purge, inspect
register_backup(cli)  # backup, restore, vault rotate-key
cli.add_typer(attribution_cli, name="attribution")
cli.add_typer(capture_cli, name="capture")
cli.add_typer(user_cli, name="user")
cli.add_typer(tls_cli, name="tls")
cli.add_typer(office_cli, name="office")
cli.add_typer(entity_cli, name="legal-entity")
cli.add_typer(device_cli, name="device")
bench_cli.command("attribution")(handles_refusals(bench_attribution_command))
bench_cli.command("capture")(handles_refusals(bench_capture_command))
demo_cli = typer.Typer(help="Scripted demonstrations on real photos; non-zero exit on any "
                       "difference from the script.", invoke_without_command=True)
cli.add_typer(demo_cli, name="demo")

FaceSet = Annotated[
    Path | None, typer.Option(help="Public face set (default: ../shared/data/faces).")
]


def _init(data_dir: Path | None, *, demo: bool) -> None:
    settings = settings_for(data_dir, demo=demo)
    if prepare_data_dir(settings):
        typer.echo(f"created vault key {settings.data_dir / 'vault.key'} (mode 0600)")
    with open_app(data_dir, demo=demo) as app:
        demo = app.deps.demo  # --demo or KEYUAN_DEMO=1
        created = ensure_demo_office(app.deps) if demo else False
        _say_assessment(app.deps)
        known = [view.office.id for view in list_offices(app.deps)]
    typer.echo(f"store ready at {settings.shown_database_url}")
    if demo:
        typer.echo(f"DEMO MODE: demo office '{DEFAULT_OFFICE_ID}' of the fictitious "
                   f"{DEMO_ENTITY_NAME} {'created' if created else 'exists'}")
    elif not known:
        typer.echo("no sales office yet: add your legal entity and office with `keyuan "
                   "legal-entity add` and `keyuan office add` (or on /admin/offices); see "
                   "README, 'Set up your office'")


def _say_assessment(deps: Deps) -> None:
    """C23: face features need the office's impact assessment. Only demo mode records a
    DEMONSTRATION one by itself, and it licenses demo mode only."""
    if deps.engine is None:
        return
    latest = assessment_status(deps).latest
    if deps.demo and latest is None:
        record_demo_pia(deps, legal_entity=DEMO_ENTITY_NAME)
        typer.echo("DEMO MODE: recorded a DEMONSTRATION impact assessment (it licenses demo "
                   "mode only; `keyuan inspect` reports it as a violation)")
    elif latest is None or (latest.demo and not deps.demo):
        typer.echo("no impact assessment of the office on record: face features stay off and "
                   "mobile check-in works; record one with `keyuan pia record` (C23)")


Demo = Annotated[bool, typer.Option(
    "--demo", help="Demo mode: record a DEMONSTRATION impact assessment if none is on record and "
    "show a DEMO banner on every page (also KEYUAN_DEMO=1).")]


@cli.command()
@handles_refusals
def init(data_dir: DataDir = None, demo: Demo = False) -> None:
    """Create the data dir, vault key and store (migrations). Demo mode also creates the demo
    office and its legal entity; otherwise add yours with `keyuan legal-entity|office add`."""
    _init(data_dir, demo=demo)


TlsFile = Annotated[Path | None, typer.Option(
    help="PEM file: serve HTTPS with this certificate (chain) and --tls-key, on any address.")]
InsecureLan = Annotated[bool, typer.Option(
    "--insecure-lan", help="Serve plain HTTP off loopback anyway. Browsers on other machines "
    "then drop the Secure login cookie (staff cannot log in) and refuse the kiosk's camera.")]


@cli.command()
@handles_refusals
def serve(data_dir: DataDir = None, host: str | None = None, port: int | None = None,
          demo: Demo = False, tls_cert: TlsFile = None, tls_key: TlsFile = None,
          insecure_lan: InsecureLan = False) -> None:
    """Initialise if needed, load the gallery from the vault, and serve: HTTP on loopback,
    HTTPS off it (`keyuan tls init`), with plain HTTP redirecting to HTTPS."""
    # The web stack (uvicorn, FastAPI and every route: ~0.4 s) loads only when serving, so the
    # other commands and `keyuan --help` start without it.
    from keyuan.web.app import create_app  # see above: the web stack loads only when serving

    settings = settings_for(data_dir, demo=demo)
    out = serving.plan(settings, host, port, tls_cert, tls_key, insecure_lan=insecure_lan,
                       now=datetime.now(UTC))
    main_socket = serving.bind(out.host, out.port)  # a busy port: one line, before any URL
    redirect = serving.bind(out.host, out.redirect_port) if out.redirect_port else None
    with office_lock.in_use(settings.data_dir):  # restore and rotate-key refuse meanwhile
        _serve(data_dir, demo, out, main_socket, redirect, create_app)


def _serve(data_dir: Path | None, demo: bool, out: serving.Plan, main_socket: socket.socket,
           redirect: socket.socket | None, create_app: Callable[[App], Any]) -> None:
    _init(data_dir, demo=demo)
    with open_app(data_dir, demo=demo) as app:
        engine = app.deps.engine
        if engine is not None:
            engine.warm_up()  # weights verified against their pins and loaded before serving
        size = load_gallery(app.deps)
        typer.echo(f"gallery: {size} consented templates; face module: "
                   f"{engine.model.tag if engine is not None else 'off'}")
        if app.settings.sms_outbox_unacknowledged:
            typer.echo("warning: SMS codes go to the outbox (reception reads them out; the "
                       "kiosk says 演示/离线短信), so a code proves nothing about who holds the "
                       "number: set KEYUAN_SMS__PROVIDER=aliyun|tencent (README \"SMS provider\"),"
                       " or KEYUAN_SMS__OFFLINE=true to run offline on purpose", err=True)
        if not has_users(app.deps):
            typer.echo("no staff accounts yet: create the first admin with "
                       "`keyuan user add admin --role admin`")
        views = list_offices(app.deps)
        for view in views:
            if not view.complete:
                typer.echo(f"office '{view.office.id}': controller details incomplete (missing "
                           f"{', '.join(view.missing)}): its kiosk does not start until you "
                           "complete them (`keyuan legal-entity edit`)")
        web = create_app(app)
        web.state.ca_downloads = serving.print_addresses(out, [view.office.id for view in views])
        app.follower.start()  # C6: a withdrawal anywhere reaches this gallery within a second
        app.retention.start()  # C18: purges run daily while serving; closing the app stops them
        serving.run(web, out, main_socket, redirect, app.settings)


@cli.command()
@handles_refusals
def outbox(data_dir: DataDir = None, limit: int = 20) -> None:
    """Show the latest messages the outbox SMS sender left for reception staff; with a real
    provider, what became of the latest codes instead (masked numbers, never a code)."""
    with open_app(data_dir) as app:
        provider = app.settings.sms.provider
        messages = phone.outbox_messages(app.deps, limit) if provider == "outbox" else []
        deliveries = sms.recent_deliveries(app.deps, limit)
    if provider != "outbox":
        typer.echo(f"SMS provider {provider}: codes go to the phone, not here. Latest sends:")
        for d in reversed(deliveries):
            typer.echo(f"{d.at:%Y-%m-%d %H:%M:%S}  {d.masked_mobile}  {d.purpose}  {d.outcome}"
                       f"{'  ' + d.provider_code if d.provider_code else ''}  "
                       f"request {d.request_id or '-'}  attempts {d.attempts}")
    for row in reversed(messages):
        typer.echo(f"{row['created_at']:%Y-%m-%d %H:%M:%S}  {row['recipient']}  {row['body']}")


@demo_cli.callback()
@handles_refusals
def demo(ctx: typer.Context, faces: FaceSet = None) -> None:
    """A scripted day at one sales office on real photos; exits non-zero if anything differs."""
    if ctx.invoked_subcommand is not None:
        return
    sys.exit(run_demo(faces))


@demo_cli.command("month")
@handles_refusals
def demo_month(faces: FaceSet = None) -> None:
    """A month of attribution: 3 distributors, 2 referrers, 44 people, every fraud pattern,
    two households (主购人 + 共同购房人), ending in statements whose totals are checked."""
    sys.exit(run_demo_month(faces))


@bench_cli.command("engine")
@handles_refusals
def bench_engine(faces: FaceSet = None) -> None:
    """Detection, embedding, enrollment and 1:N search latency vs raw dlib."""
    run_engine_bench(settings_for(None).face, faces or find_face_set())


@bench_cli.command("eval")
@handles_refusals
def bench_eval(faces: FaceSet = None) -> None:
    """Photos per second of `keyuan eval` against raw dlib in the same run."""
    run_eval_bench(settings_for(None).face, faces or find_face_set())


@bench_cli.command("liveness")
@handles_refusals
def bench_liveness(faces: FaceSet = None) -> None:
    """What the liveness check costs beside the face work on the same frames, as a ratio."""
    settings = settings_for(None)
    run_liveness_bench(settings.face, settings.liveness, faces or find_face_set())


@bench_cli.command("load")
@handles_refusals
def bench_load(
    clients: Annotated[int, typer.Option(min=1, max=256, help="Concurrent clients.")] = 16,
    seconds: Annotated[float, typer.Option(min=1, max=3600, help="Load time per store.")] = 20,
    store: Annotated[list[str] | None, typer.Option(
        help="sqlite and/or postgresql (default both; PostgreSQL skips when absent).")] = None,
) -> None:
    """Mobile check-ins and registrations by N clients against a live server: requests/s,
    p50/p99 and errors per store, side by side."""
    stores = store or ["sqlite", "postgresql"]
    unknown = sorted(set(stores) - {"sqlite", "postgresql"})
    if unknown:
        raise typer.BadParameter(f"unknown store {unknown[0]!r}: use sqlite or postgresql")
    run_load_bench(clients=clients, seconds=seconds, stores=stores, out=typer.echo)


def main() -> None:
    """The `keyuan` console script: no traceback reaches a user (`common.guarded`)."""
    guarded(cli)


if __name__ == "__main__":
    main()
