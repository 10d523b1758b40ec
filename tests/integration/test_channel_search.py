"""Search and filters of the distributor portal's lists over real HTTP, on SQLite and
PostgreSQL: a channel with a realistic month of registrations (240 over 12 days, some visited,
some masked 前三后四), searched by name, the mobile's last 4 digits, status and registration
date, and its statements by status and month. The answers are checked against what was seeded;
a bad parameter is a 422 in words (JSON for the API, a page for the portal), never a 500."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.display import DISPLAY_ZONE
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import settlement
from support import auth
from support.live import Live, live_server

SURNAMES = ("王", "李", "张", "刘", "陈", "杨")
GIVEN = ("芳", "伟", "娜", "敏", "静", "磊", "洋", "艳")
DAYS, PER_DAY = 12, 20
STATES = ("awaiting", "protected", "signed", "lost", "invalid")


@dataclass
class Seeded:
    live: Live
    channel: str
    other: str
    names: dict[str, str] = field(default_factory=dict)  # registration id -> name
    mobiles: dict[str, str] = field(default_factory=dict)  # id -> mobile as typed
    days: dict[str, date] = field(default_factory=dict)  # id -> Beijing registration day
    visited: set[str] = field(default_factory=set)
    statements: dict[str, str] = field(default_factory=dict)  # id -> "2026-10" month


@pytest.fixture
def seeded(tmp_path: Path, store_url: str) -> Iterator[Seeded]:
    with live_server(tmp_path / "data", engine=None, face_module="off", database_url=store_url,
                     session_cookie_secure=False) as live:
        deps = live.app.deps
        channel = reg.create_channel("demo-office", ChannelKind.DISTRIBUTOR, "链家分销", deps).id
        other = reg.create_channel("demo-office", ChannelKind.DISTRIBUTOR, "乙分销", deps).id
        s = Seeded(live, channel, other)
        reg.register(reg.RegisterCmd(other, "王芳", "13000000000"), deps)  # not ours
        n = 0
        for _ in range(DAYS):
            for _ in range(PER_DAY):
                name = SURNAMES[n % 6] + GIVEN[(n // 6) % 8] + ("" if n % 5 else "华")
                mobile = f"13{n % 10}{n:08d}"
                typed = mobile if n % 7 else f"{mobile[:3]}****{mobile[-4:]}"
                r = reg.register(reg.RegisterCmd(channel, name, typed), deps)
                s.names[r.id], s.mobiles[r.id] = name, typed
                s.days[r.id] = r.created_at.astimezone(DISPLAY_ZONE).date()
                if n % 9 == 1 and typed == mobile:  # escorted and confirmed at reception
                    reg.confirm_visit(reg.ConfirmVisitCmd(r.id, mobile, staff="reception"), deps)
                    s.visited.add(r.id)
                n += 1
                live.clock.advance(minutes=50)
            live.clock.advance(hours=7, minutes=20)
        for month in (10, 11):
            st = settlement.generate_statement(channel, datetime(2026, month, 1, tzinfo=UTC),
                                               datetime(2026, month + 1, 1, tzinfo=UTC), deps)
            s.statements[st.id] = f"2026-{month}"
        yield s


def get(s: Seeded, path: str, **params: str) -> httpx.Response:
    with auth.client(s.live.base_url, s.live.app, Role.distributor, channel=s.channel) as http:
        return http.get(path, params=params, timeout=60)


def ids(s: Seeded, **params: str) -> set[str]:
    r = get(s, f"/api/channels/{s.channel}/registrations", **params)
    assert r.status_code == 200, r.text
    return {c["registration_id"] for c in r.json()}


def test_registrations_are_found_by_name_last4_status_and_date(seeded: Seeded) -> None:
    s = seeded
    assert len(s.names) == DAYS * PER_DAY
    started = time.monotonic()
    everything = get(s, f"/api/channels/{s.channel}/registrations").json()
    assert time.monotonic() - started < 15  # 240 claims judged in one request
    assert {c["registration_id"] for c in everything} == set(s.names)  # not the other channel's
    times = [c["created_at"] for c in everything]
    assert times == sorted(times, reverse=True)  # newest first

    assert ids(s, name="王") == {i for i, n in s.names.items() if "王" in n}
    assert ids(s, name=" 芳华 ") == {i for i, n in s.names.items() if "芳华" in n}
    some = next(iter(s.mobiles.values()))[-4:]
    assert ids(s, last4=some) == {i for i, m in s.mobiles.items() if m.endswith(some)}
    first, last = min(s.days.values()), max(s.days.values())
    middle = first + timedelta(days=4)
    assert ids(s, since=middle.isoformat(), until=middle.isoformat()) == {
        i for i, d in s.days.items() if d == middle}
    assert ids(s, since=(last - timedelta(days=1)).isoformat()) == {
        i for i, d in s.days.items() if d >= last - timedelta(days=1)}
    assert ids(s, name="李", since=middle.isoformat()) == {
        i for i, n in s.names.items() if "李" in n and s.days[i] >= middle}

    by_state = {state: ids(s, status=state) for state in STATES}
    assert set().union(*by_state.values()) == set(s.names)  # each claim in exactly one state
    assert sum(len(found) for found in by_state.values()) == len(s.names)
    # the visited claims of the last 30 days are the protected ones, and only they
    assert by_state["protected"] == s.visited
    assert by_state["awaiting"] and by_state["invalid"]  # the old unvisited ones lapsed
    assert ids(s, status="protected", name="王") == {i for i in s.visited if "王" in s.names[i]}
    assert ids(s, name="不存在的客户") == set()


def test_statements_are_filtered_by_status_and_month(seeded: Seeded) -> None:
    s = seeded
    path = f"/api/channels/{s.channel}/statements"

    def found(**params: str) -> set[str]:
        r = get(s, path, **params)
        assert r.status_code == 200, r.text
        return {st["statement_id"] for st in r.json()}

    assert found() == set(s.statements)
    assert found(period="2026-11") == {i for i, m in s.statements.items() if m == "2026-11"}
    assert found(period="2026-09") == set()
    assert found(status="draft") == set(s.statements) and found(status="paid") == set()


BAD = [
    ({"last4": "12a4"}, "registrations"), ({"last4": "12345"}, "registrations"),
    ({"last4": "１２３４"}, "registrations"), ({"status": "won"}, "registrations"),
    ({"since": "2026-13-01"}, "registrations"), ({"since": "yesterday"}, "registrations"),
    ({"since": "2026-11-20", "until": "2026-11-01"}, "registrations"),
    ({"name": "王" * 51}, "registrations"), ({"until": "9" * 5000}, "registrations"),
    ({"period": "2026-13"}, "statements"), ({"period": "11/2026"}, "statements"),
    ({"status": "open"}, "statements"),
]


def test_a_bad_parameter_is_refused_in_words(seeded: Seeded) -> None:
    s = seeded
    with auth.client(s.live.base_url, s.live.app, Role.distributor, channel=s.channel) as http:
        for params, where in BAD:
            api = http.get(f"/api/channels/{s.channel}/{where}", params=params)
            assert api.status_code == 422, (params, api.text)
            body = api.json()
            assert body["error"] == "invalid_filter" and body["message"], params
            page_params = {("st_status" if where == "statements" and k == "status" else k): v
                           for k, v in params.items()}
            page = http.get(f"/channel/{s.channel}", params=page_params,
                            headers={"Accept": "text/html"})
            assert page.status_code == 422 and 'data-error="invalid_filter"' in page.text, params
            assert "查找条件无法识别" in page.text and "Traceback" not in page.text


def test_the_portal_page_keeps_the_search_in_its_form(seeded: Seeded) -> None:
    s = seeded
    with auth.client(s.live.base_url, s.live.app, Role.distributor, channel=s.channel) as http:
        page = http.get(f"/channel/{s.channel}", headers={"Accept": "text/html"},
                        params={"name": "<b>王", "last4": "0001", "status": "protected",
                                "since": "2026-11-02", "period": "2026-11"})
    assert page.status_code == 200
    assert 'value="&lt;b&gt;王"' in page.text and "<b>王" not in page.text
    assert 'value="0001"' in page.text and 'value="protected" selected' in page.text
    assert 'id="f-period" name="period" type="month" value="2026-11"' in page.text
