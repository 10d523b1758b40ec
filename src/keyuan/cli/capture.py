"""`keyuan capture …`: register cameras covering consented lanes (token shown once), confirm
signage and lanes, pull a live stream (never a file, C13). Registered with
`cli.add_typer(capture_cli, name="capture")`. Every change is audited with the operator
(`cli:<os user>`) as the actor; no option names another."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from keyuan.adapters import office_lock
from keyuan.adapters.capture.pull import live_source, run_pull
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.bootstrap import App
from keyuan.cli.common import (
    DataDir,
    handles_refusals,
    open_app,
    operator,
    refuse,
    settings_for,
)
from keyuan.domain.capture.errors import CapturePullStopped
from keyuan.services.capture import service
from keyuan.services.checkin.setup import load_gallery

capture_cli = typer.Typer(help="Cameras on consented lanes: push tokens, signage, lanes, live "
                               "stream pulls (memory only).",
                          no_args_is_help=True)
camera_cli = typer.Typer(help="Register and switch cameras.", no_args_is_help=True)
signage_cli = typer.Typer(help="Record that the notice poster is printed and up.",
                          no_args_is_help=True)
capture_cli.add_typer(camera_cli, name="camera")
capture_cli.add_typer(signage_cli, name="signage")

OfficeId = Annotated[str, typer.Option(help="Office id")]
Lane = Annotated[str, typer.Option(help="Where the marked lane the camera covers is (the notice "
                                        "and poster say it)")]
Alternative = Annotated[str, typer.Option(help="The other way in, which no camera watches")]
Profile = Annotated[str, typer.Option(help="How its pushes are parsed: standard (JPEG or "
                                           "multipart event), generic-json, hikvision-isapi, "
                                           "dahua (README, Cameras)")]


@contextmanager
def _runtime(data_dir: Path | None) -> Iterator[tuple[App, CaptureRuntime]]:
    """The app and its capture runtime; both closed at the end (worker processes, the shared
    gallery and any pull stop with the runtime)."""
    with open_app(data_dir) as app:
        rt = CaptureRuntime.build(app.deps, app.settings.capture, app.settings.secret_key)
        try:
            yield app, rt
        finally:
            rt.close()


@camera_cli.command("add")
@handles_refusals
def camera_add(office: OfficeId,
               name: Annotated[str, typer.Option(help="Where the camera hangs")],
               lane: Lane, alternative: Alternative,
               profile: Profile = "standard",
               data_dir: DataDir = None) -> None:
    """Register a camera covering one marked lane; its push token is printed ONCE (only a keyed
    hash is stored). It is registered switched off: it runs once the office confirms the lane
    (`camera confirm-lane`), the notice names it (`keyuan notice republish`), the impact
    assessment covers it and someone switches it on (`camera switch --on`)."""
    with _runtime(data_dir) as (_, rt):
        camera, token = service.register_camera(rt, office, name, lane=lane,
                                                alternative=alternative, actor=operator(),
                                                profile=profile)
    typer.echo(f"camera {camera.id} ({camera.name}) at office {camera.office_id}, "
               f"profile {camera.profile.value}")
    typer.echo(f"lane: {camera.lane}; unwatched way in: {camera.alternative} (not confirmed yet)")
    typer.echo(f"switched off: once the lane is confirmed, keyuan capture camera switch "
               f"{camera.id} --on")
    typer.echo(f"token (shown once, store it in the camera): {token}")


@camera_cli.command("lane")
@handles_refusals
def camera_lane(camera: str, lane: Lane, alternative: Alternative,
                data_dir: DataDir = None) -> None:
    """Change where the camera's marked lane is or the unwatched way in: the office confirms
    again, the notice is published again and the impact assessment recorded again before it
    runs."""
    with _runtime(data_dir) as (_, rt):
        changed = service.set_camera_lane(rt, camera, lane, alternative, actor=operator())
    state = "confirmed" if changed.lane_confirmed else "not confirmed"
    typer.echo(f"camera {changed.id} lane: {changed.lane}; unwatched way in: "
               f"{changed.alternative} ({state})")


@camera_cli.command("profile")
@handles_refusals
def camera_profile(
    camera: str, profile: Profile,
    picture_host: Annotated[str | None, typer.Option(
        help="The camera's own LAN address (host or host:port), the only host its picture URLs "
             "may name; \"\" removes it")] = None,
    username: Annotated[str | None, typer.Option(
        help="The camera's user for fetching pictures by URL (HTTP digest); the password is "
             "read from standard input, never from the command line")] = None,
    clear_login: Annotated[bool, typer.Option(help="Forget the stored login")] = False,
    data_dir: DataDir = None,
) -> None:
    """Set how the camera's pushes are parsed and, for pictures by URL, where and how keyuan
    fetches them. The login is stored sealed and never shown again."""
    login = None
    if username is not None:
        password = sys.stdin.readline().rstrip("\r\n")
        login = (username, password)
    with _runtime(data_dir) as (_, rt):
        changed = service.set_camera_profile(rt, camera, profile, actor=operator(),
                                             host=picture_host, login=login,
                                             clear_login=clear_login)
    typer.echo(f"camera {changed.id} profile {changed.profile.value}; picture host: "
               f"{changed.picture_host or '-'}; login: "
               f"{'stored' if changed.has_credentials else 'none'}")


@camera_cli.command("confirm-lane")
@handles_refusals
def camera_confirm_lane(camera: str, data_dir: DataDir = None) -> None:
    """Confirm, on the spot, that the camera covers only its marked lane and that the other way
    in is open and unwatched. Recorded as confirmed by cli:<os user>."""
    with _runtime(data_dir) as (_, rt):
        confirmed = service.confirm_lane(rt, camera, actor=operator())
    typer.echo(f"camera {confirmed.id} lane confirmed by {confirmed.lane_confirmed_by}: "
               f"{confirmed.lane}; unwatched way in: {confirmed.alternative}")


@camera_cli.command("list")
@handles_refusals
def camera_list(data_dir: DataDir = None) -> None:
    with open_app(data_dir) as app:
        cameras = service.all_cameras(app.deps)
    for cam in cameras:
        state = "on" if cam.enabled else "off"
        lane = ("lane confirmed" if cam.lane_confirmed else
                "lane NOT confirmed" if cam.has_lane else "NO lane")
        typer.echo(f"{cam.id}  {cam.office_id}  {state:3}  {cam.name}  [{lane}] "
                   f"lane: {cam.lane or '-'}; unwatched way in: {cam.alternative or '-'}; "
                   f"profile: {cam.profile.value}"
                   + (f" (pictures from {cam.picture_host})" if cam.picture_host else ""))


@camera_cli.command("switch")
@handles_refusals
def camera_switch(camera: str, on: Annotated[bool, typer.Option("--on/--off")],
                  data_dir: DataDir = None) -> None:
    """Switch a camera on or off."""
    with _runtime(data_dir) as (_, rt):
        service.set_camera_enabled(rt, camera, on, actor=operator())
    typer.echo(f"camera {camera} {'on' if on else 'off'}")


@signage_cli.command("confirm")
@handles_refusals
def signage_confirm(office: OfficeId, data_dir: DataDir = None) -> None:
    """Confirm the poster from /api/offices/{id}/poster is printed and put up at the entrance.
    Recorded as confirmed by cli:<os user>, as the API records the signed-in account."""
    with _runtime(data_dir) as (_, rt):
        signage = service.confirm_signage(rt, office, actor=operator())
    typer.echo(f"signage confirmed for {office} at {signage.confirmed_at:%Y-%m-%d %H:%M} UTC "
               f"by {signage.confirmed_by}")


def _say_gallery(app: App) -> None:
    """One line on stderr each time the pull's gallery followed the store (no pseudonym)."""
    typer.echo(f"gallery: store version {app.deps.following.version}, "
               f"{len(app.deps.gallery)} templates", err=True)


