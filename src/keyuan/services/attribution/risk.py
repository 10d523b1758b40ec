"""风控报告: the risk signals of one office over the last N days (see `domain/attribution/risk`),
with the thresholds the office set for itself or the defaults. Reads registrations and visits
only (`uow.dashboard`), never a biometric field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

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
from keyuan.services.ports import Deps

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
