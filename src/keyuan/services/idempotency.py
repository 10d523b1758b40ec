"""Idempotency-Key on money-changing requests: the first request under a key runs, and every
later one with the same key and the same body gets the first answer again; the same key with a
different body is refused (`idempotency_key_reused`). Keys are kept for a day."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum

from keyuan.domain.errors import IdempotencyKeyReused
from keyuan.services.ports import Deps, IdempotencyRecord

KEEP = timedelta(hours=24)
STALE = timedelta(minutes=2)
"""A claim still running after this long was lost (the server stopped mid-request): a retry
takes it over and runs."""


class Claim(Enum):
    RUN = "run"  # this request is the first: run it, then `finish` or `release`
    RUNNING = "running"  # the first is still running: ask again shortly


def claim(scope: str, key: str, request_hash: str, deps: Deps) -> Claim | IdempotencyRecord:
    """Claim `key` for this request, or say what became of the first request under it."""
    with deps.uow() as uow:
        now = deps.clock.now()
        uow.idempotency.purge(before=now - KEEP)
        found = uow.idempotency.claim(scope, key, request_hash, now, stale_before=now - STALE)
        uow.commit()
    if found is None:
        return Claim.RUN
    if found.request_hash != request_hash:
        raise IdempotencyKeyReused()
    return Claim.RUNNING if found.status_code is None else found


def finish(scope: str, key: str, answer: IdempotencyRecord, deps: Deps) -> None:
    with deps.uow() as uow:
        uow.idempotency.finish(scope, key, answer)
        uow.commit()


def release(scope: str, key: str, deps: Deps) -> None:
    with deps.uow() as uow:
        uow.idempotency.release(scope, key)
        uow.commit()
