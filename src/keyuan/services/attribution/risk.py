"""风控报告: the risk signals of one office over the last N days (see `domain/attribution/risk`),
with the thresholds the office set for itself or the defaults, each claim judged by the same
rules as at the signing (`teams.claim_rules`). Reads registrations and visits
only (`uow.dashboard`), never a biometric field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from keyuan.domain.attribution.registration import AttributionRules
from keyuan.domain.attribution.risk import (
    Arrival,
    Claim,
    OfficeThresholds,
    RiskThresholds,
    Signal,
    evident_since,
    risk_signals,
)
from keyuan.domain.checkin.person import Office
from keyuan.domain.display import Window
from keyuan.domain.errors import UnknownOffice
from keyuan.services.attribution import teams
from keyuan.services.checkin.setup import office_or_first
from keyuan.services.ports import Deps, UnitOfWork

MAX_DAYS = 366
ALERT_DAYS = 1
"""Today's alert: signals that became evident in the last day."""


@dataclass(frozen=True)
class RiskReport:
    office: Office
    window: Window
    thresholds: RiskThresholds
    own: OfficeThresholds | None  # the office's own thresholds (who set them, when); None: defaults
    signals: list[Signal]

    def today(self) -> list[Signal]:
        """Signals that became evident in the last day — a new registration, or the visit that
        made an earlier one a signal (the dashboard's alert)."""
        return evident_since(self.signals, self.window.end - timedelta(days=ALERT_DAYS))


@dataclass(frozen=True)
class _Basis:
    """What the report and today's alert both stand on: the office, its thresholds, the window,
    the office's rules and the shortest and longest any of its claims can have (a company or a
    team may set its own), and how far back that makes them read."""

    office: Office
    own: OfficeThresholds | None
    thresholds: RiskThresholds
    rules: AttributionRules
    shortest: AttributionRules
    longest: AttributionRules
    window: Window
    now: datetime

    @property
    def lookback(self) -> datetime:
        """The oldest claim that can still matter: one whose (longest) validity and protection
        end just before a re-registration in the window."""
        return (self.window.start - self.longest.registration_valid - self.longest.protection
                - timedelta(hours=self.thresholds.reregister_within_hours))


def _basis(uow: UnitOfWork, deps: Deps, office_id: str | None, days: int) -> _Basis:
    now = deps.clock.now()
    office = office_or_first(uow, office_id)
    own = uow.attribution.risk_thresholds(office.id)
    rules = uow.attribution.rules(office.id)
    shortest, longest = teams.rules_span_of(uow, office.id, rules)
    return _Basis(office, own, own.thresholds if own else RiskThresholds(), rules, shortest,
                  longest, Window.ending(now, days), now)


def _signals(uow: UnitOfWork, basis: _Basis, history: list[Claim], arrivals: list[Arrival],
             on_file: Sequence[Claim] = ()) -> list[Signal]:
    """The signals over the window's claims among `history`, every claim (and the full numbers
    `on_file`) judged by its own rules, as the signing and the portal judge it
    (`teams.claim_rules`: its team's, its company's, else the office's)."""
    known = {c.id for c in history}
    judged = _with_own_rules(uow, basis.rules,
                             [*history, *(c for c in on_file if c.id not in known)])
    claims = [c for c in judged
              if c.id in known and basis.window.start <= c.created_at < basis.window.end]
    elsewhere = uow.dashboard.claims_elsewhere(basis.office.id, {(c.prefix, c.suffix)
                                                                 for c in claims})
    return risk_signals(claims, history=judged, arrivals=arrivals, elsewhere=elsewhere,
                        thresholds=basis.thresholds, rules=basis.rules, now=basis.now)


def _with_own_rules(uow: UnitOfWork, office_rules: AttributionRules,
                    claims: list[Claim]) -> list[Claim]:
    own = teams.claim_rules(uow, office_rules, claims)
    return [replace(c, rules=own[c.id].rules) if own[c.id].inherited else c for c in claims]


