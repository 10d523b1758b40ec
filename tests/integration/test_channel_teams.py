"""渠道团队 over real HTTP on SQLite and PostgreSQL: an admin builds a company's tree (门店 →
团队), puts agents in it, sets 报备 rules and agreements on teams; claims are judged by their
team's rules (nearest wins, said in words), statements roll up per team and add up to the
company total, in the API and every export. A distributor reads only its own channel's tree;
parallel renames and moves leave one consistent tree and one audit entry per change."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.registration import AttributionRules
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import risk, signing
from support import auth
from support.live import Live, live_server
from support.parallel import together

OFFICE = "demo-office"
PRICE = 2_000_000_00


@pytest.fixture
def live(store_url: str, tmp_path: Path) -> Iterator[Live]:
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "live", engine=FakeEngine(FaceSettings()), face_module="off",
                     database_url=database_url) as server:
        yield server


@dataclass
class World:
    live: Live
    channel: str
    other: str
    admin: httpx.Client

    def tree(self, channel: str | None = None) -> dict[str, Any]:
        r = self.admin.get(f"/api/channels/{channel or self.channel}/teams")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def team(self, label: str) -> dict[str, Any]:
        return next(t for t in self.tree()["teams"] if t["label"] == label)

    def add(self, name: str, parent: str | None = None) -> str:
        r = self.admin.post(f"/api/admin/channels/{self.channel}/teams",
                            json={"name": name, "parent_id": parent})
        assert r.status_code == 201, r.text
        return str(next(t["team_id"] for t in r.json()["teams"]
                        if t["name"] == name and t["parent_id"] == parent))

    def agent(self, name: str, team: str | None) -> str:
        r = self.admin.post(f"/api/admin/channels/{self.channel}/agents", json={"name": name})
        agent_id = str(r.json()["agent_id"])
        r = self.admin.put(f"/api/admin/agents/{agent_id}/team", json={"team_id": team})
        assert r.status_code == 200, r.text
        return agent_id


@pytest.fixture
def world(live: Live) -> Iterator[World]:
    deps = live.app.deps
    channel = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "甲分销", deps).id
    other = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "乙分销", deps).id
    with auth.client(live.base_url, live.app, Role.admin) as admin:
        yield World(live, channel, other, admin)


def id_number(serial: str) -> str:
    first17 = f"11010519800101{serial}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights,
                                                                    strict=True)) % 11]


def audit_actions(live: Live, action: str) -> int:
    with live.app.deps.uow() as uow:
        return sum(1 for e in uow.audit.all() if e.action == action)


def test_a_distributor_reads_its_own_tree_and_never_another_channels(world: World) -> None:
    store = world.add("南京路店")
    world.add("一组", store)
    world.agent("李雷", store)
    live = world.live
    with auth.client(live.base_url, live.app, Role.distributor, channel=world.channel) as own:
        mine = own.get(f"/api/channels/{world.channel}/teams")
        theirs = own.get(f"/api/channels/{world.other}/teams")
        edit = own.post(f"/api/admin/channels/{world.channel}/teams", json={"name": "x"})
        rename = own.put(f"/api/admin/teams/{store}/name", json={"name": "偷改"})
    with auth.client(live.base_url, live.app, Role.distributor, channel=world.other) as rival:
        spy = rival.get(f"/api/channels/{world.channel}/teams")
    with auth.client(live.base_url, live.app, Role.agent, channel=world.channel) as agent:
        agent_view = agent.get(f"/api/channels/{world.channel}/teams")

    assert mine.status_code == 200
    assert [t["label"] for t in mine.json()["teams"]] == ["南京路店", "南京路店 / 一组"]
    assert mine.json()["teams"][0]["agents"][0]["name"] == "李雷"
    assert theirs.status_code == spy.status_code == 403
    assert theirs.json()["error"] == spy.json()["error"] == "forbidden"
    assert "南京路店" not in theirs.text + spy.text
    assert edit.status_code == rename.status_code == 403
    assert agent_view.status_code == 403  # an agent sees its own claims, not the company's tree
    assert world.team("南京路店")["name"] == "南京路店"


def test_bad_tree_changes_are_refused_in_words_and_change_nothing(world: World) -> None:
    store = world.add("南京路店")
    group = world.add("一组", store)
    agent = world.agent("李雷", group)
    before = world.tree()
    other_team = world.admin.post(f"/api/admin/channels/{world.other}/teams",
                                  json={"name": "乙店"}).json()["teams"][0]["team_id"]

    cases = [
        (world.admin.put(f"/api/admin/teams/{store}/parent", json={"parent_id": group}),
         422, "invalid_team"),
        (world.admin.post(f"/api/admin/channels/{world.channel}/teams",
                          json={"name": "一组", "parent_id": store}), 409, "team_name_taken"),
        (world.admin.put(f"/api/admin/teams/{group}/active", json={"active": False}),
         409, "team_not_empty"),
        (world.admin.put(f"/api/admin/teams/{store}/active", json={"active": False}),
         409, "team_not_empty"),
        (world.admin.put(f"/api/admin/agents/{agent}/team", json={"team_id": other_team}),
         404, "unknown_team"),
        (world.admin.put("/api/admin/teams/nope/name", json={"name": "x"}), 404,
         "unknown_team"),
        (world.admin.post(f"/api/admin/channels/{world.channel}/teams",
                          json={"name": "  "}), 422, "invalid_team"),
        (world.admin.put(f"/api/admin/teams/{group}/rules",
                         json={"protection_days": 400}), 422, "invalid_request"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]) == (status, code), response.text
    assert cases[2][0].json()["details"]["agents"] == ["李雷"]
    assert "李雷" in cases[2][0].json()["message"]
    assert cases[3][0].json()["details"]["teams"] == ["一组"]
    assert world.tree() == before

    # move first, then the empty team deactivates; nothing can join it afterwards
    assert world.admin.put(f"/api/admin/agents/{agent}/team",
                           json={"team_id": store}).status_code == 200
    r = world.admin.put(f"/api/admin/teams/{group}/active", json={"active": False})
    assert r.status_code == 200 and not world.team("南京路店 / 一组")["active"]
    refused = world.admin.put(f"/api/admin/agents/{agent}/team", json={"team_id": group})
    assert (refused.status_code, refused.json()["error"]) == (409, "team_inactive")
    assert audit_actions(world.live, "team_deactivated") == 1
    assert audit_actions(world.live, "agent_moved") == 2


def _claim_and_visit(world: World, agent: str, mobile: str, after: timedelta) -> str:
    deps = world.live.app.deps
    r = reg.register(reg.RegisterCmd(world.channel, "王芳", mobile, agent_id=agent), deps)
    world.live.clock.advance(seconds=after.total_seconds())
    reg.confirm_visit(reg.ConfirmVisitCmd(r.id, mobile, staff="reception"), deps)
    return r.id


def test_a_claim_is_judged_by_its_teams_rules_and_the_trace_says_whose(world: World) -> None:
    store = world.add("南京路店")
    group = world.add("一组", store)
    quick = world.agent("李雷", group)
    plain = world.agent("韩梅", None)
    r = world.admin.put(f"/api/admin/teams/{store}/rules", json={"registration_valid_hours": 2})
    assert r.status_code == 200
    in_force = world.team("南京路店 / 一组")["rules_in_force"]
    assert in_force["registration_valid_hours"] == 2 and in_force["protection_days"] == 30
    assert in_force["inherited_from"] == ["valid 2 h set by team 南京路店"]

    late_team = _claim_and_visit(world, quick, "13800001111", timedelta(hours=3))
    late_company = _claim_and_visit(world, plain, "13800002222", timedelta(hours=3))
    with auth.client(world.live.base_url, world.live.app, Role.distributor,
                     channel=world.channel) as own:
        statuses = {c["registration_id"]: c["status"] for c in
                    own.get(f"/api/channels/{world.channel}/registrations").json()}
    assert statuses[late_team] == "expired_before_visit"  # its store's 2 h
    assert statuses[late_company] == "valid"  # the office's 72 h

    result = signing.sign(signing.SigningCmd(
        office_id=OFFICE, buyer_name="王芳", id_number=id_number("001"), mobile="13800001111",
        contract_price_fen=PRICE, actor="desk-1"), world.live.app.deps)
    assert result.signing.decision.channel_id is None  # natural: the claim came too late
    line = next(t for t in result.signing.decision.trace if late_team in t)
    assert "expired_before_visit" in line and "2 h validity" in line
    assert "its rules: valid 2 h set by team 南京路店; the nearest setting wins" in line


def test_the_risk_report_judges_re_registrations_by_each_claims_team_rules(
        world: World) -> None:
    """保护期后重报 by the claim's own protection, as the signing judges it: 甲分销's team keeps
    claims 5 days, so its re-registrations a few hours after that fire though the office's 30
    days would still protect them; 乙分销's team keeps them 60 days (set after the claims), so
    re-registrations just after the office's 30 days are no signal. Over HTTP; the daily alert
    judges the same way."""
    short_team = world.add("短保店")
    assert world.admin.put(f"/api/admin/teams/{short_team}/rules",
                           json={"protection_days": 5}).status_code == 200
    other = World(world.live, world.other, world.channel, world.admin)
    long_team = other.add("长保店")
    quick, slow = world.agent("李雷", short_team), other.agent("韩梅", long_team)
    deps, clock = world.live.app.deps, world.live.clock
    # a visit does not make the customer known here: the re-registrations are accepted
    reg.set_rules(OFFICE, AttributionRules(known_lookback_days=0), deps, actor="admin")

    def claims(channel: str, agent: str, mobiles: list[str]) -> list[str]:
        return [reg.register(reg.RegisterCmd(channel, f"客户{m[-2:]}", m, agent_id=agent),
                             deps).id for m in mobiles]

    short_mobiles, long_mobiles = ["13800003301", "13800003302"], ["13800004401", "13800004402"]
    firsts = claims(world.channel, quick, short_mobiles) + claims(world.other, slow,
                                                                  long_mobiles)
    clock.advance(seconds=timedelta(hours=1).total_seconds())
    for rid, mobile in zip(firsts, short_mobiles + long_mobiles, strict=True):
        reg.confirm_visit(reg.ConfirmVisitCmd(rid, mobile, staff="reception"), deps)
    clock.advance(seconds=timedelta(days=5, hours=2).total_seconds())
    claims(world.channel, quick, short_mobiles)  # 2 h after the team's 5 days
    assert risk.alerts_today(deps, office_id=OFFICE) == 1  # today's alert: the same rules
    clock.advance(seconds=timedelta(days=25).total_seconds())
    claims(world.other, slow, long_mobiles)  # 2 h after the office's 30 days
    assert world.admin.put(f"/api/admin/teams/{long_team}/rules",
                           json={"protection_days": 60}).status_code == 200

    with auth.client(world.live.base_url, world.live.app, Role.manager) as manager:
        got = manager.get(f"/api/offices/{OFFICE}/risk-report", params={"days": 30})
    assert got.status_code == 200, got.text
    fired = {(s["channel_name"], s["rule"]) for s in got.json()["signals"]}
    assert fired == {("甲分销", "reregistered_after_expiry")}


def test_statements_roll_up_per_team_in_the_api_and_every_export(world: World) -> None:
    deps = world.live.app.deps
    store_a, store_b = world.add("南京路店"), world.add("淮海路店")
    group = world.add("一组", store_a)
    agents = [world.agent("李雷", group), world.agent("韩梅", store_b), world.agent("张三", None)]
    for value, team in ((300_000, None), (500_000, store_a)):
        r = world.admin.post(f"/api/channels/{world.channel}/agreements", json={
            "kind": "fixed", "value": value, "effective_from": "2026-11-01T00:00:00Z",
            "team_id": team})
        assert r.status_code == 201, r.text
    for i, agent in enumerate(agents):
        mobile = f"1380000{i:04d}"
        _claim_and_visit(world, agent, mobile, timedelta(hours=1))
        signing.sign(signing.SigningCmd(
            office_id=OFFICE, buyer_name="王芳", id_number=id_number(f"00{i + 1}"),
            mobile=mobile, contract_price_fen=PRICE, actor="desk-1"), deps)
    # the agent moves after the claim: its deal stays with the team it was made in
    world.admin.put(f"/api/admin/agents/{agents[0]}/team", json={"team_id": store_b})

    r = world.admin.post(f"/api/channels/{world.channel}/statements", json={
        "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z"})
    assert r.status_code == 201, r.text
    st = r.json()
    assert sorted(line["amount_fen"] for line in st["lines"]) == [300_000, 300_000, 500_000]
    rows = {t["label"]: t for t in st["teams"]}
    assert rows[""]["subtree_fen"] == st["total_fen"] == 1_100_000
    assert rows[""]["own_fen"] == 300_000  # 张三, in no team
    assert rows["南京路店"]["own_fen"] == 0 and rows["南京路店"]["subtree_fen"] == 500_000
    assert rows["南京路店 / 一组"]["own_fen"] == 500_000  # inherited from its store
    assert rows["淮海路店"]["own_fen"] == 300_000  # the company's agreement
    assert sum(t["own_fen"] for t in st["teams"]) == st["total_fen"]
    inherited = next(line for line in st["lines"] if line["team_id"] == group)
    assert "inherited by team 南京路店 / 一组 from team 南京路店" in inherited["rule"]

    sid = st["statement_id"]
    text = world.admin.get(f"/api/statements/{sid}/export.csv").text
    table = list(csv.reader(io.StringIO(text)))
    subtotal_rows = [row for row in table if row and row[0] == "team"]
    assert [row[1] for row in subtotal_rows] == ["甲分销", "南京路店", "南京路店 / 一组",
                                                  "淮海路店"]
    assert [row[-1] for row in subtotal_rows] == ["1100000", "500000", "500000", "300000"]
    book = load_workbook(io.BytesIO(world.admin.get(f"/api/statements/{sid}/export.xlsx")
                                    .content))
    cells = [str(c).strip() for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert "南京路店 / 一组" in cells and "团队小计 team subtotals" in cells
    pdf = world.admin.get(f"/api/statements/{sid}/export.pdf")
    assert pdf.status_code == 200 and b"subtree_fen=500000" in pdf.content
    with auth.client(world.live.base_url, world.live.app, Role.distributor,
                     channel=world.other) as rival:
        assert rival.get(f"/api/statements/{sid}").status_code == 403
    printed = world.admin.get(f"/api/statements/{sid}/print?lang=en",
                              headers={"Accept": "text/html"}).text
    assert printed.count("data-team-line") == 4 and "Subtotals per store and team" in printed
    assert "deals: 1 · 5,000.00 yuan" in printed
    page = world.admin.get(f"/finance/statements?channel={world.channel}&lang=zh-CN",
                           headers={"Accept": "text/html"})
    assert page.status_code == 200
    lines = re.findall(r'<tr data-team-line="([^"]*)"><td[^>]*>([^<]*)</td>\s*<td>([^<]*)</td>'
                       r'\s*<td data-subtree>([^<]*)</td>', page.text)
    assert [(label, subtree) for _, label, _, subtree in lines] == [
        ("甲分销（公司本级）", "3 笔，11,000.00 元"), ("南京路店", "1 笔，5,000.00 元"),
        ("南京路店 / 一组", "1 笔，5,000.00 元"), ("淮海路店", "1 笔，3,000.00 元")]


def test_parallel_renames_to_one_name_leave_one_winner(world: World) -> None:
    store = world.add("南京路店")
    teams = [world.add(f"组{i}", store) for i in range(4)]
    headers = auth.bearer(world.live.app, Role.admin)

    answers = together(4, lambda http, i: http.put(f"/api/admin/teams/{teams[i]}/name",
                                                   json={"name": "冠军组"}),
                       world.live.base_url, headers)

    assert sorted(r.status_code for r in answers) == [200, 409, 409, 409]
    names = [t["name"] for t in world.tree()["teams"] if t["parent_id"] == store]
    assert names.count("冠军组") == 1
    assert audit_actions(world.live, "team_renamed") == 1


def test_parallel_crossing_moves_never_make_a_cycle(world: World) -> None:
    a, b = world.add("甲店"), world.add("乙店")
    headers = auth.bearer(world.live.app, Role.admin)

    answers = together(2, lambda http, i: http.put(
        f"/api/admin/teams/{(a, b)[i]}/parent", json={"parent_id": (b, a)[i]}),
        world.live.base_url, headers)

    assert sorted(r.status_code for r in answers) == [200, 422]
    tree = world.tree()["teams"]
    parents = {t["team_id"]: t["parent_id"] for t in tree}
    assert sorted(parents.values(), key=str) == sorted([None, a if parents[b] == a else b],
                                                        key=str)
    assert audit_actions(world.live, "team_moved") == 1


def test_parallel_agent_moves_and_a_deactivation_never_leave_an_agent_in_a_closed_team(
        world: World) -> None:
    store, closing = world.add("南京路店"), world.add("将关闭的店")
    agents = [world.agent(f"经纪人{i}", store) for i in range(3)]
    headers = auth.bearer(world.live.app, Role.admin)

    def act(http: httpx.Client, i: int) -> httpx.Response:
        if i == 3:
            return http.put(f"/api/admin/teams/{closing}/active", json={"active": False})
        return http.put(f"/api/admin/agents/{agents[i]}/team", json={"team_id": closing})

    answers = together(4, act, world.live.base_url, headers)

    closed = not next(t for t in world.tree()["teams"] if t["team_id"] == closing)["active"]
    moved = [r for r in answers[:3] if r.status_code == 200]
    if closed:  # the deactivation came first: every move after it was refused
        assert answers[3].status_code == 200 and not moved
        assert all(r.json()["error"] == "team_inactive" for r in answers[:3])
    else:  # a move came first: the deactivation was refused, the moves all landed
        assert answers[3].json()["error"] == "team_not_empty" and len(moved) == 3
    members = next(t for t in world.tree()["teams"] if t["team_id"] == closing)["agents"]
    assert not (closed and members)
