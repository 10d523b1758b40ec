"""Append-only audit log, hash-chained: each entry carries the hash of the one before (C17)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keyuan.domain.canonical import sha256_hex

GENESIS = "0" * 64


@dataclass(eq=False)
class AuditEvent:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "at": self.at.isoformat(), "actor": self.actor,
            "action": self.action, "subject": self.subject, "detail": self.detail,
            "prev_hash": self.prev_hash,
        }

    def seal(self) -> None:
        self.hash = sha256_hex(self.body())


def next_event(
    last: AuditEvent | None, *, at: datetime, actor: str, action: str, subject: str | None,
    detail: dict[str, Any],
) -> AuditEvent:
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1, at=at, actor=actor, action=action, subject=subject,
        detail=detail, prev_hash=last.hash if last else GENESIS,
    )
    event.seal()
    return event


def chain_problems(events: list[AuditEvent]) -> list[str]:
    """Every break in the chain: edited, removed, reordered entries. Empty when intact."""
    problems: list[str] = []
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            problems.append(f"entry {event.seq}: expected sequence {expected_seq}")
        if event.prev_hash != prev:
            problems.append(f"entry {event.seq}: does not follow the entry before it")
        if sha256_hex(event.body()) != event.hash:
            problems.append(f"entry {event.seq}: content changed after it was written")
        prev = event.hash
    return problems
