"""风控阈值 per office over real HTTP on SQLite and PostgreSQL: a manager or admin changes them
(audited), the report applies them and says so, bad values are refused as JSON with nothing
written, and parallel changes leave one consistent row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from keyuan.adapters.store.tables import attribution as tables
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.risk import RiskThresholds
from keyuan.services.attribution import registration as reg
from support.auth import bearer, client
from support.live import Live
from support.parallel import together

OFFICE = "demo-office"
URL = f"/api/offices/{OFFICE}/risk-thresholds"
REPORT = f"/api/offices/{OFFICE}/risk-report"
PARALLEL = 6


def audited(live: Live) -> list[tuple[str, dict[str, Any]]]:
    with live.app.deps.uow() as uow:
        return [(e.actor, e.detail) for e in uow.audit.all()
                if e.action == "risk_thresholds_set"]


def rows(live: Live) -> int:
    with live.app.deps.uow() as uow:
        return int(uow.attribution.session.execute(  # type: ignore[attr-defined]
            select(func.count()).select_from(tables.risk_thresholds)).scalar_one())


def test_a_manager_sets_the_offices_thresholds_and_the_report_applies_them(
        live: Live) -> None:
    deps = live.app.deps
    gaming = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "恒通分销", deps)
    for i in range(5):
        reg.register(reg.RegisterCmd(gaming.id, f"客户{i}", f"1390000000{i}"), deps)
    live.clock.advance(seconds=int(timedelta(days=4).total_seconds()))

    with client(live.base_url, live.app, "manager") as http:
        before = http.get(REPORT).json()
        assert http.get(URL).json()["source"] == "default"
        changed = http.put(URL, json={"never_visited_min": 6, "expiry_share": 70})
        after = http.get(REPORT).json()
        shown = http.get(URL).json()

    assert before["thresholds_source"] == "default"
    assert [s["rule"] for s in before["signals"]] == ["never_visited"]
    assert changed.status_code == 200, changed.text
    assert after["thresholds_source"] == "office" and after["signals"] == []
    assert after["thresholds"] == {**vars(RiskThresholds()), "never_visited_min": 6,
                                   "expiry_share": 70}
    assert shown["source"] == "office" and shown["set_by"].startswith("manager:")
    (actor, detail), = audited(live)
    assert actor == shown["set_by"]
    assert detail["changed"] == {"never_visited_min": 6, "expiry_share": 70}


def test_bad_thresholds_answer_422_json_and_nothing_is_written(live: Live) -> None:
    bad: list[object] = [{"expiry_share": 101}, {"expiry_min": 0}, {"expiry_min": "3"},
                         {"expiry_min": 2.5}, {"expiry_min": True}, {"expiry_min": None},
                         {"bogus": 1}, {}, [], {"expiry_min": 10_001}]
    with client(live.base_url, live.app, "admin") as http:
        answers = [http.put(URL, json=body) for body in bad]
        shown = http.get(URL).json()
    for body, r in zip(bad, answers, strict=True):
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] in ("invalid_request", "invalid_thresholds"), r.text
    assert shown["source"] == "default" and rows(live) == 0 and audited(live) == []


def test_only_managers_and_admins_change_them_finance_reads(live: Live) -> None:
    channel = reg.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "恒通分销", live.app.deps)
    with client(live.base_url, live.app, "finance") as http:
        assert http.get(URL).status_code == 200
        assert http.put(URL, json={"expiry_min": 4}).status_code == 403
    for role, scope in (("distributor", channel.id), ("reception", None)):
        with client(live.base_url, live.app, role, channel=scope) as http:
            assert http.get(URL).status_code == 403
            assert http.put(URL, json={"expiry_min": 4}).status_code == 403
    with client(live.base_url, live.app, "manager") as http:
        missing = http.put("/api/offices/nowhere/risk-thresholds", json={"expiry_min": 4})
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_office"
    assert rows(live) == 0 and audited(live) == []


def test_parallel_changes_leave_one_whole_row_and_lose_no_field(live: Live) -> None:
    """Whole sets in parallel: the row is one request's set, never a mix. Then half the
    requests change one threshold and half another: both changes survive (no request writes
    back what it read before another committed)."""
    headers = bearer(live.app, "manager")

    def whole(http: httpx.Client, i: int) -> httpx.Response:
        return http.put(URL, json={"never_visited_min": 10 + i, "expiry_min": 10 + i,
                                   "masked_min": 10 + i})

    answers = together(PARALLEL, whole, live.base_url, headers)
    assert [r.status_code for r in answers] == [200] * PARALLEL, [r.text for r in answers]
    with client(live.base_url, live.app, "manager") as http:
        row = http.get(URL).json()["thresholds"]
    assert row["never_visited_min"] == row["expiry_min"] == row["masked_min"] >= 10
    assert rows(live) == 1 and len(audited(live)) == PARALLEL
    assert audited(live)[-1][1]["thresholds"] == row  # the last audited set is the row

    def one_field(http: httpx.Client, i: int) -> httpx.Response:
        name = "after_visit_minutes" if i % 2 else "reregister_within_hours"
        return http.put(URL, json={name: 200 + i})

    answers = together(PARALLEL, one_field, live.base_url, headers)
    assert [r.status_code for r in answers] == [200] * PARALLEL
    with client(live.base_url, live.app, "manager") as http:
        row = http.get(URL).json()["thresholds"]
    assert row["after_visit_minutes"] >= 200 and row["reregister_within_hours"] >= 200
    assert row["never_visited_min"] == row["expiry_min"] >= 10 and rows(live) == 1
