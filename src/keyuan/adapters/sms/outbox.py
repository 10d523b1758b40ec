"""The demo/offline SMS sender: an outbox table that reception staff read out (`keyuan outbox`).
A code read out by staff proves nothing about who holds the number, so the kiosk labels this
sender (演示/离线短信) and production refuses it unless `sms.offline` says so on purpose."""

from __future__ import annotations

from collections.abc import Callable

from keyuan.adapters.store.uow import SqlUnitOfWork
from keyuan.domain.sms import CodeMessage, SmsAccepted
from keyuan.services.ports import Clock


class OutboxSender:
    provider, offline = "outbox", True

    def __init__(self, uow: Callable[[], SqlUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def send(self, message: CodeMessage) -> SmsAccepted:
        with self._uow() as uow:
            uow.outbox.put(at=self._clock.now(), channel="sms", recipient=message.mobile,
                           body=message.text())
            uow.commit()
        return SmsAccepted(provider=self.provider)


class MemorySender:
    """For unit tests of services and the scripted demo: remembers what was sent, as
    `(mobile, text)` pairs (`messages` keeps the messages themselves)."""

    provider, offline = "memory", True

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.messages: list[CodeMessage] = []

    def send(self, message: CodeMessage) -> SmsAccepted:
        self.messages.append(message)
        self.sent.append((message.mobile, message.text()))
        return SmsAccepted(provider=self.provider)
