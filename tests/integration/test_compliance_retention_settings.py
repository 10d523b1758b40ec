"""The configured retention periods (Settings.retention) drive `keyuan purge` and the scheduler
inside `serve` (C18)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import typer
from typer.testing import CliRunner

from keyuan.cli.compliance import purge_command
from keyuan.config.retention import RetentionSettings
from keyuan.services.compliance.inspection import inspect_vault
from keyuan.services.compliance.retention import RetentionScheduler, purge

from .conftest import Kiosk

ANN = (200, 150, 120)


def run_until_first_purge(scheduler: RetentionScheduler) -> None:
    deadline = time.monotonic() + 10
    while scheduler.runs == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    scheduler.stop()


def test_c18_the_scheduler_uses_the_configured_periods_and_interval(
        make_kiosk: Callable[..., Kiosk]) -> None:
    k = make_kiosk(retention=RetentionSettings(template_no_deal_days=30, purge_interval_hours=6))
    k.new_face_visitor(ANN)
    k.clock.advance(days=31)  # past the configured 30 days, well within the default 180

    scheduler = k.app.retention.start()  # built by bootstrap from the settings
    run_until_first_purge(scheduler)

    assert scheduler.interval == timedelta(hours=6)
    with k.deps.uow() as uow:
        assert uow.vault.count() == 0


def test_c18_with_default_settings_the_scheduler_keeps_a_31_day_old_template(
        kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ANN)
    kiosk.clock.advance(days=31)

    scheduler = kiosk.app.retention.start()
    run_until_first_purge(scheduler)

    assert scheduler.interval == timedelta(hours=24)
    with kiosk.deps.uow() as uow:
        assert uow.vault.count() == 1


def test_c18_keyuan_purge_takes_its_defaults_from_the_settings(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor(ANN)
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key}
    app = typer.Typer()
    app.command()(purge_command)
    runner = CliRunner()

    # The CLI runs on the system clock: long after the fake clock's enrollment (> 180 days).
    default = runner.invoke(app, ["--dry-run"], env=env)
    long_kept = runner.invoke(app, ["--dry-run"], env={
        **env, "KEYUAN_RETENTION__TEMPLATE_NO_DEAL_DAYS": "3650"})
    overridden = runner.invoke(app, ["--dry-run", "--no-deal-days", "1"], env={
        **env, "KEYUAN_RETENTION__TEMPLATE_NO_DEAL_DAYS": "3650"})

    assert default.exit_code == 0, default.output
    assert "no deal 180 d" in default.output and "face templates: 1" in default.output
    assert "no deal 3650 d" in long_kept.output and "face templates: 0" in long_kept.output
    assert "no deal 1 d" in overridden.output and "face templates: 1" in overridden.output


def test_c18_services_called_without_a_policy_use_the_configured_one(
        make_kiosk: Callable[..., Kiosk]) -> None:
    """The inspection and filing API routes call the services without a policy: they must
    judge by the configured periods, not the defaults."""
    configured = make_kiosk(retention=RetentionSettings(template_no_deal_days=30))
    default = make_kiosk(data_dir=configured.settings.data_dir.parent / "default")
    for k in (configured, default):
        k.new_face_visitor(ANN)
        k.clock.advance(days=31)

    assert configured.deps.retention.no_deal_template_days == 30
    flagged = inspect_vault(configured.deps).violations
    assert len(flagged) == 1 and inspect_vault(default.deps).violations == []
    assert len(purge(configured.deps, dry_run=True).templates) == 1
    assert purge(default.deps, dry_run=True).templates == {}
