"""`keyuan backup FILE`, `keyuan restore FILE [--force]` and `keyuan vault rotate-key`
(`adapters/backup/`, `adapters/vault/rotation.py`). The passphrase comes from
`--passphrase-file`, `KEYUAN_BACKUP_PASSPHRASE` or a prompt, never from the command line."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from keyuan.adapters import office_lock
from keyuan.adapters.backup import stores
from keyuan.adapters.backup.office import (
    Manifest,
    open_every_template,
    restore_backup,
    write_backup,
)
from keyuan.adapters.vault.keys import load_key
from keyuan.adapters.vault.rotation import rotate_key_file
from keyuan.cli.common import DataDir, handles_refusals, open_app, operator, settings_for
from keyuan.cli.compliance import PIA_WORDS
from keyuan.config.settings import Settings
from keyuan.domain.compliance.audit import Anchor
from keyuan.domain.errors import (
    BackupPassphraseMissing,
    BackupPassphraseWeak,
    RestoreUnverified,
    VaultKeyFromEnvironment,
)
from keyuan.services.compliance.backups import record_backup, record_restore
from keyuan.services.compliance.inspection import inspect_vault
from keyuan.services.compliance.retention import policy_from

PASSPHRASE_ENV = "KEYUAN_BACKUP_PASSPHRASE"
MIN_PASSPHRASE = 12

vault_cli = typer.Typer(help="The biometric vault's key.", no_args_is_help=True)

PassphraseFile = Annotated[Path | None, typer.Option(
    help=f"Read the passphrase from the first line of this file (else {PASSPHRASE_ENV}, else a "
    "prompt). Never give it on the command line.")]


def read_passphrase(file: Path | None, *, confirm: bool) -> str:
    if file is not None:
        try:
            lines = file.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(f"cannot read {file}: {exc}",
                                     param_hint="--passphrase-file") from exc
        secret = lines[0] if lines else ""
    elif os.environ.get(PASSPHRASE_ENV):
        secret = os.environ[PASSPHRASE_ENV]
    elif sys.stdin.isatty():
        secret = typer.prompt("Backup passphrase", hide_input=True,
                              confirmation_prompt=confirm)
    else:
        raise BackupPassphraseMissing()
    if not secret:
        raise BackupPassphraseMissing()
    return secret


def register(cli: typer.Typer) -> None:
    """The one line `cli/main.py` needs."""
    cli.command("backup")(backup_command)
    cli.command("restore")(restore_command)
    cli.add_typer(vault_cli, name="vault")


@handles_refusals
def backup_command(
    file: Annotated[Path, typer.Argument(help="The backup file to write (a new file, 0600).")],
    data_dir: DataDir = None, passphrase_file: PassphraseFile = None,
) -> None:
    """Copy the whole office (store, vault, keys, audit anchors, certificates) into one file
    encrypted with a passphrase, while `serve` keeps running."""
    settings = settings_for(data_dir)
    secret = read_passphrase(passphrase_file, confirm=True)
    if len(secret) < MIN_PASSPHRASE:
        raise BackupPassphraseWeak()
    with office_lock.in_use(settings.data_dir):
        manifest = write_backup(settings, file, secret, now=datetime.now(UTC))
        with open_app(data_dir) as app:
            record_backup(app.deps, actor=operator(), store=manifest.store,
                          audit_seq=int(manifest.audit_head[0]))
    rows = sum(manifest.counts.values())
    typer.echo(f"backup written to {file} (mode 0600): {manifest.store} store, {rows} rows in "
               f"{len(manifest.counts)} tables, {manifest.counts.get('vault.templates', 0)} "
               f"templates, audit head {manifest.audit_head[0]}, files: "
               f"{', '.join(manifest.files)}")
    typer.echo("keep it and its passphrase apart: the file alone opens nothing, the passphrase "
               "opens everything")


def _facts(settings: Settings) -> stores.Snapshot:
    if settings.is_sqlite:
        return stores.sqlite_facts(stores.sqlite_path(settings.resolved_database_url),
                                   settings.resolved_vault_path)
    return stores.postgres_facts(settings.resolved_database_url)


@handles_refusals
def restore_command(
    file: Annotated[Path, typer.Argument(help="A file written by `keyuan backup`.")],
    data_dir: DataDir = None, passphrase_file: PassphraseFile = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a store that holds data (everything in it is lost).")] = False,
) -> None:
    """Put an office back from a backup, then verify it: row counts against the backup's
    manifest, the audit chain up to the backup's head, every template opened with the restored
    key, and the checks of `keyuan inspect`. Refused while `serve` runs on this data dir."""
    if not file.is_file():
        raise typer.BadParameter(f"{file} is not a file", param_hint="FILE")
    settings = settings_for(data_dir)
    secret = read_passphrase(passphrase_file, confirm=False)
    with office_lock.exclusive(settings.data_dir):
        manifest = restore_backup(settings, file, secret, force=force)
        _verify(settings, data_dir, manifest)


def _verify(settings: Settings, data_dir: Path | None, manifest: Manifest) -> None:
    counts = _facts(settings).counts
    differ = sorted(t for t in set(counts) | set(manifest.counts)
                    if counts.get(t) != manifest.counts.get(t))
    if differ:
        raise RestoreUnverified(problems=[f"{t}: {counts.get(t)} rows, the backup had "
                                          f"{manifest.counts.get(t)}" for t in differ])
    typer.echo(f"restored {manifest.store} store of {manifest.created_at}: "
               f"{sum(counts.values())} rows in {len(counts)} tables match the manifest")
    with open_app(data_dir) as app:  # brings a backup of an earlier version up to date
        opened = open_every_template(app.db, load_key(settings.vault_key,
                                                      settings.data_dir / "vault.key"))
        seq, digest = manifest.audit_head
        head = Anchor(seq=int(seq), hash=str(digest)) if seq else None
        audit = record_restore(app.deps, actor=operator(), head=head,
                               created_at=manifest.created_at, templates_opened=opened)
        if not audit.intact:
            raise RestoreUnverified(problems=audit.problems)
        typer.echo(f"templates: {opened} opened with the restored vault key; audit chain intact "
                   f"through entry {seq}")
        r = inspect_vault(app.deps, actor=operator(), policy=policy_from(app.settings.retention))
    typer.echo(f"inspection: templates: {r.templates}; violations: {len(r.violations)}; audit: "
               f"{r.audit_entries} entries, {len(r.audit_problems)} problems; PIA "
               f"{PIA_WORDS[r.assessment]}")
    for pseudonym, problem in r.violations:
        typer.echo(f"  VIOLATION {pseudonym}: {problem}")
    for problem in r.audit_problems:
        typer.echo(f"  AUDIT {problem}")
    typer.echo("PASS" if r.clean else "FAIL (as `keyuan inspect` reports it)")
    raise typer.Exit(0 if r.clean else 1)


@vault_cli.command("rotate-key")
@handles_refusals
def rotate_key(data_dir: DataDir = None) -> None:
    """Re-encrypt every template under a new vault key in one transaction; the old key file is
    replaced only after the commit. Refused while `serve` runs on this data dir. Make a new
    backup afterwards."""
    settings = settings_for(data_dir)
    if settings.vault_key:
        raise VaultKeyFromEnvironment()
    with office_lock.exclusive(settings.data_dir), open_app(data_dir) as app:
        done = rotate_key_file(app.db, settings.data_dir / "vault.key", actor=operator(),
                               now=app.deps.clock.now())
    typer.echo(f"vault key rotated: {done.templates} templates re-encrypted; key "
               f"{done.old_key_id} → {done.new_key_id}; the old key is removed. Make a new "
               "backup now (`keyuan backup FILE`).")
