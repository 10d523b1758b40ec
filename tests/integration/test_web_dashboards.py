"""The manager dashboard (/dashboard) and the compliance dashboard (/compliance) over HTTP, on
each store: data seeded through the services (报备, kiosk check-ins, staff confirmation, a final
and a review-pending signing, a dispute, a rights request), then the numbers the pages show —
read from their data attributes — checked against what was seeded. Role refusals, both
languages, and no biometric field on the manager's page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from keyuan.adapters.store.tables import checkin as tables
from keyuan.domain.accounts.model import Role
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.services.attribution import registration as reg
from keyuan.services.attribution import settlement, signing
from keyuan.services.checkin import consent as consent_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.compliance import audit as compliance_audit
from keyuan.services.compliance import rights
from keyuan.web.app import create_app
from support import auth
from support.sequences import fake_shots

from .conftest import Kiosk

ALICE, BOB = (200, 150, 120), (90, 160, 200)
M1, M2, M3, M4, M5 = "13800001111", "13900002222", "13700003333", "13600004444", "13500005555"
HTML = {"Accept": "text/html"}
SCARY = "链家<b>&分销"
DISPUTE = "<script>alert(1)</script>少算一单"
# what a manager's page must never carry (C17, C21): matching scores, templates, pseudonyms
BIOMETRIC = re.compile(
    r"distance|score|template|embedding|pseudonym|similar|id_photo|特征|相似|模板", re.IGNORECASE)
I18N_SCRIPT = re.compile(r'<script type="application/json" id="i18n">.*?</script>', re.DOTALL)


def id_number(serial: str) -> str:
    first17 = f"11010519800101{serial}"
    return first17 + check_digit(first17)


@dataclass
class Seeded:
    kiosk: Kiosk
    http: TestClient
    channel_a: str
    rights_receipt: str
    pending_signing: str
    dispute: str
    person_ids: list[str]

    def as_role(self, role: Role, **kw: str) -> dict[str, str]:
        return {**HTML, **auth.bearer(self.kiosk.app, role, **kw)}


def phone_visit(k: Kiosk, mobile: str) -> str:
    session, notice = k.start()
    return k.check_in_by_phone(session.id, notice.content_hash, mobile, name="王芳").consent.id


def sign(k: Kiosk, mobile: str, serial: str, **kw: object) -> signing.SigningResult:
    if kw.get("live_frames") or kw.get("face_receipt_id"):  # the buyer said yes at the desk
        kw["desk_consent_id"] = k.desk_yes(id_number(serial))
    return signing.sign(signing.SigningCmd(
        office_id=k.office_id, buyer_name="王芳", id_number=id_number(serial), mobile=mobile,
        contract_price_fen=3_000_000_00, actor="desk-1", **kw), k.deps)  # type: ignore[arg-type]


def seed(k: Kiosk) -> Seeded:
    """Day 1 (2025-06-02, 17:00 Beijing): channels and three registrations; an hour later two
    phone check-ins, a face check-in, a declined face, an escorted visit. Day 2: a final
    signing credited to channel A, one phone visit. Day 4: channel B's claim, its escorted
    visit and a signing that needs review. Then a dispute on A's statement."""
    deps = k.deps
    a = reg.create_channel(k.office_id, ChannelKind.DISTRIBUTOR, SCARY, deps).id
    b = reg.create_channel(k.office_id, ChannelKind.DISTRIBUTOR, "麦田分销", deps).id
    r1 = reg.register(reg.RegisterCmd(a, "王芳", M1), deps).id
    reg.register(reg.RegisterCmd(a, "王芳", "139****2222"), deps)
    reg.register(reg.RegisterCmd(b, "赵六", M3), deps)  # never visits
    k.clock.advance(hours=1)
    phone_visit(k, M1)
    rights_receipt = phone_visit(k, M2)
    walked_in = k.new_face_visitor(ALICE)
    session, _ = k.start()
    kiosk_service.decline_face(session.id, deps)
    reg.confirm_visit(reg.ConfirmVisitCmd(r1, M1, staff="reception-1"), deps)
    k.clock.advance(days=1)
    assert sign(k, M1, "001").signing.channel_id == a
    consent_service.withdraw(phone_visit(k, M4), deps)
    k.clock.advance(days=2)
    r4 = reg.register(reg.RegisterCmd(b, "王芳", M5), deps).id
    reg.confirm_visit(reg.ConfirmVisitCmd(r4, M5, staff="reception-1"), deps)
    pending = sign(k, M5, "002", **fake_shots(ALICE).desk_cmd(),
                   face_receipt_id=walked_in.consent.id).signing
    assert pending.status.value == "pending_review"
    statement = settlement.generate_statement(a, datetime(2025, 6, 1, tzinfo=UTC),
                                              datetime(2025, 7, 1, tzinfo=UTC), deps)
    dispute = settlement.open_dispute(statement.id, a, DISPUTE, deps).id
    with deps.uow() as uow:
        person_ids = [p for (p,) in uow.persons.session.execute(select(tables.persons.c.id))]
    return Seeded(k, TestClient(create_app(k.app)), a, rights_receipt, pending.id, dispute,
                  person_ids)