@capture_cli.command("pull")
@handles_refusals
def pull(source: Annotated[str, typer.Argument(
             help="A live stream: rtsp://… or rtsps://…, an http(s) MJPEG stream, or a device "
                  "index such as 0. Files are refused (C13).")],
         camera: Annotated[str, typer.Option(help="Camera id the frames belong to")],
         fps: Annotated[float, typer.Option(min=0.1, max=30.0, help="Frames per second")] = 2.0,
         data_dir: DataDir = None) -> None:
    """Feed a live stream through the pipeline, each frame timed when it is received; visits are
    stored as they become due. A file or recorded footage is refused (exit 1,
    capture_source_not_live): video files are for `keyuan bench` and `keyuan eval` only. This
    pull's metrics are its own: to see a pull in serve's /metrics, start it there
    (POST /api/cameras/{id}/pull)."""
    live_source(source)  # C13: refused before anything is opened
    with office_lock.in_use(settings_for(data_dir).data_dir), _runtime(data_dir) as (app, rt):
        load_gallery(app.deps)
        # C6: withdrawals and purges elsewhere reach this pull's gallery and its workers' copy
        app.follower.listen(rt.refresh_gallery)
        app.follower.listen(lambda: _say_gallery(app))
        app.follower.start()
        summary = run_pull(rt, camera, source, fps=fps)
    typer.echo(f"frames {summary.frames} (dropped {summary.dropped}), faces {summary.faces}, "
               f"matched {summary.matched}, visits recorded {len(summary.visits)}")
    if summary.error:  # the pull ran and then stopped: the source failed or the gate closed
        refuse(CapturePullStopped(summary.error))
