"""The purge (C18): apply the retention policy with the injected clock; every deletion audited.
`keyuan purge [--dry-run]` and the scheduler inside `serve` both call `purge`."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from keyuan.config.retention import RetentionSettings
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.compliance.retention import (
    DealSource,
    RetentionPolicy,
    non_buyer_expired,
    purpose_ended,
)
from keyuan.services.checkin.face_gate import forget_face
from keyuan.services.compliance.audit import take_anchor
from keyuan.services.compliance.deals import SigningDeals
from keyuan.services.ports import Deps, UnitOfWork

log = logging.getLogger("keyuan.retention")
ACTOR = "retention"


def policy_from(settings: RetentionSettings, **overrides: int | None) -> RetentionPolicy:
    """The configured periods as a policy; a given override (a CLI option) wins."""
    values = {"no_deal_template_days": settings.template_no_deal_days,
              "deal_dispute_days": settings.dispute_period_days,
              "non_buyer_visit_days": settings.non_buyer_days,
              "non_buyer_mobile_days": settings.non_buyer_days,
              "transient_days": settings.transient_days,
              "open_deal_cap_days": settings.open_deal_cap_days}
    for name, days in overrides.items():
        if days is not None:
            values[name] = days
    return RetentionPolicy(**values)


@dataclass
class PurgeReport:
    at: datetime
    dry_run: bool
    templates: dict[str, str] = field(default_factory=dict)
    """pseudonym → why its purpose ended"""
    visits: int = 0
    identities: int = 0
    transient: int = 0

    def lines(self) -> list[str]:
        head = "DRY RUN — nothing deleted" if self.dry_run else "purged"
        return [f"{head} at {self.at:%Y-%m-%d %H:%M} UTC",
                f"  face templates: {len(self.templates)}",
                *(f"    {p}: {why}" for p, why in sorted(self.templates.items())),
                f"  visit records of non-buyers: {self.visits}",
                f"  names/mobiles of non-buyers erased: {self.identities}",
                f"  expired one-time codes, pairing codes and outbox messages: {self.transient}"]


def purge(
    deps: Deps, *, policy: RetentionPolicy | None = None, deals: DealSource | None = None,
    dry_run: bool = False,
) -> PurgeReport:
    """One transaction: a dry run computes the same report and rolls everything back. Deals
    come from the attribution store (`SigningDeals`) unless a source is given."""
    policy = policy or deps.retention
    with deps.uow() as uow:
        deals = deals or SigningDeals.load(uow)
        now = deps.clock.now()
        report = PurgeReport(at=now, dry_run=dry_run)
        last_visits = uow.compliance.last_visits()
        _templates(uow, deps, report, last_visits, deals, policy)
        _non_buyers(uow, report, last_visits, deals, policy)
        _escorts(uow, report, policy)
        cutoff = now - timedelta(days=policy.transient_days)
        report.transient = uow.compliance.delete_transient(cutoff)
        # Pairing codes nobody redeemed: useless once expired (used ones name their device).
        report.transient += uow.devices.delete_expired_codes(now)
        # Kiosk sessions and spent throttle windows: bookkeeping, not about anyone once old.
        uow.sessions.purge(cutoff, empty_only=False)
        uow.throttle.purge(int(now.timestamp()))
        if report.transient:
            uow.audit.append(at=now, actor=ACTOR, action="transient_purged", subject=None,
                             detail={"rows": report.transient})
        if not dry_run:
            uow.commit()
    return report


def _templates(uow: UnitOfWork, deps: Deps, report: PurgeReport,
               last_visits: dict[str, datetime], deals: DealSource,
               policy: RetentionPolicy) -> None:
    now = report.at
    for pseudonym, created in uow.compliance.template_dates().items():
        last = max(last_visits.get(pseudonym, created), created)
        why = purpose_ended(last_visit=last, deal=deals.status(pseudonym), now=now, policy=policy)
        if why is None:
            continue
        uow.vault.delete(pseudonym)
        consent = uow.consents.active_for(pseudonym, ConsentScope.FACE)
        if consent is not None:
            consent.withdraw(now)  # the receipt then shows the consent as ended
        uow.audit.append(at=now, actor=ACTOR, action="template_deleted", subject=pseudonym,
                         detail={"reason": "retention_expired", "why": why})
        report.templates[pseudonym] = why
        if not report.dry_run:
            uow.on_commit(partial(forget_face, deps, pseudonym))


def _non_buyers(uow: UnitOfWork, report: PurgeReport, last_visits: dict[str, datetime],
                deals: DealSource, policy: RetentionPolicy) -> None:
    now = report.at
    for person_id in last_visits:
        deal = deals.status(person_id)
        if deal.is_buyer:
            continue
        before = now - timedelta(days=policy.non_buyer_visit_days)
        uow.deals.delete_corrections(person_id, before)  # they reference the visits
        removed = uow.compliance.delete_visits(person_id, before)
        if removed:
            report.visits += removed
            uow.audit.append(at=now, actor=ACTOR, action="visits_purged", subject=person_id,
                             detail={"visits": removed, "reason": "retention_expired"})
    for person_id, created in uow.compliance.identified_persons().items():
        last = last_visits.get(person_id, created)
        if non_buyer_expired(last, now, policy.non_buyer_mobile_days, deals.status(person_id)):
            uow.compliance.erase_identity(person_id)
            report.identities += 1
            uow.audit.append(at=now, actor=ACTOR, action="identity_erased", subject=person_id,
                             detail={"reason": "retention_expired"})


def _escorts(uow: UnitOfWork, report: PurgeReport, policy: RetentionPolicy) -> None:
    """Escorted visits (到访确认) belong to a claim, not to a person: they go after the same
    time as a non-buyer's visits, unless a signing cites them as its evidence."""
    cited = {v for fact in uow.deals.signing_facts() for v in fact.evidence_visits}
    before = report.at - timedelta(days=policy.non_buyer_visit_days)
    removed = uow.deals.delete_escorts(before, cited)
    if removed:
        report.visits += removed
        uow.audit.append(at=report.at, actor=ACTOR, action="visits_purged", subject=None,
                         detail={"visits": removed, "reason": "retention_expired",
                                 "escorted": True})


