"""The manager dashboard's daily risk alert on SQLite and PostgreSQL: the same count as the
report's signals evident today, read only from the channels with an event today."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from keyuan.adapters.store.repositories.dashboard import DashboardQueries
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import risk as risk_svc
from support.auth import client
from support.live import Live

if TYPE_CHECKING:
    from .conftest import Kiosk

OFFICE = "demo-office"


def hours(n: float) -> float:
    return timedelta(hours=n).total_seconds()


def visit(kiosk: Kiosk, mobile: str, name: str) -> None:
    session, notice = kiosk.start()
    kiosk.check_in_by_phone(session.id, notice.content_hash, mobile, name=name)


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Every `risk_claims` call: ("claims", the channels of the claims it returned)."""
    calls: list[tuple[str, Any]] = []
    real: Callable[..., Any] = DashboardQueries.risk_claims

    def spy(self: DashboardQueries, *args: Any, **kw: Any) -> Any:
        found = real(self, *args, **kw)
        calls.append(("claims", {c.channel_id for c in found}))
        return found

    monkeypatch.setattr(DashboardQueries, "risk_claims", spy)
    return calls


def test_the_alert_counts_todays_signals_reading_only_the_channels_active_today(
        store_kiosk: Kiosk, loaded: list[tuple[str, Any]]) -> None:
    deps, clock = store_kiosk.deps, store_kiosk.clock
    old = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "旧刷分销", deps)
    lapsing = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "恒通分销", deps)
    masked = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "速达分销", deps)
    honest = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "链家分销", deps)
    # 旧刷分销: five claims that lapsed unvisited a week ago — a signal, not today's
    for i in range(5):
        reg.register(reg.RegisterCmd(old.id, f"旧客{i}", f"1390000100{i}"), deps)
    clock.advance(seconds=hours(24 * 7))
    # 速达分销: a masked claim; one 孙先生 with that 前三后四 visits in two days …
    reg.register(reg.RegisterCmd(masked.id, "孙先生", "137****0777"), deps)
    honest_claim = reg.register(reg.RegisterCmd(honest.id, "周先生", "13800000001"), deps)
    clock.advance(seconds=hours(2))
    reg.confirm_visit(reg.ConfirmVisitCmd(honest_claim.id, "13800000001", staff="r"), deps)
    clock.advance(seconds=hours(46))
    visit(store_kiosk, "13711110777", "孙先生")
    # 恒通分销: five claims whose registration window ends tomorrow
    for i in range(5):
        reg.register(reg.RegisterCmd(lapsing.id, f"客户{i}", f"1390000000{i}"), deps)
    clock.advance(seconds=hours(73))  # the five lapse now; …
    visit(store_kiosk, "13722220777", "孙先生")  # … a second 孙先生 visits now

    report = risk_svc.risk_report(deps, office_id=OFFICE)
    assert {(s.channel_name, s.rule) for s in report.signals} == {
        ("旧刷分销", "never_visited"), ("恒通分销", "never_visited"),
        ("速达分销", "masked_collision")}
    assert {(s.channel_name, s.rule) for s in report.today()} == {
        ("恒通分销", "never_visited"), ("速达分销", "masked_collision")}

    loaded.clear()
    assert risk_svc.alerts_today(deps, office_id=OFFICE) == 2
    read = set().union(*(channels for _, channels in loaded))
    assert old.id not in read and honest.id not in read  # quiet today: their rows stay unread
    assert {lapsing.id, masked.id} <= read

    clock.advance(seconds=hours(48))  # a quiet day: nothing new, nothing read
    loaded.clear()
    assert risk_svc.alerts_today(deps, office_id=OFFICE) == 0
    assert loaded == []
    assert risk_svc.risk_report(deps, office_id=OFFICE).today() == []


def test_the_dashboard_reads_no_risk_rows_on_a_quiet_day(
        live: Live, loaded: list[tuple[str, Any]]) -> None:
    """Loading the manager dashboard does not build the report for its alert: a week-old
    signal and nothing new today — no registration row is read and no alert is shown."""
    deps = live.app.deps
    old = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "旧刷分销", deps)
    for i in range(5):
        reg.register(reg.RegisterCmd(old.id, f"旧客{i}", f"1390000100{i}"), deps)
    live.clock.advance(seconds=hours(24 * 7))
    with client(live.base_url, live.app, "manager") as http:
        loaded.clear()
        page = http.get("/dashboard", headers={"Accept": "text/html"})
        assert page.status_code == 200, page.text[:300]
        assert loaded == [] and "data-risk-today" not in page.text
        assert http.get(f"/api/offices/{OFFICE}/risk-report").json()["signals"]  # still there
