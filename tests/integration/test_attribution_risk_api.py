"""风控报告 over real HTTP on SQLite and PostgreSQL: signals from registrations and visits."""

from __future__ import annotations

from datetime import timedelta

from keyuan.demo.office import DEMO_ENTITY_NAME, demo_entity
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.checkin.person import Office
from keyuan.services.attribution import registration as reg
from keyuan.services.checkin.offices import ensure_office
from support.auth import client
from support.live import Live, mobile_check_in

OFFICE = "demo-office"
URL = f"/api/offices/{OFFICE}/risk-report"


def test_a_channel_whose_registrations_never_visit_and_a_masked_collision_are_reported(
        live: Live) -> None:
    deps = live.app.deps
    gaming = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "恒通分销", deps)
    honest = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "链家分销", deps)
    for i in range(5):
        reg.register(reg.RegisterCmd(gaming.id, f"客户{i}", f"1390000000{i}"), deps)
    # masked claims read as 判客 reads them: 前三后四 and the name. Later two different people
    # named 孙先生 whose numbers share 前三后四 visit, and a 钱女士: the 孙先生 claim could be
    # either of two numbers, the 钱女士 claim only one (no collision)
    reg.register(reg.RegisterCmd(gaming.id, "孙先生", "137****0777"), deps)
    reg.register(reg.RegisterCmd(gaming.id, "钱女士", "137****0777"), deps)
    claim = reg.register(reg.RegisterCmd(honest.id, "周先生", "13800000001"), deps)
    live.clock.advance(seconds=3600)
    reg.confirm_visit(reg.ConfirmVisitCmd(claim.id, "13800000001", staff="reception-1"), deps)
    live.clock.advance(seconds=int(timedelta(days=4).total_seconds()))
    mobile_check_in(live, "13711110777", name="孙先生")
    mobile_check_in(live, "13722220777", name="孙先生")
    mobile_check_in(live, "13733330777", name="钱女士")

    with client(live.base_url, live.app, "manager") as http:
        got = http.get(URL, params={"days": 30})
    assert got.status_code == 200, got.text
    body = got.json()
    fired = {(s["channel_name"], s["rule"]) for s in body["signals"]}
    assert fired == {("恒通分销", "never_visited"), ("恒通分销", "masked_collision")}
    never = next(s for s in body["signals"] if s["rule"] == "never_visited")
    assert never["count"] == 7  # the masked claims never visited either
    masked = next(s for s in body["signals"] if s["rule"] == "masked_collision")
    assert masked["count"] == 1 and masked["examples"][0]["masked_mobile"] == "137****0777"
    assert all("****" in e["masked_mobile"] for e in never["examples"])
    assert "13900000000" not in got.text and "template" not in got.text
    assert body["thresholds"]["never_visited_min"] == 5


def test_one_agent_registering_the_same_customers_masked_at_another_project(
        live: Live) -> None:
    """跨项目: the same channel name and agent name at another office; masked claims are the
    same customer only with the same name (as 判客 reads them)."""
    deps = live.app.deps
    ensure_office(Office(id="office-2", name="二期售楼处", legal_entity=DEMO_ENTITY_NAME),
                  demo_entity(), deps)
    here = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "速达分销", deps)
    there = reg.create_channel("office-2", ChannelKind.DISTRIBUTOR, "速达分销", deps)
    agents = [reg.add_agent(c.id, "赵经纪", deps, actor="admin") for c in (here, there)]
    for i in range(3):
        reg.register(reg.RegisterCmd(there.id, f"客户{i}", f"138****100{i}",
                                     agent_id=agents[1].id), deps)
        reg.register(reg.RegisterCmd(there.id, "别人", f"139****200{i}",
                                     agent_id=agents[1].id), deps)
    live.clock.advance(seconds=86400)
    for i in range(3):
        reg.register(reg.RegisterCmd(here.id, f"客户{i}", f"138****100{i}",
                                     agent_id=agents[0].id), deps)
        reg.register(reg.RegisterCmd(here.id, "另一人", f"139****200{i}",
                                     agent_id=agents[0].id), deps)

    with client(live.base_url, live.app, "manager") as http:
        body = http.get(URL, params={"days": 7}).json()
    across, = (s for s in body["signals"] if s["rule"] == "across_projects")
    assert across["agent_name"] == "赵经纪" and across["count"] == 3
    assert {e["masked_mobile"][:3] for e in across["examples"]} == {"138"}


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
