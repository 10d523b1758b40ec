"""Paired kiosk devices: the reception tablets allowed to open kiosk sessions for one office.

An admin offers a pairing (a one-time code, shown as a QR code and as eight typeable
characters, valid `PAIRING_MINUTES`); the tablet that redeems it first becomes a device of that
office and keeps a long-lived device token. The store keeps only hashes of both. Unpairing is a
timestamp: the token stops working at the next request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from keyuan.domain.errors import DeviceAlreadyUnpaired, InvalidDeviceName, PairingCodeInvalid

PAIRING_MINUTES = 10
PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""No 0/O, 1/I/L: typed by hand from a screen. 8 characters: 31^8 ≈ 8.5 × 10^11 codes."""
PAIRING_LENGTH = 8
NAME_MAX = 60


def new_pairing_code() -> str:
    return "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))


def shown_code(code: str) -> str:
    """`ABCD-EFGH`: how the code is shown to be typed."""
    return f"{code[:4]}-{code[4:]}"


def normalize_pairing_code(raw: str) -> str:
    """What was typed or scanned, as stored: upper case, no spaces or dashes; anything that
    cannot be a code is `PairingCodeInvalid` (the same answer as a wrong code)."""
    code = "".join(ch for ch in raw.upper() if ch not in " -\t")
    if len(code) != PAIRING_LENGTH or any(ch not in PAIRING_ALPHABET for ch in code):
        raise PairingCodeInvalid()
    return code


def device_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name or len(name) > NAME_MAX:
        raise InvalidDeviceName()
    return name


@dataclass(eq=False)
class PairingCode:
    """One offer to pair a tablet with `office_id` (only the keyed hash of the code is kept)."""

    id: str
    office_id: str
    device_name: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    created_by: str
    used_at: datetime | None = None
    device_id: str | None = None

    @classmethod
    def offer(cls, *, office_id: str, name: str, code_hash: str, now: datetime,
              actor: str) -> PairingCode:
        return cls(id=secrets.token_hex(12), office_id=office_id, device_name=device_name(name),
                   code_hash=code_hash, created_at=now,
                   expires_at=now + timedelta(minutes=PAIRING_MINUTES), created_by=actor[:64])

    def redeem(self, device_id: str, *, now: datetime) -> None:
        """Single use, before it expires; the caller holds the row (`FOR UPDATE`), so of two
        tablets redeeming at once exactly one gets a device."""
        if self.used_at is not None or now >= self.expires_at:
            raise PairingCodeInvalid()
        self.used_at, self.device_id = now, device_id


@dataclass(eq=False)
class KioskDevice:
    """A tablet paired with one office. `demo`: paired automatically by demo mode (loopback)."""

    id: str
    office_id: str
    name: str
    token_hash: str
    paired_at: datetime
    paired_by: str
    demo: bool = False
    unpaired_at: datetime | None = None
    unpaired_by: str | None = None

    @classmethod
    def pair(cls, *, office_id: str, name: str, token_hash: str, now: datetime, actor: str,
             demo: bool = False) -> KioskDevice:
        return cls(id="dev_" + secrets.token_hex(8), office_id=office_id, name=device_name(name),
                   token_hash=token_hash, paired_at=now, paired_by=actor[:64], demo=demo)

    @property
    def paired(self) -> bool:
        return self.unpaired_at is None

    def unpair(self, *, now: datetime, actor: str) -> None:
        if not self.paired:
            raise DeviceAlreadyUnpaired()
        self.unpaired_at, self.unpaired_by = now, actor[:64]
