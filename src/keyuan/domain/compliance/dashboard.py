"""What the manager and compliance dashboards read, as a port, and its typed rows: aggregate
queries only — counts, channels and reason codes, never a template, score or distance. The real
one is `adapters/store/repositories/dashboard.py` (`uow.dashboard`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from keyuan.domain.attribution.risk import Arrival, Claim


@dataclass(frozen=True)
class MixRow:
    """Signings credited to one channel (None: natural) in a period."""

    channel_id: str | None
    kind: str | None
    name: str | None
    signings: int
    pending: int


@dataclass(frozen=True)
class QueuedSigning:
    id: str
    signed_at: datetime
    channel_name: str | None
    reason_codes: tuple[str, ...]
    sent_reason: str | None = None  # the desk's reason for sending it to review, if it did


@dataclass(frozen=True)
class OpenDispute:
    id: str
    channel_name: str
    opened_at: datetime
    reason: str
    period_start: datetime
    period_end: datetime
    signing_id: str | None


@dataclass(frozen=True)
class AnchorEntry:
    at: datetime
    seq: int | None
    hash: str | None


class DashboardQueries(Protocol):
    def visit_rows(self, office_id: str, start: datetime,
                   end: datetime) -> list[tuple[datetime, str]]:
        """(time, method) of every visit in [start, end): the caller buckets by local day."""

    def channel_mix(self, office_id: str, start: datetime, end: datetime) -> list[MixRow]: ...

    def funnel(self, office_id: str, start: datetime, end: datetime) -> tuple[int, int, int]:
        """(registered, of those visited after registering, of those signed) in [start, end)."""

    def review_queue(self, office_id: str,
                     limit: int = 50) -> tuple[int, list[QueuedSigning]]: ...

    def open_disputes(self, office_id: str) -> list[OpenDispute]: ...

    def declined_sessions(self, office_id: str, start: datetime, end: datetime) -> int: ...

    def consent_counts(self, office_id: str) -> list[tuple[str, int, int]]:
        """(scope, active, withdrawn) for the office's consents."""

    def template_ages(self, bounds: list[datetime]) -> list[tuple[str, list[int]]]:
        """(purpose, counts per age bucket) of the whole vault: counts only."""

    def last_anchor(self) -> AnchorEntry | None: ...

    def risk_claims(self, office_id: str, since: datetime, *,
                    channels: Collection[str] | None = None,
                    masks: Collection[tuple[str, str]] | None = None) -> list[Claim]:
        """The office's registrations made since `since`, oldest first (风控报告); only those
        of `channels`, or only those with one of `masks` (前三后四), when given."""

    def risk_news(self, office_id: str, since: datetime, lapsing: tuple[datetime, datetime]
                  ) -> list[Claim]:
        """Registrations made since `since`, or between the two times of `lapsing`."""

    def claims_by_id(self, ids: Collection[str]) -> list[Claim]: ...

    def channels_named_elsewhere(self, office_id: str, since: datetime) -> set[str]:
        """Ids of the office's channels named like one that registered at another office
        since `since`."""

    def risk_arrivals(self, office_id: str, since: datetime, *,
                      hashes: Collection[str] | None = None,
                      masks: Collection[tuple[str, str]] | None = None) -> list[Arrival]:
        """The office's visits since `since` (only of persons with one of `hashes` or whose
        number has one of `masks`, when given): number hash, 前三后四 and the name on file
        only, and the registration an escort confirmed — never a template, score or face
        evidence."""

    def claims_elsewhere(self, office_id: str, masks: Collection[tuple[str, str]]
                         ) -> list[Claim]:
        """Other offices' registrations, full or masked, with these 前三后四 (prefix, suffix)."""