@dataclass(frozen=True)
class PurgeRuns:
    """What the scheduler has done, for /metrics and the compliance dashboard (C18): a purge
    that fails is never silent."""

    runs: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str | None = None
    """The exception's type only: a message could carry personal data."""
    next_due: datetime | None = None


class RetentionScheduler:
    """Runs `purge`, then takes an audit anchor (`take_anchor`, kept in the anchor file), in a
    daemon thread by the injected clock: once at `start`, then every `interval`. A failed run
    is logged (type only), counted and retried after `retry`; the thread never dies of it.
    `tick()` is one look at the clock (the thread calls it every `poll`; tests call it with a
    fake clock). Built by `bootstrap.build` from `settings.retention`; `keyuan serve` starts
    it (C18)."""

    def __init__(self, deps: Deps, *, interval: timedelta, policy: RetentionPolicy | None = None,
                 deals: DealSource | None = None, retry: timedelta = timedelta(minutes=15),
                 poll: timedelta = timedelta(seconds=30)) -> None:
        self._deps, self.interval, self._policy, self._deals = deps, interval, policy, deals
        self.retry, self.poll = min(retry, interval), min(poll, interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="keyuan-retention", daemon=True)
        self._lock = threading.Lock()
        self.state = PurgeRuns()

    @property
    def runs(self) -> int:
        return self.state.runs

    def start(self) -> RetentionScheduler:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.poll.total_seconds())

    def tick(self) -> PurgeReport | None:
        """Purge if due by the clock; the report, or None when not due or when the run failed."""
        with self._lock:
            now = self._deps.clock.now()
            state = self.state
            if state.next_due is not None and now < state.next_due:
                return None
            try:
                report = purge(self._deps, policy=self._policy, deals=self._deals)
                if self._deps.anchors is not None:  # C17: a daily anchor outside the store
                    take_anchor(self._deps, actor=ACTOR)
            except Exception as exc:  # the scheduler must outlive any one run
                log.error("retention purge failed (%s); retrying in %s",
                          type(exc).__name__, self.retry)
                self.state = replace(
                    state, runs=state.runs + 1, failures=state.failures + 1,
                    consecutive_failures=state.consecutive_failures + 1, last_failure_at=now,
                    last_error=type(exc).__name__, next_due=now + self.retry)
                return None
            log.info("retention purge: %d templates, %d visits, %d identities",
                     len(report.templates), report.visits, report.identities)
            self.state = replace(state, runs=state.runs + 1, consecutive_failures=0,
                                 last_success_at=now, next_due=now + self.interval)
            return report

    @classmethod
    def from_settings(cls, deps: Deps, configured: RetentionSettings) -> RetentionScheduler:
        return cls(deps, interval=timedelta(hours=configured.purge_interval_hours),
                   policy=policy_from(configured),
                   retry=timedelta(minutes=configured.purge_retry_minutes))

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=30)
