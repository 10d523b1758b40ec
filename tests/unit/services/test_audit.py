"""The audit chain as the use cases write it (C17, C25): intact after real work, an edit shows,
a cut tail shows against an anchor kept offline, exporting is itself audited."""

from __future__ import annotations

from keyuan.domain.compliance.audit import Anchor
from keyuan.services.compliance import audit
from unit.services.harness import Harness


def test_the_chain_written_by_the_use_cases_is_intact(harness: Harness) -> None:
    harness.new_face_visitor()
    harness.check_in_by_phone()
    report = audit.verify_audit(harness.deps)
    assert report.intact, report.problems
    assert report.entries == len(harness.committed.audit) > 5
    assert report.head.seq == harness.committed.audit[-1].seq


def test_an_edited_entry_is_found(harness: Harness) -> None:
    harness.new_face_visitor()
    harness.committed.audit[2].actor = "someone else"
    report = audit.verify_audit(harness.deps)
    assert not report.intact
    assert any("entry 3" in problem for problem in report.problems)


def test_a_cut_tail_is_found_against_an_anchor_taken_before(harness: Harness) -> None:
    harness.new_face_visitor()
    anchor = audit.take_anchor(harness.deps)
    assert harness.actions()[-1] == "audit_anchored"
    assert audit.verify_audit(harness.deps, anchor).intact
    del harness.committed.audit[anchor.seq - 1:]
    assert audit.verify_audit(harness.deps).intact  # without the anchor it looks fine
    report = audit.verify_audit(harness.deps, anchor)
    assert any("truncated" in problem for problem in report.problems)


def test_an_anchor_names_the_head_before_the_anchoring_entry(harness: Harness) -> None:
    before = harness.committed.audit[-1]
    anchor = audit.take_anchor(harness.deps)
    assert anchor == Anchor(seq=before.seq, hash=before.hash)


def test_the_export_carries_every_entry_with_its_hash_and_is_audited(harness: Harness) -> None:
    harness.check_in_by_phone()
    entries = len(harness.committed.audit)
    rows = audit.export_audit(harness.deps, actor="dpo:li")
    assert len(rows) == entries
    assert [row["hash"] for row in rows] == [e.hash for e in harness.committed.audit[:entries]]
    last = harness.committed.audit[-1]
    assert (last.action, last.actor, last.detail["entries"]) == ("audit_exported", "dpo:li",
                                                                  entries)
