"""Secret key files shared by the vault key (AES-256) and the receipt key (Ed25519 seed):
32 bytes, base64, from an environment variable or a 0600 file that `init` creates."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

KEY_BYTES = 32


class KeyFileError(RuntimeError):
    """A key is missing, malformed or readable by others: refuse to start rather than guess."""


def decode_key(text: str, *, what: str, error: type[KeyFileError] = KeyFileError) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise error(f"the {what} is not base64") from exc
    if len(raw) != KEY_BYTES:
        raise error(f"the {what} must be {KEY_BYTES} bytes, base64-encoded")
    return raw


def write_key_file(path: Path, raw: bytes) -> bool:
    """Write `raw` base64-encoded with mode 0600 unless the file exists. True when written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(raw).decode() + "\n")
    return True


def read_key(
    env_value: str | None, path: Path, *, what: str, env_name: str,
    error: type[KeyFileError] = KeyFileError,
) -> bytes:
    """The key from the environment, else from `path`, which must not be readable by others."""
    if env_value:
        return decode_key(env_value, what=what, error=error)
    if not path.is_file():
        raise error(f"no {what}: set {env_name} or run `keyuan init` ({path})")
    if path.stat().st_mode & 0o077:
        raise error(f"{path} is readable by others; chmod 600 it")
    return decode_key(path.read_text(), what=what, error=error)
