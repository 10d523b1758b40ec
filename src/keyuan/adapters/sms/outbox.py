"""The default SMS sender: an outbox table that reception staff can read."""

from __future__ import annotations

from collections.abc import Callable

from keyuan.adapters.store.uow import SqlUnitOfWork
from keyuan.services.ports import Clock


class OutboxSender:
    def __init__(self, uow: Callable[[], SqlUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def send(self, mobile: str, text: str) -> None:
        with self._uow() as uow:
            uow.outbox.put(at=self._clock.now(), channel="sms", recipient=mobile, body=text)
            uow.commit()


class MemorySender:
    """For unit tests of services: remembers what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, mobile: str, text: str) -> None:
        self.sent.append((mobile, text))
