"""Rights requests (C19), pure: a due date of 15 working days, refusals carry a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from keyuan.domain.compliance.rights import (
    RequestKind,
    RequestStatus,
    RightsRequest,
    kept_after_deletion,
)

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_c19_every_request_is_due_in_15_working_days() -> None:
    request = RightsRequest("p1", RequestKind.CORRECT, MONDAY, RequestStatus.NEEDS_STAFF)

    assert request.due_on == date(2026, 3, 23)  # three Mon-Fri weeks later
    assert request.closed_at is None


def test_c19_a_request_answered_at_once_is_closed_when_received() -> None:
    request = RightsRequest("p1", RequestKind.ACCESS, MONDAY, RequestStatus.DONE)
    assert request.closed_at == MONDAY


def test_c19_a_refusal_needs_its_reason() -> None:
    request = RightsRequest("p1", RequestKind.CORRECT, MONDAY, RequestStatus.NEEDS_STAFF)
    with pytest.raises(ValueError):
        request.close(now=MONDAY, by="staff", status=RequestStatus.REFUSED, outcome=" ")
    request.close(now=MONDAY, by="staff", status=RequestStatus.REFUSED, outcome="号码不属于您")
    assert request.detail["outcome"] == "号码不属于您" and request.closed_by == "staff"


def test_c19_a_signed_contract_is_kept_and_the_answer_says_so() -> None:
    assert len(kept_after_deletion(is_buyer=True)) == len(kept_after_deletion(False)) + 1
    assert "signed contract" in kept_after_deletion(is_buyer=True)[-1]
