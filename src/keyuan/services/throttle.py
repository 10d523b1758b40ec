"""The one limiter every use case calls (rules in `domain/throttle.py`, counts in the store via
`uow.throttle`), and the buckets of each kind of attempt.

`take` runs inside the caller's unit of work, so a refused or failed call leaves nothing behind
unless the caller commits; a call that commits its failure (a wrong code) commits the slot it
took with it. Buckets are taken in key order, so two transactions never wait on each other's
rows in opposite orders on PostgreSQL. Subjects are keyed hashes (`Hasher.subject`) or random
ids: the table never holds a plain number, address or username. A client address is `None`
when the caller is not a web request (CLI, demo): then no address bucket applies. A paired
kiosk device has its own kinds (`kiosk_session.device`, `sms.device`, `code.device`, keyed by
the device id) beside these; a session opened without a device (CLI, demos) has none."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from ipaddress import IPv6Address, ip_address, ip_network

from keyuan.config.limits import RateSetting
from keyuan.domain.errors import Throttled
from keyuan.domain.throttle import Bucket, Rate, Window
from keyuan.services.ports import Deps, UnitOfWork


def take(uow: UnitOfWork, now: datetime, buckets: Iterable[Bucket],
         refuse: type[Throttled]) -> None:
    """One slot of every bucket, or `refuse` (with the Retry-After of the bucket that is full)."""
    for bucket in sorted(buckets, key=lambda b: b.key):
        window = Window.at(now, bucket.rate.window_seconds)
        previous = uow.throttle.hits(bucket.key, window.previous_start)
        if not uow.throttle.take(bucket.key, window.start, expires=window.expires_at(),
                                 allowance=window.allowance(bucket.rate, previous)):
            current = uow.throttle.hits(bucket.key, window.start)
            raise refuse(retry_after=window.retry_after(bucket.rate, previous, current))


def require_room(uow: UnitOfWork, now: datetime, buckets: Iterable[Bucket],
                 refuse: type[Throttled]) -> None:
    """`refuse` when any bucket is full now; takes nothing (a look before costly work whose
    attempt would be refused anyway, e.g. an SMS to a number locked out for wrong codes)."""
    for bucket in buckets:
        window = Window.at(now, bucket.rate.window_seconds)
        previous = uow.throttle.hits(bucket.key, window.previous_start)
        current = uow.throttle.hits(bucket.key, window.start)
        if current >= window.allowance(bucket.rate, previous):
            raise refuse(retry_after=window.retry_after(bucket.rate, previous, current))


def give_back(uow: UnitOfWork, now: datetime, buckets: Iterable[Bucket]) -> None:
    """Return the slots an attempt took when it turned out right (a right code or password)."""
    for bucket in sorted(buckets, key=lambda b: b.key):
        uow.throttle.give_back(bucket.key, Window.at(now, bucket.rate.window_seconds).start)


def clear(uow: UnitOfWork, buckets: Iterable[Bucket]) -> None:
    for bucket in sorted(buckets, key=lambda b: b.key):
        uow.throttle.clear(bucket.key)


def bucket(deps: Deps, kind: str, value: str, rate: RateSetting | Rate) -> Bucket:
    rate = rate.rate if isinstance(rate, RateSetting) else rate
    return Bucket(kind=kind, subject=deps.hasher.subject(kind, value), rate=rate)


def by_address(deps: Deps, kind: str, client: str | None,
               rate: RateSetting | Rate) -> list[Bucket]:
    return [] if client is None else [bucket(deps, kind, client, rate)]


def by_device(deps: Deps, kind: str, device_id: str | None,
              rate: RateSetting | Rate) -> list[Bucket]:
    return [] if device_id is None else [bucket(deps, kind, device_id, rate)]


def took(uow: UnitOfWork, now: datetime, one: Bucket) -> bool:
    """Take one slot if there is one; False instead of refusing (e.g. at most one audit entry
    per subject and window for refusals that may come by the thousand)."""
    window = Window.at(now, one.rate.window_seconds)
    previous = uow.throttle.hits(one.key, window.previous_start)
    return uow.throttle.take(one.key, window.start, expires=window.expires_at(),
                             allowance=window.allowance(one.rate, previous))


# --- the buckets of each use case ---
def sms_buckets(deps: Deps, *, mobile_hash: str, session_id: str, client: str | None,
                device_id: str | None = None) -> list[Bucket]:
    """Codes sent: per number (an hour and a day, whoever asks: no SMS bombing of a third
    party's number), per kiosk session, per paired device and per address."""
    limits = deps.limits
    return [bucket(deps, "sms.mobile", mobile_hash, limits.sms_per_mobile),
            bucket(deps, "sms.mobile_day", mobile_hash, limits.sms_per_mobile_day),
            bucket(deps, "sms.session", session_id, limits.sms_per_session),
            *by_device(deps, "sms.device", device_id, limits.sms_per_device),
            *by_address(deps, "sms.address", client, limits.sms_per_address)]


def code_guess_buckets(deps: Deps, *, mobile_hash: str, client: str | None,
                       device_id: str | None = None) -> list[Bucket]:
    """Guesses of check-in codes, per number across every session (the number's cumulative
    lockout), per paired device and per address: a slot is taken before the code is compared
    and given back when it was right."""
    limits = deps.limits
    return [bucket(deps, "code.mobile", mobile_hash, limits.code_failures_per_mobile),
            *by_device(deps, "code.device", device_id, limits.code_failures_per_device),
            *by_address(deps, "code.address", client, limits.code_failures_per_address)]


def rights_code_buckets(deps: Deps, *, person_id: str, client: str | None) -> list[Bucket]:
    limits = deps.limits
    return [bucket(deps, "rights_sms.person", person_id, limits.rights_codes_per_receipt),
            *by_address(deps, "rights_sms.address", client, limits.rights_codes_per_address)]


def rights_guess_buckets(deps: Deps, *, person_id: str, client: str | None) -> list[Bucket]:
    """Per person (every receipt and every code sent for it) over the window, not per code."""
    limits = deps.limits
    return [bucket(deps, "rights_code.person", person_id, limits.rights_failures_per_receipt),
            *by_address(deps, "rights_code.address", client, limits.rights_failures_per_address)]


def receipt_miss_buckets(deps: Deps, *, client: str | None) -> list[Bucket]:
    """Lookups of receipt codes that match nothing, per address (none for CLI callers)."""
    return by_address(deps, "receipt_miss.address", client, deps.limits.receipt_misses_per_address)


def face_claim_buckets(deps: Deps, *, claim: str, client: str | None) -> list[Bucket]:
    """1:1 face attempts against one claim ("receipt:<id>" or "mobile:<hash>"): counted the same
    whether or not the claim names anyone."""
    limits = deps.limits
    return [bucket(deps, "face.claim", claim, limits.face_attempts_per_claim),
            *by_address(deps, "face.address", client, limits.face_attempts_per_address)]


def staff_face_buckets(deps: Deps, *, staff: str, client: str | None) -> list[Bucket]:
    """Face attempts started at a desk (a liveness challenge issued): per member of staff, at
    the per-address rate, and per address."""
    limits = deps.limits
    return [bucket(deps, "face.staff", staff, limits.face_attempts_per_address),
            *by_address(deps, "face.address", client, limits.face_attempts_per_address)]


def login_buckets(deps: Deps, *, username: str, client: str | None,
                  pair: Rate) -> list[Bucket]:
    """Logins: the (address, account) pair is the one that stops for long; the address over
    every account stops spraying; the account over every address only slows down (`pair`: the
    accounts settings' failures per window)."""
    limits = deps.limits
    return [bucket(deps, "login.pair", f"{client or '-'}|{username}", pair),
            bucket(deps, "login.account", username, limits.login_failures_per_account),
            *by_address(deps, "login.address", client, limits.login_failures_per_address)]


def session_buckets(deps: Deps, *, client: str | None,
                    device_id: str | None = None) -> list[Bucket]:
    limits = deps.limits
    return [*by_device(deps, "kiosk_session.device", device_id,
                       limits.kiosk_sessions_per_device),
            *by_address(deps, "kiosk_session.address", client,
                        limits.kiosk_sessions_per_address)]


def pairing_buckets(deps: Deps, *, client: str | None) -> list[Bucket]:
    """Pairing-code guesses per address: taken before the code is looked up, given back when
    it paired a device."""
    return by_address(deps, "pairing.address", client, deps.limits.pairing_failures_per_address)


# --- the client address ---
def client_address(peer: str | None, forwarded_for: str | None,
                   trusted_proxies: Iterable[str]) -> str | None:
    """Who is asking: the peer, unless the peer is a trusted proxy, then the right-most address
    of X-Forwarded-For that is not one (a client can prepend anything; it cannot append). IPv6
    clients are counted per /64, the block one subscriber usually holds."""
    networks = [ip_network(n, strict=False) for n in trusted_proxies]

    def trusted(address: str) -> bool:
        try:
            return any(ip_address(address) in n for n in networks)
        except ValueError:
            return False

    client = peer
    if peer is not None and forwarded_for and trusted(peer):
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        while hops and trusted(hops[-1]):
            hops.pop()
        client = hops[-1] if hops else peer
    return None if client is None else _counted_as(client)


def _counted_as(address: str) -> str:
    try:
        parsed = ip_address(address)
    except ValueError:
        return address[:64]  # not an IP (a test client's name): counted as given
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
