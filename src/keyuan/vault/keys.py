"""The vault key: AES-256, from KEYUAN_VAULT_KEY or a 0600 key file that `init` creates."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path


class VaultKeyError(RuntimeError):
    """The vault key is missing, malformed or unreadable: refuse to start rather than guess."""


def parse_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VaultKeyError("KEYUAN_VAULT_KEY is not base64") from exc
    if len(key) != 32:
        raise VaultKeyError("the vault key must be 32 bytes (AES-256), base64-encoded")
    return key


def create_key_file(path: Path) -> bool:
    """Write a new random key with mode 0600 unless one exists. True when it created one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    return True


def load_key(env_value: str | None, path: Path) -> bytes:
    if env_value:
        return parse_key(env_value)
    if not path.is_file():
        raise VaultKeyError(f"no vault key: set KEYUAN_VAULT_KEY or run `keyuan init` ({path})")
    if path.stat().st_mode & 0o077:
        raise VaultKeyError(f"{path} is readable by others; chmod 600 it")
    return parse_key(path.read_text())


def key_id(key: bytes) -> str:
    """A short fingerprint stored with each template: a wrong key is named, not mis-decrypted."""
    return hashlib.sha256(b"keyuan-vault-key-id" + key).hexdigest()[:16]
