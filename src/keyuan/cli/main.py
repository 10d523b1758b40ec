"""`keyuan` command line. Each command parses, calls bootstrap and one service, prints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from keyuan.bench.attribution import bench_attribution_command
from keyuan.bench.capture import bench_capture_command
from keyuan.cli.accounts import user_cli
from keyuan.cli.attribution import attribution_cli
from keyuan.cli.capture import capture_cli
from keyuan.cli.compliance import register as register_compliance
from keyuan.cli.evaluation import eval_cli
from keyuan.config.settings import Settings
from keyuan.domain.checkin.person import Office

cli = typer.Typer(help="keyuan (客源): consent-first visitor attribution.", no_args_is_help=True)
bench_cli = typer.Typer(help="Benchmarks: printed as ratios against a baseline in the same run.")
cli.add_typer(bench_cli, name="bench")
cli.add_typer(eval_cli, name="eval")
register_compliance(cli)  # audit, receipt, pia, filing groups; purge, inspect
cli.add_typer(attribution_cli, name="attribution")
cli.add_typer(capture_cli, name="capture")
cli.add_typer(user_cli, name="user")
bench_cli.command("attribution")(bench_attribution_command)
bench_cli.command("capture")(bench_capture_command)
demo_cli = typer.Typer(help="Scripted demonstrations on real photos; non-zero exit on any "
                       "difference from the script.", invoke_without_command=True)
cli.add_typer(demo_cli, name="demo")

DataDir = Annotated[
    Path | None, typer.Option(help="Data directory (default: KEYUAN_DATA_DIR or ./var).")
]
FaceSet = Annotated[
    Path | None, typer.Option(help="Public face set (default: ../shared/data/faces).")
]
DEFAULT_OFFICE_ID = "demo-office"


def default_office() -> Office:
    """Built on demand: domain objects must be created after the mappers start."""
    return Office(id=DEFAULT_OFFICE_ID, name="示范售楼处", legal_entity="示范置业有限公司")


def _settings(data_dir: Path | None) -> Settings:
    return Settings(data_dir=data_dir) if data_dir else Settings()


def _init(settings: Settings) -> None:
    from keyuan.bootstrap import build, prepare_data_dir
    from keyuan.services.checkin.setup import ensure_office
    from keyuan.services.compliance.pia import assessment_status, record_demo_pia

    if prepare_data_dir(settings):
        typer.echo(f"created vault key {settings.data_dir / 'vault.key'} (mode 0600)")
    app = build(settings)
    try:
        created = ensure_office(default_office(), app.deps, dpo="合规负责人 dpo@example.cn")
        if assessment_status(app.deps).latest is None:  # C23: faces need a PIA; this is a demo
            record_demo_pia(app.deps, legal_entity=default_office().legal_entity)
            typer.echo("recorded a DEMO impact assessment; record your own: keyuan pia record")
        state = "created" if created else "exists"
        typer.echo(f"store ready at {settings.resolved_database_url}; "
                   f"office '{DEFAULT_OFFICE_ID}' {state}")
    finally:
        app.close()


@cli.command()
def init(data_dir: DataDir = None) -> None:
    """Create the data dir, vault key and store (migrations), and the default office + notices."""
    _init(_settings(data_dir))


@cli.command()
def serve(data_dir: DataDir = None, host: str | None = None, port: int | None = None) -> None:
    """Initialise if needed, load the gallery from the vault, and serve HTTP."""
    import uvicorn

    from keyuan.bootstrap import build
    from keyuan.services.accounts.service import has_users
    from keyuan.services.checkin.setup import load_gallery
    from keyuan.web.app import create_app

    settings = _settings(data_dir)
    _init(settings)
    app = build(settings)
    size = load_gallery(app.deps)
    host, port = host or settings.host, port or settings.port
    base = f"http://{host}:{port}"
    typer.echo(f"gallery: {size} consented templates; face module: {settings.face_module}")
    if not has_users(app.deps):
        typer.echo("no staff accounts yet: create the first admin with "
                   "`keyuan user add admin --role admin`")
    typer.echo(f"keyuan serving on {base}\n  pages:     {base}/ (kiosk {base}/kiosk, "
               f"staff and channels {base}/login)\n  API docs:  {base}/docs\n"
               f"  health:    {base}/healthz\n"
               f"  notice:    {base}/api/offices/{DEFAULT_OFFICE_ID}/notice")
    app.retention.start()  # C18: purges run daily while serving; close() stops them
    try:
        uvicorn.run(create_app(app), host=host, port=port, log_level="info")
    finally:
        app.close()


@cli.command()
def outbox(data_dir: DataDir = None, limit: int = 20) -> None:
    """Show the latest messages the outbox SMS sender left for reception staff."""
    from keyuan.bootstrap import build

    app = build(_settings(data_dir))
    with app.deps.uow() as uow:
        for row in reversed(uow.outbox.recent(limit)):
            typer.echo(f"{row['created_at']:%Y-%m-%d %H:%M:%S}  {row['recipient']}  {row['body']}")
    app.close()


@demo_cli.callback()
def demo(
    ctx: typer.Context, faces: FaceSet = None,
) -> None:
    """A scripted day at one sales office on real photos; exits non-zero if anything differs."""
    if ctx.invoked_subcommand is not None:
        return
    from keyuan.demo.day import run_demo

    sys.exit(run_demo(faces))


@demo_cli.command("month")
def demo_month(faces: FaceSet = None) -> None:
    """A month of attribution: 3 distributors, 2 referrers, ~40 visitors, every fraud pattern,
    ending in settlement statements whose totals are checked."""
    from keyuan.demo.month import run_demo_month

    sys.exit(run_demo_month(faces))


@bench_cli.command("engine")
def bench_engine(
    faces: FaceSet = None,
) -> None:
    """Detection, embedding, enrollment and 1:N search latency vs raw dlib."""
    from keyuan.bench.engine import run_engine_bench
    from keyuan.demo.faces import find_face_set

    run_engine_bench(Settings().face, faces or find_face_set())


@bench_cli.command("eval")
def bench_eval(faces: FaceSet = None) -> None:
    """Photos per second of `keyuan eval` against raw dlib in the same run."""
    from keyuan.bench.eval import run_eval_bench
    from keyuan.demo.faces import find_face_set

    run_eval_bench(Settings().face, faces or find_face_set())


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