@pytest.fixture
def seeded(make_kiosk: Callable[..., Kiosk], store_url: str) -> Iterator[Seeded]:
    s = seed(make_kiosk(store_url))
    with s.http:
        yield s


def attr(html: str, kpi: str, name: str = "data-value") -> str:
    found = re.search(rf'data-kpi="{kpi}"[^>]*?{name}="([^"]*)"', html)
    assert found is not None, kpi
    return found.group(1)


def rows(html: str, table: str) -> str:
    found = re.search(rf'<table data-table="{table}"[^>]*>(.*?)</table>', html, re.DOTALL)
    assert found is not None, table
    return found.group(1)


def test_manager_dashboard_shows_the_seeded_numbers(seeded: Seeded) -> None:
    r = seeded.http.get("/dashboard", headers=seeded.as_role(Role.manager))

    assert r.status_code == 200, r.text
    html = r.text
    kpis = {k: attr(html, k) for k in ("visits_today", "visits_7d", "visits_window",
                                       "review_total", "disputes_open")}
    assert kpis == {"visits_today": "1", "visits_7d": "6", "visits_window": "6",
                    "review_total": "1", "disputes_open": "1"}
    shares = {m: (attr(html, f"share_{m}"), attr(html, f"share_{m}", "data-count"))
              for m in ("face_kiosk", "phone", "staff", "camera")}
    assert shares == {"face_kiosk": ("17", "1"), "phone": ("50", "3"), "staff": ("33", "2"),
                      "camera": ("0", "0")}
    # signed = credited: B's claim on a buyer who had walked in before (the pending signing
    # decides natural) is not counted as signed, though the buyer signed
    assert re.search(r'data-funnel="4,3,1"', html)
    mix = rows(html, "mix")
    assert f'data-channel="{seeded.channel_a}" data-signings="1"' in mix
    assert 'data-channel="natural" data-signings="1"' in mix
    review = rows(html, "review")
    assert f'href="/desk/signing/{seeded.pending_signing}"' in review
    assert "仅凭刷脸证据否定报备" in review  # the reason code, translated
    assert f'data-dispute="{seeded.dispute}"' in rows(html, "disputes")
    # three server-side charts, each a named image; typed text is escaped, never markup
    assert html.count('role="img"') == 3 and 'aria-label="每日到访（按登记方式）"' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert "<b>&" not in html and "链家&lt;b&gt;&amp;分销" in html


def test_manager_dashboard_carries_no_biometric_field(seeded: Seeded) -> None:
    html = seeded.http.get("/dashboard", headers=seeded.as_role(Role.finance)).text
    page = I18N_SCRIPT.sub("", html)
    assert 'data-kpi="visits_today"' in page
    assert "由签约核验员或经理处理" in page and "/desk/signing/" not in page  # no dead link
    assert BIOMETRIC.findall(page) == []
    assert [p for p in seeded.person_ids if p in page] == []


