"""个人权利 (PIPL 44–47, 50; C19): requests by the person the data is about, each with a due date
of 15 working days (Mon–Fri, holidays not modelled) and a status. Pure rules."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from keyuan.domain.compliance.filing import add_working_days

DUE_WORKING_DAYS = 15


class RequestKind(StrEnum):
    ACCESS = "access"
    EXPORT = "export"
    CORRECT = "correct"
    WITHDRAW = "withdraw"
    DELETE = "delete"


class RequestStatus(StrEnum):
    DONE = "done"
    NEEDS_STAFF = "needs_staff"
    REFUSED = "refused"


@dataclass(eq=False)
class RightsRequest:
    person_id: str
    kind: RequestKind
    received_at: datetime
    status: RequestStatus
    detail: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: secrets.token_hex(12))
    due_on: date | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None

    def __post_init__(self) -> None:
        if self.due_on is None:
            self.due_on = add_working_days(self.received_at.date(), DUE_WORKING_DAYS)
        if self.status is not RequestStatus.NEEDS_STAFF and self.closed_at is None:
            self.closed_at = self.received_at

    def close(self, *, now: datetime, by: str, status: RequestStatus, outcome: str) -> None:
        """A member of staff answers; a refusal MUST carry its reason (PIPL 50)."""
        if not outcome.strip():
            raise ValueError("an answer (and for a refusal, its reason) is required")
        self.status, self.closed_at, self.closed_by = status, now, by
        self.detail = {**self.detail, "outcome": outcome}


KEPT_ALWAYS = [
    "同意与撤回记录（假名，不含姓名/手机号）：证明处理合法 — consent and withdrawal records, "
    "pseudonymous, prove lawful processing (SPC 6)",
    "审计日志：处理记录至少保存三年 — audit entries are processing records kept at least three "
    "years (PIPL 56)",
]
KEPT_FOR_BUYERS = (
    "已签约合同及其到访认定记录：法律要求保存 — the record of a signed contract and the visits "
    "that attributed it are kept as the law requires (contract and tax records)"
)


def kept_after_deletion(is_buyer: bool) -> list[str]:
    """What stays after 'delete everything', and why (the answer says so)."""
    return [*KEPT_ALWAYS, *([KEPT_FOR_BUYERS] if is_buyer else [])]
