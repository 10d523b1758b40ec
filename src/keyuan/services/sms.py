"""Sending a one-time code and recording what became of it (check-in and the rights portal).

The code is committed before it is sent: a database transaction is never held open across the
gateway's network round trips (and its retries). Every send — accepted, left for staff or
failed — is recorded (`sms_deliveries`: masked number, provider, outcome, the provider's ids)
and audited in its own unit of work; a failure is then raised to the caller as the
`SmsNotDelivered` the sender raised, which the API answers with its status and Retry-After."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from keyuan.domain.errors import SmsNotDelivered
from keyuan.domain.sms import CodeMessage, DeliveryOutcome, SmsAccepted, SmsDelivery
from keyuan.services.ports import Deps

log = logging.getLogger("keyuan.sms")


def deliver(message: CodeMessage, deps: Deps) -> SmsDelivery:
    """Send `message` through `deps.sender`; record and audit the outcome; raise on failure."""
    sender = deps.sender
    try:
        accepted = sender.send(message)
    except SmsNotDelivered as failed:
        record(message, deps, outcome=failed.outcome, provider_code=failed.provider_code,
               request_id=failed.request_id, attempts=failed.attempts)
        raise
    outcome = DeliveryOutcome.LEFT_FOR_STAFF if sender.offline else DeliveryOutcome.ACCEPTED
    return record(message, deps, outcome=outcome, accepted=accepted)


def record(message: CodeMessage, deps: Deps, *, outcome: str, accepted: SmsAccepted | None = None,
           provider_code: str | None = None, request_id: str | None = None,
           attempts: int = 1) -> SmsDelivery:
    delivery = SmsDelivery(
        id=secrets.token_hex(12), at=deps.clock.now(), purpose=message.purpose.value,
        provider=deps.sender.provider, masked_mobile=message.masked_mobile, outcome=outcome,
        provider_code=provider_code or None,
        request_id=accepted.request_id if accepted else request_id,
        message_id=accepted.message_id if accepted else None,
        attempts=accepted.attempts if accepted else attempts)
    with deps.uow() as uow:
        uow.outbox.record_delivery(delivery)
        uow.audit.append(at=delivery.at, actor=f"sms:{delivery.provider}", action="sms_delivery",
                         subject=delivery.id, detail={
                             "purpose": delivery.purpose, "outcome": delivery.outcome,
                             "provider_code": delivery.provider_code,
                             "request_id": delivery.request_id, "attempts": delivery.attempts})
        uow.commit()
    level = logging.INFO if outcome in (DeliveryOutcome.ACCEPTED,
                                        DeliveryOutcome.LEFT_FOR_STAFF) else logging.WARNING
    log.log(level, "sms %s code to %s via %s: %s%s (attempts %d)", delivery.purpose,
            delivery.masked_mobile, delivery.provider, delivery.outcome,
            f" {delivery.provider_code}" if delivery.provider_code else "", delivery.attempts)
    return delivery


def recent_deliveries(deps: Deps, limit: int = 20) -> list[SmsDelivery]:
    with deps.uow() as uow:
        return uow.outbox.deliveries(limit)


DELIVERED = frozenset({DeliveryOutcome.ACCEPTED, DeliveryOutcome.LEFT_FOR_STAFF})


@dataclass(frozen=True)
class SmsHealth:
    """What reception needs to know about codes right now: whether they go to the offline
    outbox (staff read them out), and whether the latest send failed (then visitors cannot get
    a code: reception checks them in on their behalf). `recent`: the last sends, newest first."""

    provider: str
    offline: bool
    failing: bool
    recent: list[SmsDelivery]


def sms_health(deps: Deps, limit: int = 5) -> SmsHealth:
    recent = recent_deliveries(deps, limit)
    failing = bool(recent) and recent[0].outcome not in DELIVERED
    return SmsHealth(provider=deps.sender.provider, offline=deps.sender.offline,
                     failing=failing, recent=recent)