def test_compliance_dashboard_shows_the_seeded_numbers(seeded: Seeded) -> None:
    k = seeded.kiosk
    code = rights.request_access_code(seeded.rights_receipt, k.deps)
    assert code.masked_mobile
    found = re.search(r"(?<!\d)\d{6}(?!\d)", k.sender.sent[-1][1])
    assert found is not None
    token = rights.verify_access_code(seeded.rights_receipt, found.group(0), k.deps).token
    rights.correct(token, rights.CorrectCmd(mobile="13311112222"), k.deps)
    anchor = compliance_audit.take_anchor(k.deps)
    headers = seeded.as_role(Role.compliance)

    html = seeded.http.get("/compliance", headers=headers).text

    assert (attr(html, "audit"), attr(html, "pia"), attr(html, "rights_open")) == (
        "intact", "current", "1")
    assert attr(html, "rights_open", "data-overdue") == "0"
    assert f'data-anchor="{anchor.seq}"' in html
    assert 'data-scope="face" data-active="1" data-withdrawn="0"' in html
    assert 'data-scope="phone" data-active="2" data-withdrawn="1"' in html
    assert 'data-purpose="visit_attribution" data-counts="1,0,0,0"' in html
    assert re.search(r'data-people="1" data-state="ok"', html)
    assert 'href="/api/compliance/inspection.html"' in html and "/pack.html" in html
    assert html.count('role="img"') == 3
    coverage = re.search(r'<svg[^>]*id="chart-coverage".*?</svg>', html, re.DOTALL)
    assert coverage is not None
    values = re.findall(r'data-value="(\d+)"', coverage.group(0))
    assert values == ["1", "3", "2", "1"]  # face, phone, staff, declined

    # Alice's template is evidence of the review-pending signing: held while the deal is open
    assert 'data-held="1" data-later="0"' in html
    k.new_face_visitor(BOB)  # 2025-06-05 18:00 Beijing, no deal: purge due 180 days later
    k.clock.advance(days=171)
    later = seeded.http.get("/compliance", headers=headers).text
    assert 'data-day="2025-12-02" data-templates="1" data-identities="0"' in later
    assert attr(later, "rights_open", "data-overdue") == "1"


def test_a_broken_audit_chain_shows_where(seeded: Seeded) -> None:
    with seeded.kiosk.deps.uow() as uow:
        uow.visits.session.execute(update(tables.audit_events)
                                   .where(tables.audit_events.c.seq == 2).values(actor="x"))
        uow.commit()
    html = seeded.http.get("/compliance?lang=en", headers=seeded.as_role(Role.admin)).text
    assert attr(html, "audit") == "broken"
    assert "entry 2: content changed" in html and "Broken" in html
    zh = seeded.http.get("/compliance?lang=zh-CN", headers=seeded.as_role(Role.admin)).text
    assert "第 2 条：写入后内容被改动" in zh and "链条断裂" in zh  # the zh-CN page words it too
    assert "content changed" not in zh


def test_english_pages_and_a_shorter_range(seeded: Seeded) -> None:
    manager = seeded.http.get("/dashboard?lang=en&days=7",
                              headers=seeded.as_role(Role.manager)).text
    compliance = seeded.http.get("/compliance?lang=en",
                                 headers=seeded.as_role(Role.compliance)).text
    assert '<html lang="en">' in manager and "Visits per day, by method" in manager
    assert attr(manager, "visits_window") == "6" and "Last 7 days" in manager
    assert "Compliance dashboard" in compliance and "Filing counter by legal entity" in compliance
    han = re.compile(r"[\u4e00-\u9fff]")
    main = re.search(r"<main.*?</main>", compliance, re.DOTALL)
    assert main is not None
    # the only Chinese left is data: the office and the legal entity's own names
    leftovers = {m for m in han.findall(I18N_SCRIPT.sub("", main.group(0)))}
    assert leftovers <= set("示范售楼处置业有限公司")


