"""风控报告 over real HTTP on SQLite and PostgreSQL: signals from registrations and visits."""

from __future__ import annotations

from datetime import timedelta

from keyuan.domain.attribution.channels import ChannelKind
from keyuan.services.attribution import registration as reg
from support.auth import client
from support.live import Live, mobile_check_in

OFFICE = "demo-office"
URL = f"/api/offices/{OFFICE}/risk-report"


def test_a_channel_whose_registrations_never_visit_and_a_masked_collision_are_reported(
        live: Live) -> None:
    deps = live.app.deps
    gaming = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "恒通分销", deps)
    honest = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "链家分销", deps)
    mobile_check_in(live, "13711110777", name="赵先生")
    mobile_check_in(live, "13722220777", name="钱女士")
    live.clock.advance(seconds=3 * 3600)  # not minutes after their visits: no 截客 signal
    for i in range(5):
        reg.register(reg.RegisterCmd(gaming.id, f"客户{i}", f"1390000000{i}"), deps)
    reg.register(reg.RegisterCmd(gaming.id, "孙先生", "137****0777"), deps)
    claim = reg.register(reg.RegisterCmd(honest.id, "周先生", "13800000001"), deps)
    live.clock.advance(seconds=3600)
    reg.confirm_visit(reg.ConfirmVisitCmd(claim.id, "13800000001", staff="reception-1"), deps)
    live.clock.advance(seconds=int(timedelta(days=4).total_seconds()))

    with client(live.base_url, live.app, "manager") as http:
        got = http.get(URL, params={"days": 30})
    assert got.status_code == 200, got.text
    body = got.json()
    fired = {(s["channel_name"], s["rule"]) for s in body["signals"]}
    assert fired == {("恒通分销", "never_visited"), ("恒通分销", "masked_collision")}
    never = next(s for s in body["signals"] if s["rule"] == "never_visited")
    assert never["count"] == 6  # the masked claim never visited either
    assert all("****" in e["masked_mobile"] for e in never["examples"])
    assert "13900000000" not in got.text and "template" not in got.text
    assert body["thresholds"]["never_visited_min"] == 5


def test_the_report_is_for_managers_and_finance_never_a_channel(live: Live) -> None:
    channel = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "恒通分销", live.app.deps)
    for role in ("finance", "admin"):
        with client(live.base_url, live.app, role) as http:
            assert http.get(URL).status_code == 200
    for role, scope in (("distributor", channel.id), ("reception", None), ("sales", None)):
        with client(live.base_url, live.app, role, channel=scope) as http:
            assert http.get(URL).status_code == 403


def test_bad_days_and_unknown_office_answer_json_errors(live: Live) -> None:
    with client(live.base_url, live.app, "manager") as http:
        bad = http.get(URL, params={"days": 0})
        assert bad.status_code == 422 and "error" in bad.json()
        missing = http.get("/api/offices/nowhere/risk-report")
        assert missing.status_code == 404 and "error" in missing.json()
