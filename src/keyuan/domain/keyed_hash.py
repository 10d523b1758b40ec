"""Keyed hashes (HMAC-SHA256 under the installation secret): how mobile numbers, ID numbers,
one-time codes, camera tokens and CSRF tokens are looked up or checked without being stored.
A leaked table does not let anyone test guesses offline without the secret."""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(key: bytes, label: str, value: str) -> str:
    """HMAC-SHA256 of "label:value", hex. The label keeps hashes of different kinds apart."""
    return hmac.new(key, f"{label}:{value}".encode(), hashlib.sha256).hexdigest()


class Hasher:
    """The keyed hashes the services use: mobile numbers and ID numbers are looked up by keyed
    hash only, one-time codes are stored only as one."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def mobile(self, mobile: str) -> str:
        return keyed_hash(self._key, "mobile", mobile)

    def code(self, code_id: str, code: str) -> str:
        return keyed_hash(self._key, f"otp:{code_id}", code)

    def subject(self, kind: str, value: str) -> str:
        """Who a throttle counts (an address, a username, a claim): short, keyed, not reversible
        without the secret (`domain/throttle.py`)."""
        return keyed_hash(self._key, f"throttle:{kind}", value)[:32]

    def id_number(self, id_number: str) -> str:
        """Resident ID numbers are looked up by keyed hash only; the number is not stored."""
        return keyed_hash(self._key, "id_number", id_number)

    def escort_code(self, code: str) -> str:
        """带访码: the short code of an escort pass is stored only as this hash."""
        return keyed_hash(self._key, "escort_code", code)

    def seal(self, kind: str, value: str) -> str:
        """A signature (HMAC-SHA256, 128 bits, hex) that `value` was issued by this installation
        for `kind` (an escort pass's QR token): checked by recomputing it, never stored."""
        return keyed_hash(self._key, f"seal:{kind}", value)[:32]
