"""风控报告: the risk signals of one office over the last N days (see `domain/attribution/risk`).
Reads registrations and visits only (`uow.dashboard`), never a biometric field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from keyuan.domain.attribution.risk import RiskThresholds, Signal, risk_signals
from keyuan.domain.checkin.person import Office
from keyuan.domain.display import Window
from keyuan.services.checkin.setup import office_or_first
from keyuan.services.ports import Deps

MAX_DAYS = 366


@dataclass(frozen=True)
class RiskReport:
    office: Office
    window: Window
    thresholds: RiskThresholds
    signals: list[Signal]

    def today(self) -> list[Signal]:
        """Signals that became evident in the last day — a new registration, or the visit that
        made an earlier one a signal (the dashboard's alert)."""
        since = self.window.end - timedelta(days=1)
        return [s for s in self.signals if s.last_at >= since]


def risk_report(deps: Deps, *, office_id: str | None = None, days: int = 30,
                thresholds: RiskThresholds | None = None) -> RiskReport:
    """The office's signals over registrations made in the last `days` local days (defaults
    for thresholds: no per-office table yet)."""
    t = thresholds or RiskThresholds()
    window = Window.ending(deps.clock.now(), days)
    with deps.uow() as uow:
        office = office_or_first(uow, office_id)
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
    return RiskReport(office, window, t, signals)
