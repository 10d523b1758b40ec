"""`keyuan vault rotate-key`: every template re-encrypted under a new key in one transaction.

1. The new key is written to `vault.key.new` (0600) and synced.
2. One transaction opens every template with the old key, seals it under the new one, bumps the
   gallery version and appends the `vault_key_rotated` audit entry; a failure anywhere rolls it
   all back and removes `vault.key.new`: the old key keeps working.
3. After the commit `vault.key.new` replaces `vault.key` (one rename): the old key is gone from
   the data directory. Backups made before carry the key they need, so nothing is lost by
   removing it, and a copy of the store that leaked before the rotation stays sealed.

A crash between 2 and 3 leaves templates under the key in `vault.key.new`:
`finish_interrupted_rotation` (run by `bootstrap.build` and by the next rotation) sees the
templates' key id and completes the rename; a `vault.key.new` the templates do not use is an
unfinished attempt and is removed."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from keyuan.adapters.crypto.keyfiles import KEY_BYTES, write_key_file
from keyuan.adapters.store.repositories.checkin import AuditLog
from keyuan.adapters.store.tables.checkin import templates
from keyuan.adapters.vault.keys import key_id, load_key
from keyuan.adapters.vault.store import TemplateVault, VaultCipher

NEW_SUFFIX = ".new"


@dataclass(frozen=True)
class Rotation:
    templates: int
    old_key_id: str
    new_key_id: str


def _key_ids_in_use(db: Engine) -> set[str]:
    with Session(db) as session:
        return {str(k) for k in session.execute(select(templates.c.key_id).distinct()).scalars()}


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def finish_interrupted_rotation(db: Engine, key_file: Path) -> bool:
    """Complete a rotation whose transaction committed but whose key file was not yet renamed;
    remove the new key of one that never committed. True when it completed one."""
    new_file = key_file.with_name(key_file.name + NEW_SUFFIX)
    if not new_file.is_file():
        return False
    new_id = key_id(load_key(None, new_file))
    in_use = _key_ids_in_use(db)
    if in_use and in_use == {new_id}:
        os.replace(new_file, key_file)
        _sync_dir(key_file.parent)
        return True
    new_file.unlink()
    return False


def rotate_key_file(db: Engine, key_file: Path, *, actor: str, now: datetime) -> Rotation:
    """Rotate the key in `key_file` (the caller holds the data directory exclusively)."""
    finish_interrupted_rotation(db, key_file)
    old = VaultCipher(load_key(None, key_file))
    new_file = key_file.with_name(key_file.name + NEW_SUFFIX)
    new_key = secrets.token_bytes(KEY_BYTES)
    write_key_file(new_file, new_key)
    fd = os.open(new_file, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    new = VaultCipher(new_key)
    try:
        with Session(db) as session, session.begin():
            vault = TemplateVault(session, old)
            count = vault.reseal(new)
            AuditLog(session).append(
                at=now, actor=actor, action="vault_key_rotated", subject=None,
                detail={"templates": count, "old_key_id": old.key_id,
                        "new_key_id": new.key_id})
            vault.stamp_changes()  # the last statement: the gallery copies re-read every seal
    except BaseException:
        new_file.unlink(missing_ok=True)
        raise
    os.replace(new_file, key_file)
    _sync_dir(key_file.parent)
    return Rotation(templates=count, old_key_id=old.key_id, new_key_id=new.key_id)
