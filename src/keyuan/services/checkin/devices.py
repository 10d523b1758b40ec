"""Paired kiosk devices: pairing by one-time code, the device check every kiosk request passes,
unpairing (rules in `domain/checkin/devices.py`).

The device token is shown once, to the tablet that redeems the code; the store keeps its
SHA-256 (a random 256-bit token needs no key). Every kiosk request looks its device up afresh
(`require_kiosk`): nothing is cached, so an unpairing refuses the tablet's next request.
Pairings, unpairings and refusals are audited; refusals, which may come by the thousand, at
most once per subject and hour (`throttle.took`), while the throttle counts every one."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from keyuan.domain.checkin.devices import (
    KioskDevice,
    PairingCode,
    new_pairing_code,
    normalize_pairing_code,
    shown_code,
)
from keyuan.domain.errors import (
    DeviceNotPaired,
    PairingCodeInvalid,
    PairingThrottled,
    UnknownDevice,
    UnknownOffice,
    UnknownSession,
)
from keyuan.domain.throttle import Rate
from keyuan.services import throttle
from keyuan.services.ports import Deps, UnitOfWork

PAIR_PATH = "/kiosk/pair"
DEMO_DEVICE_NAME = "演示平板 Demo tablet (demo mode, loopback)"
REFUSALS_AUDITED = Rate(1, 3600)  # one audit entry per subject and hour


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def pair_url(base_url: str, code: str) -> str:
    """The URL the QR code holds: `base_url` (scheme, host, port) + `/kiosk/pair?code=…`."""
    return f"{base_url.rstrip('/')}{PAIR_PATH}?code={code}"


@dataclass(frozen=True)
class PairingOffer:
    code: str  # as typed: ABCD-EFGH
    office_id: str
    device_name: str
    expires_at: datetime


@dataclass(frozen=True)
class Paired:
    device: KioskDevice
    token: str  # shown once, to the paired tablet; only its hash is stored


def _code_hash(deps: Deps, code: str) -> str:
    return deps.hasher.code("kiosk-pairing", code)


def offer_pairing(office_id: str, name: str, deps: Deps, *, actor: str) -> PairingOffer:
    """A one-time code pairing the next tablet that redeems it with `office_id` (audited)."""
    code = new_pairing_code()
    with deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice(f"No office '{office_id}'.")
        now = deps.clock.now()
        offer = uow.devices.add_code(PairingCode.offer(
            office_id=office_id, name=name, code_hash=_code_hash(deps, code), now=now,
            actor=actor))
        uow.audit.append(at=now, actor=actor[:64], action="device_pairing_offered",
                         subject=offer.id, detail={"office": office_id,
                                                   "name": offer.device_name})
        uow.commit()
    return PairingOffer(code=shown_code(code), office_id=office_id,
                        device_name=offer.device_name, expires_at=offer.expires_at)


def _note_refusal(uow: UnitOfWork, deps: Deps, now: datetime, action: str, subject: str,
                  detail: dict[str, object]) -> None:
    """Audit a refusal once per subject and hour (`subject` is hashed for the count)."""
    if throttle.took(uow, now, throttle.bucket(deps, f"audited.{action}", subject,
                                               REFUSALS_AUDITED)):
        uow.audit.append(at=now, actor="kiosk", action=action, subject=None, detail=detail)


def redeem(raw_code: str, deps: Deps, *, client: str | None) -> Paired:
    """Pair the calling tablet: single use, before expiry (`PairingCodeInvalid` otherwise, also
    for anything that is not a code); wrong codes are counted per address
    (`PairingThrottled` once spent)."""
    with deps.uow() as uow:
        now = deps.clock.now()
        guesses = throttle.pairing_buckets(deps, client=client)
        throttle.take(uow, now, guesses, PairingThrottled)
        try:
            code = normalize_pairing_code(raw_code)
            offer = uow.devices.code_by_hash(_code_hash(deps, code))  # locked
            if offer is None:
                raise PairingCodeInvalid()
            token = secrets.token_urlsafe(32)
            device = KioskDevice.pair(office_id=offer.office_id, name=offer.device_name,
                                      token_hash=token_hash(token), now=now,
                                      actor=offer.created_by)
            offer.redeem(device.id, now=now)
        except PairingCodeInvalid:
            _note_refusal(uow, deps, now, "device_pairing_refused", client or "-",
                          {"reason": "wrong, expired or used code"})
            uow.commit()  # the guess counts
            raise
        uow.devices.add(device)
        throttle.give_back(uow, now, guesses)
        uow.audit.append(at=now, actor=offer.created_by, action="device_paired",
                         subject=device.id, detail={"office": device.office_id,
                                                    "name": device.name, "code": offer.id})
        uow.commit()
        return Paired(device=device, token=token)


def pair_demo(office_id: str, deps: Deps) -> Paired:
    """Demo mode only (`keyuan serve --demo`, the web layer asks only for loopback callers): a
    clearly named demo device, so `make run` gives a working kiosk in one step. Audited."""
    if not deps.demo:
        raise DeviceNotPaired()
    token = secrets.token_urlsafe(32)
    with deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice(f"No office '{office_id}'.")
        now = deps.clock.now()
        device = uow.devices.add(KioskDevice.pair(
            office_id=office_id, name=DEMO_DEVICE_NAME, token_hash=token_hash(token), now=now,
            actor="demo", demo=True))
        uow.audit.append(at=now, actor="demo", action="device_paired", subject=device.id,
                         detail={"office": office_id, "name": device.name, "demo": True})
        uow.commit()
        return Paired(device=device, token=token)


def paired_device(token: str | None, deps: Deps) -> KioskDevice | None:
    """The paired device holding `token`, read now (None: no token, unknown, or unpaired)."""
    if not token:
        return None
    with deps.uow() as uow:
        device = uow.devices.by_token_hash(token_hash(token))
    return device if device is not None and device.paired else None


def require_kiosk(token: str | None, deps: Deps, *, session_id: str | None = None,
                  client: str | None = None) -> KioskDevice:
    """The check every kiosk API request passes first: a paired device (`DeviceNotPaired`
    otherwise, a known token of an unpaired device audited once an hour) and, for a session's
    route, the device that opened the session (another device's session is `UnknownSession`,
    the answer for a session that does not exist)."""
    with deps.uow() as uow:
        device = uow.devices.by_token_hash(token_hash(token)) if token else None
        if device is None or not device.paired:
            if device is not None:
                _note_refusal(uow, deps, deps.clock.now(), "kiosk_device_refused", device.id,
                              {"device": device.id, "reason": "unpaired"})
                uow.commit()
            raise DeviceNotPaired()
        if session_id is not None:
            session = uow.sessions.get(session_id)
            if session is not None and session.device_id != device.id:
                raise UnknownSession()
        return device


def devices(deps: Deps) -> list[KioskDevice]:
    with deps.uow() as uow:
        return uow.devices.all()


def unpair(device_id: str, deps: Deps, *, actor: str) -> KioskDevice:
    """Refused at its next request (`require_kiosk` reads the device every time). Audited."""
    with deps.uow() as uow:
        device = uow.devices.lock(device_id)
        if device is None:
            raise UnknownDevice()
        now = deps.clock.now()
        device.unpair(now=now, actor=actor)
        uow.audit.append(at=now, actor=actor[:64], action="device_unpaired", subject=device.id,
                         detail={"office": device.office_id, "name": device.name})
        uow.commit()
        return device
