"""A whole office in one encrypted file, and back.

The archive (`archive.py`) holds `manifest.json` first, then the store (`store/keyuan.db` and
`store/vault.db` on SQLite, `store/postgresql.dump` on PostgreSQL), then every file of the data
directory the office cannot lose (`data/…`: the vault key, the receipt signing key, the audit
anchors, the office CA and server certificate under tls/, anything else kept there), with keys
given in the environment written as the files they stand for.

A restore reads and authenticates the whole archive into a 0700 directory inside the data
directory before anything is replaced (a wrong passphrase or a damaged file changes nothing),
checks the staged store against the manifest, then replaces the store and the files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from keyuan.adapters.backup import archive, stores
from keyuan.adapters.crypto.keyfiles import decode_key
from keyuan.adapters.vault.keys import key_id
from keyuan.adapters.vault.store import TemplateVault, VaultCipher
from keyuan.config.settings import Settings
from keyuan.domain.errors import (
    BackupDamaged,
    BackupFailed,
    BackupFileExists,
    BackupStoreMismatch,
    RestoreKeyConflict,
    RestoreSecretKeyDiffers,
    RestoreTargetNotEmpty,
)

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MAIN, SQLITE_VAULT, PG_DUMP = "store/keyuan.db", "store/vault.db", "store/postgresql.dump"
VAULT_KEY, RECEIPT_KEY = "vault.key", "receipt.key"
STAGING_PREFIX = ".restore-"
REGENERABLE = frozenset({"eval-cache", "eval"})
"""Top-level folders `keyuan eval` writes under the default ./var (public photos' measurements):
not the office's, remade by the next run."""
PARTIAL = ".partial"


@dataclass(frozen=True)
class Manifest:
    format: int
    store: str
    """"sqlite" or "postgresql"."""
    created_at: str
    counts: dict[str, int]
    audit_head: list[Any]
    """[seq, hash] of the last audit entry when the copy was taken."""
    vault_key_id: str
    files: list[str] = field(default_factory=list)
    keyuan_version: str = ""
    secret_key_id: str = ""
    """A fingerprint of `secret_key`, which keys the mobile hashes: a restore under another one
    would find nobody by mobile, so it is refused (the key itself lives in the settings)."""

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, indent=1).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise BackupDamaged("The backup's manifest is unreadable; nothing was changed.") \
                from exc


def _version() -> str:
    try:
        return version("keyuan")
    except PackageNotFoundError:
        return "unknown"


def _store_files(settings: Settings) -> set[Path]:
    """The store's own files (and their journals): copied through the backup API, not as
    files."""
    paths = [settings.resolved_vault_path]
    if settings.is_sqlite:
        paths.append(stores.sqlite_path(settings.resolved_database_url))
    return {Path(str(p) + suffix).resolve() for p in paths
            for suffix in ("", "-wal", "-shm", "-journal")}


def data_files(settings: Settings, *, skip: set[Path] | None = None) -> dict[str, bytes]:
    """Every regular file of the data directory but the store, staging directories
    and backup files (ours, recognised by their header); keys from the environment as files."""
    root = settings.data_dir
    skipped = _store_files(settings) | {p.resolve() for p in skip or ()}
    found: dict[str, bytes] = {}
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if (not path.is_file() or path.is_symlink() or path.resolve() in skipped
                    or relative.parts[0].startswith(STAGING_PREFIX)
                    or (len(relative.parts) > 1 and relative.parts[0] in REGENERABLE)
                    or path.name.endswith(PARTIAL)):
                continue
            with path.open("rb") as handle:
                if handle.read(len(archive.MAGIC)) == archive.MAGIC:
                    continue  # an earlier backup kept here: not nested in this one
                handle.seek(0)
                found[relative.as_posix()] = handle.read()
    for name, value in ((VAULT_KEY, settings.vault_key), (RECEIPT_KEY, settings.receipt_key)):
        if value:
            found[name] = (value.strip() + "\n").encode()
    return found


def write_backup(settings: Settings, target: Path, passphrase: str, *, now: datetime,
                 log2_n: int = archive.LOG2_N) -> Manifest:
    """Write the office into `target` (mode 0600), atomically: a failure leaves no file."""
    if target.exists():
        raise BackupFileExists()
    partial = target.with_name(target.name + PARTIAL)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            writer = archive.ArchiveWriter(out, passphrase, log2_n=log2_n)
            manifest = _write_office(settings, writer, now, skip={target, partial})
            writer.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _write_office(settings: Settings, writer: archive.ArchiveWriter, now: datetime,
                  skip: set[Path]) -> Manifest:
    url = settings.resolved_database_url
    if settings.is_sqlite:
        with stores.sqlite_snapshot(url, settings.resolved_vault_path) as (facts, main, vault):
            files = data_files(settings, skip=skip)  # after the copy: the key it was sealed with
            manifest = _manifest(settings, "sqlite", facts, files, now)
            writer.add_file(MANIFEST, [manifest.to_json()])
            writer.add_file(SQLITE_MAIN, [main])
            writer.add_file(SQLITE_VAULT, [vault])
    else:
        with stores.postgres_snapshot(url) as (facts, dump):
            files = data_files(settings, skip=skip)
            manifest = _manifest(settings, "postgresql", facts, files, now)
            writer.add_file(MANIFEST, [manifest.to_json()])
            writer.add_file(PG_DUMP, iter(lambda: dump.read(archive.CHUNK), b""))
    for name, content in files.items():
        writer.add_file(f"data/{name}", [content])
    return manifest


