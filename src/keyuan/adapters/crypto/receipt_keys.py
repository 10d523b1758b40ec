"""The office's receipt signing key (C8): an Ed25519 seed in a 0600 file that `init` creates, or
from `KEYUAN_RECEIPT_KEY`; and the signer built from it."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from keyuan.adapters.crypto.keyfiles import KeyFileError, read_key, write_key_file
from keyuan.domain.canonical import canonical_json
from keyuan.services.checkin.signatures import key_id_of

KEY_FILE = "receipt.key"


class ReceiptKeyError(KeyFileError):
    """The receipt signing key is missing or malformed: refuse to start rather than sign badly."""


class Ed25519Signer:
    """The office's receipt signer (`services.ports.ReceiptSigner`): holds the private key; only
    `sign` ever touches it."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()
        self.key_id = key_id_of(self.public_key)

    def sign(self, receipt: dict[str, Any]) -> str:
        return base64.b64encode(self._key.sign(canonical_json(receipt).encode())).decode()


def create_receipt_key_file(path: Path) -> bool:
    """Write a new Ed25519 key with mode 0600 unless one exists. True when it created one."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return write_key_file(path, raw)


def load_receipt_signer(env_value: str | None, path: Path) -> Ed25519Signer:
    seed = read_key(env_value, path, what="receipt key", env_name="KEYUAN_RECEIPT_KEY",
                    error=ReceiptKeyError)
    return Ed25519Signer(Ed25519PrivateKey.from_private_bytes(seed))
