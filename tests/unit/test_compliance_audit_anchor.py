"""Anchors (C17): a digest kept offline makes a truncated audit log detectable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyuan.domain.compliance.audit import (
    GENESIS,
    Anchor,
    AuditEvent,
    anchor_of,
    next_event,
    verify_chain,
)

START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def chain(length: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    for i in range(length):
        events.append(next_event(events[-1] if events else None, at=START + timedelta(minutes=i),
                                 actor="admin", action="template_deleted", subject=f"p{i}",
                                 detail={"n": i}))
    return events


def test_c17_anchor_is_the_last_entry_and_round_trips_as_text() -> None:
    events = chain(4)
    anchor = anchor_of(events)

    assert (anchor.seq, anchor.hash) == (4, events[-1].hash)
    assert Anchor.parse(str(anchor)) == anchor


def test_c17_an_empty_log_anchors_at_genesis() -> None:
    assert anchor_of([]) == Anchor(0, GENESIS)
    assert verify_chain([], Anchor(0, GENESIS)) == []


@pytest.mark.parametrize("text", ["", "4", "x:" + "a" * 64, "4:" + "a" * 63, "4:" + "g" * 64])
def test_c17_a_malformed_anchor_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Anchor.parse(text)


def test_c17_truncation_passes_the_bare_chain_check_but_not_the_anchor() -> None:
    events = chain(6)
    anchor = anchor_of(events)
    truncated = events[:4]

    assert verify_chain(truncated) == []
    assert verify_chain(truncated, anchor) == [
        "log truncated: the anchor names entry 6, the log ends at entry 4"
    ]


def test_c17_a_log_grown_after_the_anchor_still_verifies() -> None:
    events = chain(3)
    anchor = anchor_of(events)
    events.append(next_event(events[-1], at=START + timedelta(hours=1), actor="admin",
                             action="audit_anchored", subject=None, detail={}))

    assert verify_chain(events, anchor) == []


def test_c17_a_rewritten_chain_no_longer_matches_its_anchor() -> None:
    anchor = anchor_of(chain(3))
    rewritten = chain(2)
    rewritten.append(next_event(rewritten[-1], at=START, actor="intruder", action="x",
                                subject=None, detail={}))

    assert verify_chain(rewritten) == []
    assert verify_chain(rewritten, anchor) == ["entry 3: differs from the anchor kept offline"]