def risk_report(deps: Deps, *, office_id: str | None = None, days: int = 30) -> RiskReport:
    """The office's signals over registrations made in the last `days` local days, under the
    office's own thresholds or, when it set none, the defaults; each claim judged by its own
    validity and protection (its team's or company's where set)."""
    with deps.uow() as uow:
        b = _basis(uow, deps, office_id, days)
        signals = _signals(uow, b, uow.dashboard.risk_claims(b.office.id, b.lookback),
                           uow.dashboard.risk_arrivals(b.office.id, b.lookback))
    return RiskReport(b.office, b.window, b.thresholds, b.own, signals)


def alerts_today(deps: Deps, *, office_id: str | None = None, days: int = 30) -> int:
    """How many of the report's signals became evident today (`RiskReport.today`, the
    dashboard's alert), computing only what that needs. A signal is evident at its newest
    event, so only a channel with an event today can raise one: a registration made, or whose
    window ended; an escort; a visit or a full-number claim on a masked claim's 前三后四; its
    name registering at another office. No such channel: 0, nothing else read. Otherwise only
    those channels' claims, and the visits and claims on their numbers, are read — a channel's
    counts are over its own rows, so the answer is the report's."""
    with deps.uow() as uow:
        b = _basis(uow, deps, office_id, days)
        since = b.window.end - timedelta(days=ALERT_DAYS)
        touched = _touched(uow, b, since)
        if not touched:
            return 0
        history = uow.dashboard.risk_claims(b.office.id, b.lookback, channels=touched)
        masked = {(c.prefix, c.suffix) for c in history if c.mobile_hash is None}
        on_file = uow.dashboard.risk_claims(b.office.id, b.lookback, masks=masked) \
            if masked else []
        arrivals = uow.dashboard.risk_arrivals(
            b.office.id, b.lookback, hashes={c.mobile_hash for c in history if c.mobile_hash},
            masks=masked)
        signals = _signals(uow, b, history, arrivals, on_file)
    return len(evident_since(signals, since))


def _touched(uow: UnitOfWork, b: _Basis, since: datetime) -> set[str]:
    """The channels with an event since `since` that could make a signal evident (see
    `alerts_today`). A claim lapses in the day by its own validity: every claim that can
    (by the shortest and the longest validity of the office's claims) is looked at."""
    office_id = b.office.id
    news = uow.dashboard.risk_news(office_id, since, (
        since - b.longest.registration_valid, b.window.end - b.shortest.registration_valid))
    today = uow.dashboard.risk_arrivals(office_id, since)
    escorted = {a.registration_id for a in today if a.registration_id}
    touched = {c.channel_id for c in news} | {
        c.channel_id for c in uow.dashboard.claims_by_id(escorted)}
    touched |= uow.dashboard.channels_named_elsewhere(office_id, since)
    masks = {(c.prefix, c.suffix) for c in news if c.created_at >= since} | {
        (a.prefix, a.suffix) for a in today if a.prefix}
    if masks:
        touched |= {c.channel_id for c in uow.dashboard.risk_claims(
            office_id, b.window.start, masks=masks) if c.mobile_hash is None}
    return touched


def thresholds_of(deps: Deps, office_id: str | None = None
                  ) -> tuple[Office, RiskThresholds, OfficeThresholds | None]:
    """The office, the thresholds its report uses, and its own set (None: the defaults)."""
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)
        own = uow.attribution.risk_thresholds(office.id)
    return office, own.thresholds if own else RiskThresholds(), own


def set_thresholds(office_id: str, changes: Mapping[str, int], deps: Deps, *, actor: str
                   ) -> OfficeThresholds:
    """Change some of the office's thresholds (the rest stay as they apply now), validated
    before anything is written (`InvalidThresholds`), audited. Changes of one office pass one
    at a time (the office row's lock), so parallel changes never lose one another's fields."""
    with deps.uow() as uow:
        office = uow.offices.lock(office_id)
        if office is None:
            raise UnknownOffice()
        current = uow.attribution.risk_thresholds(office.id)
        before = current.thresholds if current else RiskThresholds()
        saved = OfficeThresholds(before.changed(**changes), deps.clock.now(), actor)
        uow.attribution.set_risk_thresholds(office.id, saved)
        uow.audit.append(at=saved.set_at, actor=actor, action="risk_thresholds_set",
                         subject=office.id, detail={
                             "changed": {k: v for k, v in vars(saved.thresholds).items()
                                         if getattr(before, k) != v},
                             "thresholds": dict(vars(saved.thresholds))})
        uow.commit()
    return saved
