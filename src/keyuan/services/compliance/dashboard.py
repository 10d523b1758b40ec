"""The compliance dashboard as plain data: consent coverage, templates by purpose and age (counts
only), purges due, rights requests due, the audit chain and its last anchor, the impact
assessment and the filing counter — aggregate queries (`uow.dashboard`) and the compliance
services, by the office's local day (Asia/Shanghai) with the app clock."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from keyuan.domain.checkin.person import Office
from keyuan.domain.compliance.audit import ChainBreak
from keyuan.domain.compliance.dashboard import (
    AnchorEntry,
)
from keyuan.domain.compliance.filing import FilingStatus
from keyuan.domain.compliance.retention import (
    RetentionPolicy,
    non_buyer_expired,
    template_purpose_ends,
)
from keyuan.domain.display import DEFAULT_DAYS, DISPLAY_ZONE, Window
from keyuan.services.checkin.setup import office_or_first
from keyuan.services.compliance import audit as compliance_audit
from keyuan.services.compliance import filing as compliance_filing
from keyuan.services.compliance import pia as compliance_pia
from keyuan.services.compliance import rights
from keyuan.services.compliance.deals import SigningDeals
from keyuan.services.compliance.retention import PurgeRuns
from keyuan.services.ports import Deps, UnitOfWork

AGE_BUCKETS_DAYS = (30, 90, 180)  # templates: ≤30 d, 31–90, 91–180, older
PURGE_HORIZON_DAYS = 14


@dataclass(frozen=True)
class PurgeDay:
    day: date
    templates: int
    identities: int


@dataclass(frozen=True)
class PurgeSchedule:
    overdue_templates: int
    overdue_identities: int
    upcoming: list[PurgeDay]
    later_templates: int
    held_for_deals: int


@dataclass(frozen=True)
class RightsDue:
    id: str
    kind: str
    received_at: datetime
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class AuditStatus:
    intact: bool
    entries: int
    head_seq: int
    first_problem: ChainBreak | None  # the page words it by its kind
    anchor: AnchorEntry | None


@dataclass(frozen=True)
class PiaStatus:
    state: str  # current / stale / missing / demo (a demonstration outside demo mode)
    recorded_at: datetime | None
    demo: bool


@dataclass(frozen=True)
class ComplianceDashboard:
    office: Office
    window: Window
    visits_by_method: dict[str, int]
    declined_face: int
    consents: list[tuple[str, int, int]]
    templates: list[tuple[str, list[int]]]
    purge: PurgeSchedule
    rights_due: list[RightsDue]
    audit: AuditStatus
    pia: PiaStatus
    filing: list[FilingStatus] = field(default_factory=list)
    purge_runs: PurgeRuns | None = None

    @property
    def overdue_requests(self) -> int:
        return sum(1 for r in self.rights_due if r.overdue)


def purge_schedule(uow: UnitOfWork, now: datetime, policy: RetentionPolicy
                   ) -> PurgeSchedule:
    """When each template's and each non-buyer identity's purpose ends (the same rules the
    purge applies), grouped by local day for the next two weeks. Dates and counts only."""
    deals = SigningDeals.load(uow)
    last_visits = uow.compliance.last_visits()
    today = now.astimezone(DISPLAY_ZONE).date()
    horizon = today + timedelta(days=PURGE_HORIZON_DAYS)
    templates: Counter[date] = Counter()
    identities: Counter[date] = Counter()
    overdue_t = overdue_i = later = held = 0
    for pseudonym, created in uow.compliance.template_dates().items():
        last = max(last_visits.get(pseudonym, created), created)
        deal = deals.status(pseudonym)
        ends = template_purpose_ends(last_visit=last, deal=deal, policy=policy)
        if ends is None:  # a deal in progress holds the template until it is settled
            held += 1
        elif now >= ends:
            overdue_t += 1
        elif (day := ends.astimezone(DISPLAY_ZONE).date()) <= horizon:
            templates[day] += 1
        elif deal.signed and deal.settled_at is None:  # held, up to the open-deal cap
            held += 1
        else:
            later += 1
    for person_id, created in uow.compliance.identified_persons().items():
        deal = deals.status(person_id)
        if deal.is_buyer:
            continue
        last = last_visits.get(person_id, created)
        if non_buyer_expired(last, now, policy.non_buyer_mobile_days, deal):
            overdue_i += 1
        elif (day := (last + timedelta(days=policy.non_buyer_mobile_days))
              .astimezone(DISPLAY_ZONE).date()) <= horizon:
            identities[day] += 1
    days = sorted(set(templates) | set(identities))
    return PurgeSchedule(overdue_t, overdue_i,
                         [PurgeDay(d, templates[d], identities[d]) for d in days], later, held)


def _audit_status(deps: Deps, anchor: AnchorEntry | None) -> AuditStatus:
    report = compliance_audit.verify_audit(deps)
    return AuditStatus(intact=report.intact, entries=report.entries, head_seq=report.head.seq,
                       first_problem=report.breaks[0] if report.breaks else None,
                       anchor=anchor)


def _pia_status(deps: Deps) -> PiaStatus:
    status = compliance_pia.assessment_status(deps)
    latest = status.latest
    if latest is None:
        return PiaStatus("missing", None, False)
    if latest.demo and not deps.demo:  # a demonstration licenses demo mode only
        return PiaStatus("demo", latest.recorded_at, True)
    return PiaStatus("current" if status.current else "stale", latest.recorded_at, latest.demo)


def compliance_dashboard(deps: Deps, *, office_id: str | None = None, days: int = DEFAULT_DAYS,
                         policy: RetentionPolicy | None = None,
                         purge_runs: PurgeRuns | None = None) -> ComplianceDashboard:
    """`purge_runs`: the state of the purge scheduler running in this process (None: none
    runs here, which the page says)."""
    now = deps.clock.now()
    window = Window.ending(now, days)
    bounds = [now - timedelta(days=d) for d in AGE_BUCKETS_DAYS]
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)
        q = uow.dashboard
        visits = Counter(m for _, m in q.visit_rows(office.id, window.start, window.end))
        declined = q.declined_sessions(office.id, window.start, window.end)
        consents = q.consent_counts(office.id)
        templates = q.template_ages(bounds)
        purge = purge_schedule(uow, now, policy or deps.retention)
        anchor = q.last_anchor()
    due = [RightsDue(r.id, r.kind.value, r.received_at, r.due_on, r.due_on < window.today)
           for r in rights.staff_queue(deps) if r.due_on is not None]
    return ComplianceDashboard(
        office=office, window=window, visits_by_method=dict(visits), declined_face=declined,
        consents=consents, templates=templates, purge=purge, rights_due=due,
        audit=_audit_status(deps, anchor), pia=_pia_status(deps),
        filing=compliance_filing.filing_overview(deps), purge_runs=purge_runs)
