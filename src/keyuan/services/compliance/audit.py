"""Audit log use cases (C17, C25): verify the whole chain, print an anchor to keep offline,
export the log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keyuan.domain.compliance.audit import Anchor, ChainBreak, anchor_of, chain_breaks
from keyuan.services.ports import Deps


@dataclass(frozen=True)
class AuditReport:
    entries: int
    head: Anchor
    problems: list[str]
    breaks: list[ChainBreak] = field(default_factory=list)  # the same, as data (for pages)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_audit(deps: Deps, anchor: Anchor | None = None) -> AuditReport:
    """Edits, removals and reorderings always show; truncation of the tail shows against an
    anchor taken earlier (without one, a shortened log still looks like a shorter intact log)."""
    with deps.uow() as uow:
        events = uow.audit.all()
    breaks = chain_breaks(events, anchor)
    return AuditReport(entries=len(events), head=anchor_of(events),
                       problems=[str(b) for b in breaks], breaks=breaks)


def take_anchor(deps: Deps, *, actor: str = "admin") -> Anchor:
    """The head of the chain as it is now, also appended to the anchor file outside the store
    (`Deps.anchors`); taking it is itself audited (after the anchored entry, so the anchor
    stays valid). The serving process takes one every day (`RetentionScheduler`)."""
    with deps.uow() as uow:
        events = uow.audit.all()
        anchor = anchor_of(events)
        now = deps.clock.now()
        if deps.anchors is not None:
            deps.anchors.append(anchor, now)
        uow.audit.append(at=now, actor=actor, action="audit_anchored", subject=None,
                         detail={"seq": anchor.seq, "hash": anchor.hash})
        uow.commit()
    return anchor


def kept_anchor(deps: Deps) -> tuple[Anchor, datetime] | None:
    """The newest anchor of the file outside the store, and when it was taken."""
    return deps.anchors.latest() if deps.anchors is not None else None


def export_audit(deps: Deps, *, actor: str = "dpo") -> list[dict[str, Any]]:
    """C25: the whole log with its hashes, for the DPO or an auditor to re-verify elsewhere.
    The export itself is audited (after the exported entries)."""
    with deps.uow() as uow:
        events = uow.audit.all()
        rows = [{**event.body(), "hash": event.hash} for event in events]
        uow.audit.append(at=deps.clock.now(), actor=actor, action="audit_exported", subject=None,
                         detail={"entries": len(rows), "head": str(anchor_of(events))})
        uow.commit()
    return rows
