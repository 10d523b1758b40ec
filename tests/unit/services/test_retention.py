"""The purge (C18) on the fake store: a template outlives its purpose by nothing, a visitor
with a recent visit keeps it, and every deletion is audited. The fake office has no signings,
so everyone is on the no-deal path (deals on real stores: tests/integration)."""

from __future__ import annotations

from keyuan.services.compliance import retention
from unit.services.harness import Harness


def test_a_template_is_purged_once_the_no_deal_period_has_passed(harness: Harness) -> None:
    person_id = harness.new_face_visitor().consent.person_id
    harness.clock.advance(days=harness.deps.retention.no_deal_template_days + 1)

    report = retention.purge(harness.deps)

    assert person_id in report.templates
    assert person_id not in harness.committed.templates
    assert person_id not in harness.deps.gallery
    assert harness.actions()[-1] == "template_deleted"


def test_a_recent_visitor_keeps_the_template_and_a_dry_run_deletes_nothing(
        harness: Harness) -> None:
    person_id = harness.new_face_visitor().consent.person_id
    harness.clock.advance(days=harness.deps.retention.no_deal_template_days - 1)
    assert retention.purge(harness.deps).templates == {}

    harness.clock.advance(days=2)
    dry = retention.purge(harness.deps, dry_run=True)

    assert person_id in dry.templates
    assert person_id in harness.committed.templates
