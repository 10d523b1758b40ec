"""The vault key: AES-256, from KEYUAN_VAULT_KEY or a 0600 key file that `init` creates."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from keyuan.adapters.crypto.keyfiles import (
    KEY_BYTES,
    KeyFileError,
    decode_key,
    read_key,
    write_key_file,
)


class VaultKeyError(KeyFileError):
    """The vault key is missing, malformed or unreadable: refuse to start rather than guess."""


def parse_key(text: str) -> bytes:
    return decode_key(text, what="vault key (AES-256)", error=VaultKeyError)


def create_key_file(path: Path) -> bool:
    """Write a new random key with mode 0600 unless one exists. True when it created one."""
    return write_key_file(path, secrets.token_bytes(KEY_BYTES))


def load_key(env_value: str | None, path: Path) -> bytes:
    return read_key(env_value, path, what="vault key", env_name="KEYUAN_VAULT_KEY",
                    error=VaultKeyError)


def key_id(key: bytes) -> str:
    """A short fingerprint stored with each template: a wrong key is named, not mis-decrypted."""
    return hashlib.sha256(b"keyuan-vault-key-id" + key).hexdigest()[:16]
