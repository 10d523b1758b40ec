"""风控报告: the risk signals of one office over the last N days (see `domain/attribution/risk`),
with the thresholds the office set for itself or the defaults. Reads registrations and visits
only (`uow.dashboard`), never a biometric field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from keyuan.domain.attribution.registration import AttributionRules
from keyuan.domain.attribution.risk import (
    OfficeThresholds,
    RiskThresholds,
    Signal,
    evident_since,
    risk_signals,
)
from keyuan.domain.checkin.person import Office
from keyuan.domain.display import Window
from keyuan.domain.errors import UnknownOffice
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


def risk_report(deps: Deps, *, office_id: str | None = None, days: int = 30) -> RiskReport:
    """The office's signals over registrations made in the last `days` local days, under the
    office's own thresholds or, when it set none, the defaults."""
    window = Window.ending(deps.clock.now(), days)
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)
        own = uow.attribution.risk_thresholds(office.id)
        t = own.thresholds if own else RiskThresholds()
        rules = uow.attribution.rules(office.id)
        lookback = window.start - rules.registration_valid - rules.protection \
            - timedelta(hours=t.reregister_within_hours)
        history = uow.dashboard.risk_claims(office.id, lookback)
        arrivals = uow.dashboard.risk_arrivals(office.id, lookback)
        claims = [c for c in history if window.start <= c.created_at < window.end]
        elsewhere = uow.dashboard.claims_elsewhere(office.id, {(c.prefix, c.suffix)
                                                               for c in claims})
        signals = risk_signals(claims, history=history, arrivals=arrivals, elsewhere=elsewhere,
                               thresholds=t, rules=rules, now=deps.clock.now())
    return RiskReport(office, window, t, own, signals)


def alerts_today(deps: Deps, *, office_id: str | None = None, days: int = 30) -> int:
    """How many of the report's signals became evident today (`RiskReport.today`, the
    dashboard's alert), computing only what that needs. A signal is evident at its newest
    event, so only a channel with an event today can raise one: a registration made, or whose
    window ended; an escort; a visit or a full-number claim on a masked claim's 前三后四; its
    name registering at another office. No such channel: 0, nothing else read. Otherwise only
    those channels' claims, and the visits and claims on their numbers, are read — a channel's
    counts are over its own rows, so the answer is the report's."""
    window = Window.ending(deps.clock.now(), days)
    since = window.end - timedelta(days=ALERT_DAYS)
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)
        own = uow.attribution.risk_thresholds(office.id)
        t = own.thresholds if own else RiskThresholds()
        rules = uow.attribution.rules(office.id)
        touched = _touched(uow, office.id, since, window, rules)
        if not touched:
            return 0
        lookback = window.start - rules.registration_valid - rules.protection \
            - timedelta(hours=t.reregister_within_hours)
        history = uow.dashboard.risk_claims(office.id, lookback, channels=touched)
        claims = [c for c in history if window.start <= c.created_at < window.end]
        masked = {(c.prefix, c.suffix) for c in history if c.mobile_hash is None}
        on_file = uow.dashboard.risk_claims(office.id, lookback, masks=masked) if masked else []
        arrivals = uow.dashboard.risk_arrivals(
            office.id, lookback, hashes={c.mobile_hash for c in history if c.mobile_hash},
            masks=masked)
        elsewhere = uow.dashboard.claims_elsewhere(office.id, {(c.prefix, c.suffix)
                                                               for c in claims})
        known = {c.id for c in history}
        signals = risk_signals(claims, history=history + [c for c in on_file if c.id not in known],
                               arrivals=arrivals, elsewhere=elsewhere, thresholds=t,
                               rules=rules, now=deps.clock.now())
    return len(evident_since(signals, since))


def _touched(uow: UnitOfWork, office_id: str, since: datetime, window: Window,
             rules: AttributionRules) -> set[str]:
    """The channels with an event since `since` that could make a signal evident (see
    `alerts_today`)."""
    now_lapse = window.end - rules.registration_valid
    news = uow.dashboard.risk_news(office_id, since,
                                   (since - rules.registration_valid, now_lapse))
    today = uow.dashboard.risk_arrivals(office_id, since)
    escorted = {a.registration_id for a in today if a.registration_id}
    touched = {c.channel_id for c in news} | {
        c.channel_id for c in uow.dashboard.claims_by_id(escorted)}
    touched |= uow.dashboard.channels_named_elsewhere(office_id, since)
    masks = {(c.prefix, c.suffix) for c in news if c.created_at >= since} | {
        (a.prefix, a.suffix) for a in today if a.prefix}
    if masks:
        touched |= {c.channel_id for c in uow.dashboard.risk_claims(
            office_id, window.start, masks=masks) if c.mobile_hash is None}
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