@pytest.mark.parametrize("path", ["/dashboard", "/compliance"])
def test_who_may_open_the_dashboards(make_kiosk: Callable[..., Kiosk], path: str) -> None:
    k = make_kiosk()
    channel = reg.create_channel(k.office_id, ChannelKind.DISTRIBUTOR, "甲", k.deps).id
    allowed = {"/dashboard": {Role.manager, Role.finance, Role.admin},
               "/compliance": {Role.compliance, Role.admin}}[path]
    with TestClient(create_app(k.app)) as http:
        anonymous = http.get(path, headers=HTML, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].endswith(f"next={path}")
        for role in (Role.manager, Role.finance, Role.compliance, Role.sales, Role.distributor):
            extra = {"channel": channel} if role is Role.distributor else {}
            r = http.get(path, headers={**HTML, **auth.bearer(k.app, role, **extra)})
            if role in allowed:
                assert r.status_code == 200, (role, r.text[:200])
            else:
                assert r.status_code == 403, role
                assert 'data-error="forbidden"' in r.text


def test_bad_range_and_unknown_office_are_readable_pages(make_kiosk: Callable[..., Kiosk]
                                                         ) -> None:
    k = make_kiosk()
    with TestClient(create_app(k.app)) as http:
        headers = {**HTML, **auth.bearer(k.app, Role.admin)}
        for bad in ("0", "abc", "9999", "²", "9" * 5000):
            r = http.get(f"/dashboard?days={bad}", headers=headers)
            assert r.status_code == 422 and 'data-error="invalid_dashboard_range"' in r.text
        r = http.get("/compliance?office=nowhere", headers=headers)
        assert r.status_code == 404 and 'data-error="unknown_office"' in r.text
        for bad in ("0", "²", "9" * 5000):
            api = http.get(f"/compliance?days={bad}", headers=auth.bearer(k.app, Role.admin))
            assert (api.status_code, api.json()["error"]) == (422, "invalid_dashboard_range")
        empty = http.get("/dashboard", headers=headers).text  # nothing seeded: "no data"
        assert empty.count('data-no-data="1"') == 3
        assert attr(empty, "visits_today") == "0"


def test_the_window_follows_the_app_clock(make_kiosk: Callable[..., Kiosk]) -> None:
    k = make_kiosk()
    phone_visit(k, M1)
    k.clock.advance(days=8)
    with TestClient(create_app(k.app)) as http:
        headers = {**HTML, **auth.bearer(k.app, Role.manager)}
        html = http.get("/dashboard", headers=headers).text
        assert (attr(html, "visits_7d"), attr(html, "visits_window")) == ("0", "1")
        assert re.search(r'<th scope="row">2025-06-02</th><td class="num">0</td>'
                         r'<td class="num">1</td>', html)  # face_kiosk 0, phone 1
        assert f"至 {(k.clock.now() + timedelta(hours=8)).date().isoformat()}" in html


@pytest.mark.parametrize("days", ["1", "7", "30", "90"])
def test_no_two_visit_tiles_say_the_same_at_any_range(seeded: Seeded, days: str) -> None:
    """Was: two identical "近 7 天到访" tiles at ?days=7 (and 今日 twice in effect at ?days=1)."""
    html = seeded.http.get(f"/dashboard?days={days}",
                           headers={**HTML, **seeded.as_role(Role.manager)}).text
    labels = re.findall(r'<div class="kpi" data-kpi="[^"]+"[^>]*><small>([^<]+)</small>', html)
    assert labels and len(labels) == len(set(labels)), labels
    # the count axis is nice integers: every visits-chart tick equally spaced from 0
    ticks = [int(v) for v in re.findall(r'data-tick="(\d+)"', html)]
    assert ticks[0] == 0 and len({b - a for a, b in pairwise(ticks)}) == 1