def secret_key_id(settings: Settings) -> str:
    return hashlib.sha256(b"keyuan-secret-key-id|" + settings.secret_key.encode()).hexdigest()[:16]


def _manifest(settings: Settings, kind: str, facts: stores.Snapshot, files: dict[str, bytes],
              now: datetime) -> Manifest:
    key = files.get(VAULT_KEY)
    packed = key_id(decode_key(key.decode(), what="vault key")) if key else ""
    if not key or any(found != packed for found in facts.vault_key_ids):
        raise BackupFailed("The vault key in the data directory does not open the templates in "
                           "the store (a key rotation ran during the copy, or the key file is "
                           "missing): no backup was written.")
    return Manifest(format=FORMAT, store=kind, created_at=now.isoformat(), counts=facts.counts,
                    audit_head=list(facts.audit_head), vault_key_id=packed,
                    files=sorted(files), keyuan_version=_version(),
                    secret_key_id=secret_key_id(settings))


# --- restore -------------------------------------------------------------------------------

def target_empty(settings: Settings) -> bool:
    if settings.is_sqlite:
        return stores.sqlite_empty(settings.resolved_database_url, settings.resolved_vault_path)
    return stores.postgres_empty(settings.resolved_database_url)


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupDamaged()
    return path


def restore_backup(settings: Settings, source: Path, passphrase: str, *,
                   force: bool) -> Manifest:
    """Replace the store and the data files with the backup's. The caller holds the data
    directory exclusively (`office_lock.exclusive`)."""
    if not force and not target_empty(settings):
        raise RestoreTargetNotEmpty()
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=settings.data_dir))  # 0700
    try:
        with source.open("rb") as handle:
            names = _stage(archive.open_archive(handle, passphrase), staging)
        manifest = Manifest.from_json((staging / MANIFEST).read_bytes()) \
            if MANIFEST in names else None
        if manifest is None or manifest.format != FORMAT:
            raise BackupDamaged("The backup has no manifest this keyuan reads; nothing was "
                                "changed.")
        kind = "sqlite" if settings.is_sqlite else "postgresql"
        if manifest.store != kind:
            raise BackupStoreMismatch(f"The backup is of a {manifest.store} store and this "
                                      f"office runs on {kind}; nothing was changed.")
        if manifest.secret_key_id and manifest.secret_key_id != secret_key_id(settings):
            raise RestoreSecretKeyDiffers()
        _check_keys(settings, staging)
        if settings.is_sqlite:
            _apply_sqlite(settings, staging, manifest, names)
        else:
            if PG_DUMP not in names:
                raise BackupDamaged()
            stores.postgres_restore(settings.resolved_database_url, staging / PG_DUMP, staging)
        _apply_files(settings.data_dir, staging / "data")
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stage(files: Iterator[tuple[str, int, bytes]], staging: Path) -> set[str]:
    """Write every file of the archive under `staging`; raises before returning if any chunk
    fails (the caller then removes `staging`)."""
    names: set[str] = set()
    handle = None
    try:
        for name, mode, piece in files:
            if name not in names:
                if handle is not None:
                    handle.close()
                names.add(name)
                path = staging / _safe_name(name)
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                handle = os.fdopen(fd, "wb")
                os.fchmod(fd, mode & 0o700 if mode & 0o700 else 0o600)
            assert handle is not None
            handle.write(piece)
    finally:
        if handle is not None:
            handle.close()
    return names


def _check_keys(settings: Settings, staging: Path) -> None:
    for name, value in ((VAULT_KEY, settings.vault_key), (RECEIPT_KEY, settings.receipt_key)):
        packed = staging / "data" / name
        if value and packed.is_file() and packed.read_text().strip() != value.strip():
            raise RestoreKeyConflict()


def _apply_sqlite(settings: Settings, staging: Path, manifest: Manifest, names: set[str]) -> None:
    if not {SQLITE_MAIN, SQLITE_VAULT} <= names:
        raise BackupDamaged()
    main, vault = staging / SQLITE_MAIN, staging / SQLITE_VAULT
    if not (stores.sqlite_intact(main) and stores.sqlite_intact(vault)):
        raise BackupDamaged("The store inside the backup fails SQLite's check; nothing was "
                            "changed.")
    if stores.sqlite_facts(main, vault).counts != manifest.counts:
        raise BackupDamaged("The store inside the backup does not match its manifest; nothing "
                            "was changed.")
    for staged, target in ((main, stores.sqlite_path(settings.resolved_database_url)),
                           (vault, settings.resolved_vault_path)):
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):  # a stale journal would replay onto it
            Path(str(target) + suffix).unlink(missing_ok=True)
        shutil.move(staged, target)
        os.chmod(target, 0o600)


def _apply_files(data_dir: Path, staged_root: Path) -> None:
    if not staged_root.is_dir():
        return
    for staged in sorted(staged_root.rglob("*")):
        if not staged.is_file():
            continue
        target = data_dir / staged.relative_to(staged_root)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(staged, target)


def open_every_template(db: Engine, key: bytes) -> int:
    """Open (decrypt and authenticate) every template with `key`: how many opened. Raises
    `VaultKeyError` on the first that does not."""
    with Session(db) as session:
        return TemplateVault(session, VaultCipher(key)).open_every()
