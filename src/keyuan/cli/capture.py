"""`keyuan capture …`: register cameras (token shown once), confirm signage, pull a stream or
file. Registered by the lead with `cli.add_typer(capture_cli, name="capture")`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

capture_cli = typer.Typer(help="Cameras: push tokens, signage, RTSP/video pull (memory only).",
                          no_args_is_help=True)
camera_cli = typer.Typer(help="Register and switch cameras.", no_args_is_help=True)
signage_cli = typer.Typer(help="Record that the notice poster is printed and up.",
                          no_args_is_help=True)
capture_cli.add_typer(camera_cli, name="camera")
capture_cli.add_typer(signage_cli, name="signage")

DataDir = Annotated[
    Path | None, typer.Option(help="Data directory (default: KEYUAN_DATA_DIR or ./var).")
]


def _runtime(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from keyuan.adapters.capture.runtime import CaptureRuntime
    from keyuan.bootstrap import build
    from keyuan.config.settings import Settings

    settings = Settings(data_dir=data_dir) if data_dir else Settings()
    app = build(settings)
    return app, CaptureRuntime.build(app.deps, settings.capture, settings.secret_key)


@camera_cli.command("add")
def camera_add(office: Annotated[str, typer.Option(help="Office id")],
               name: Annotated[str, typer.Option(help="Where the camera hangs")],
               by: Annotated[str, typer.Option(help="Who registers it")] = "admin",
               data_dir: DataDir = None) -> None:
    """Register a camera; its push token is printed ONCE (only a keyed hash is stored)."""
    from keyuan.services.capture import service

    app, rt = _runtime(data_dir)
    try:
        camera, token = service.register_camera(rt, office, name, actor=by)
    finally:
        app.close()
    typer.echo(f"camera {camera.id} ({camera.name}) at office {camera.office_id}")
    typer.echo(f"token (shown once, store it in the camera): {token}")


@camera_cli.command("list")
def camera_list(data_dir: DataDir = None) -> None:
    app, _ = _runtime(data_dir)
    try:
        with app.deps.uow() as uow:
            for cam in uow.capture.cameras():
                state = "on" if cam.enabled else "off"
                typer.echo(f"{cam.id}  {cam.office_id}  {state:3}  {cam.name}")
    finally:
        app.close()


@camera_cli.command("switch")
def camera_switch(camera: str, on: Annotated[bool, typer.Option("--on/--off")],
                  by: str = "admin", data_dir: DataDir = None) -> None:
    """Switch a camera on or off."""
    from keyuan.services.capture import service

    app, rt = _runtime(data_dir)
    try:
        service.set_camera_enabled(rt, camera, on, actor=by)
    finally:
        app.close()
    typer.echo(f"camera {camera} {'on' if on else 'off'}")


@signage_cli.command("confirm")
def signage_confirm(office: Annotated[str, typer.Option(help="Office id")],
                    by: Annotated[str, typer.Option(help="Who checked the poster")],
                    data_dir: DataDir = None) -> None:
    """Confirm the poster from /api/offices/{id}/poster is printed and put up at the entrance."""
    from keyuan.services.capture import service

    app, rt = _runtime(data_dir)
    try:
        signage = service.confirm_signage(rt, office, actor=by)
    finally:
        app.close()
    typer.echo(f"signage confirmed for {office} at {signage.confirmed_at:%Y-%m-%d %H:%M} UTC")


@capture_cli.command("pull")
def pull(source: Annotated[str, typer.Argument(help="rtsp://… URL or a video file")],
         camera: Annotated[str, typer.Option(help="Camera id the frames belong to")],
         fps: Annotated[float, typer.Option(min=0.1, max=30.0, help="Frames per second")] = 2.0,
         data_dir: DataDir = None) -> None:
    """Feed a stream or file through the pipeline; visits are stored as they become due. This
    pull's metrics are its own: to see a pull in serve's /metrics, start it there
    (POST /api/cameras/{id}/pull)."""
    from keyuan.adapters.capture.pull import run_pull
    from keyuan.domain.errors import KeyuanError
    from keyuan.services.checkin.setup import load_gallery

    app, rt = _runtime(data_dir)
    try:
        load_gallery(app.deps)
        summary = run_pull(rt, camera, source, fps=fps)
    except KeyuanError as exc:
        typer.echo(f"error: {exc.code}: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        rt.close()  # worker processes and the shared gallery
        app.close()
    typer.echo(f"frames {summary.frames} (dropped {summary.dropped}), faces {summary.faces}, "
               f"matched {summary.matched}, visits recorded {len(summary.visits)}")
    if summary.error:
        typer.echo(f"error: {summary.error}", err=True)
        raise typer.Exit(1)
