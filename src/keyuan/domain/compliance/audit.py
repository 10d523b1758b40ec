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


@dataclass(frozen=True)
class ChainBreak:
    """One break in the chain, as data (pages put it in their own words by `kind`); `str()` is
    the English line the CLI, the API and the printouts show."""

    kind: str  # one of BREAK_KINDS
    seq: int   # the entry concerned (for `truncated`: the entry the anchor names)
    other: int = 0  # `sequence`: the sequence expected there; `truncated`: the log's last entry

    def __str__(self) -> str:
        match self.kind:
            case "sequence":
                return f"entry {self.seq}: expected sequence {self.other}"
            case "link":
                return f"entry {self.seq}: does not follow the entry before it"
            case "content":
                return f"entry {self.seq}: content changed after it was written"
            case "truncated":
                return (f"log truncated: the anchor names entry {self.seq}, "
                        f"the log ends at entry {self.other}")
            case _:
                return f"entry {self.seq}: differs from the anchor kept offline"


BREAK_KINDS = ("sequence", "link", "content", "truncated", "anchor")


def chain_breaks(events: list[AuditEvent], anchor: Anchor | None = None) -> list[ChainBreak]:
    """Every break in the chain: edited, removed, reordered entries; given an anchor, also
    truncation: the anchored entry must still be there with the same hash (an intact chain then
    proves everything before it). Empty when intact."""
    breaks: list[ChainBreak] = []
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            breaks.append(ChainBreak("sequence", event.seq, expected_seq))
        if event.prev_hash != prev:
            breaks.append(ChainBreak("link", event.seq))
        if sha256_hex(event.body()) != event.hash:
            breaks.append(ChainBreak("content", event.seq))
        prev = event.hash
    if anchor is None or anchor.seq == 0:
        return breaks
    by_seq = {event.seq: event for event in events}
    anchored = by_seq.get(anchor.seq)
    if anchored is None:
        breaks.append(ChainBreak("truncated", anchor.seq, events[-1].seq if events else 0))
    elif anchored.hash != anchor.hash:
        breaks.append(ChainBreak("anchor", anchor.seq))
    return breaks


def chain_problems(events: list[AuditEvent]) -> list[str]:
    """Every break in the chain: edited, removed, reordered entries. Empty when intact."""
    return [str(b) for b in chain_breaks(events)]


@dataclass(frozen=True)
class Anchor:
    """锚点: the sequence number and hash of the newest entry, kept offline (printed, emailed to the
    DPO). A later log that lost entries from its tail no longer reaches the anchor."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        seq, sep, digest = text.strip().partition(":")
        if not sep or not seq.isdigit() or len(digest) != 64:
            raise ValueError("an anchor reads '<seq>:<64 hex digits>'")
        int(digest, 16)  # ValueError unless hex
        return cls(seq=int(seq), hash=digest.lower())


def anchor_of(events: list[AuditEvent]) -> Anchor:
    """The anchor of a log: its last entry (seq 0 and the genesis hash for an empty log)."""
    if not events:
        return Anchor(seq=0, hash=GENESIS)
    return Anchor(seq=events[-1].seq, hash=events[-1].hash)


def verify_chain(events: list[AuditEvent], anchor: Anchor | None = None) -> list[str]:
    """`chain_problems` plus, given an anchor, truncation (`chain_breaks` in English lines)."""
    return [str(b) for b in chain_breaks(events, anchor)]
