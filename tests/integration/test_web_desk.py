"""The signing desk pages over real HTTP (no browser): who may open them, the result card's
content from the stored signing, and sending an automatic decision to a manager's review."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.idcard import check_digit
from keyuan.domain.checkin.face_uses import FaceUse, use_text
from keyuan.services.attribution import registration as reg_svc
from keyuan.services.attribution import settlement as settle_svc
from support import auth
from support.live import Live, live_server
from support.sequences import fake_shots

from .conftest import png_bytes

OFFICE = "demo-office"
HTML = {"Accept": "text/html"}
FIRST17 = "11010519491231002"
ID_NUMBER = FIRST17 + check_digit(FIRST17)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("desk"), engine=FakeEngine(FaceSettings())) as s:
        yield s


@dataclass
class Desk:
    live: Live
    signing: httpx.Client
    manager: httpx.Client


@pytest.fixture(scope="module")
def desk(live: Live) -> Iterator[Desk]:
    with auth.client(live.base_url, live.app, "signing") as signing, \
            auth.client(live.base_url, live.app, "manager") as manager:
        yield Desk(live, signing, manager)


def signed(d: Desk, mobile: str, *, with_photos: bool = False) -> str:
    """A registration by 链家分销 at the clock, a reception-confirmed visit 2 h later, and a
    signing a day after that; returns the signing id."""
    deps = d.live.app.deps
    channel = reg_svc.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "链家分销", deps)
    reg = reg_svc.register(reg_svc.RegisterCmd(channel_id=channel.id, customer_name="王芳",
                                               mobile=mobile), deps)
    d.live.clock.advance(hours=2)
    reg_svc.confirm_visit(reg_svc.ConfirmVisitCmd(registration_id=reg.id, mobile=mobile,
                                                  staff="reception:test"), deps)
    d.live.clock.advance(days=1)
    body: dict[str, object] = {"buyer_name": "王芳", "id_number": ID_NUMBER, "mobile": mobile,
                               "contract_price_fen": 3_150_000_50}
    if with_photos:
        face = base64.b64encode(png_bytes((40, 180, 220))).decode()
        notice = d.signing.get(f"/api/offices/{OFFICE}/desk-notice").json()["notice_hash"]
        yes = d.signing.post(f"/api/offices/{OFFICE}/desk-consents", json={
            "id_number": ID_NUMBER, "notice_hash": notice, "given": True})
        assert yes.status_code == 201, yes.text
        body |= {**fake_shots((40, 180, 220)).desk_wire(), "chip_photo": face,
                 "desk_consent_id": yes.json()["desk_consent_id"]}
    r = d.signing.post(f"/api/offices/{OFFICE}/signings", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["signing_id"])


def test_anonymous_is_sent_to_login_and_back(live: Live) -> None:
    r = httpx.get(f"{live.base_url}/desk/signing", headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?") and "next=/desk/signing" in \
        r.headers["location"].replace("%2F", "/")


@pytest.mark.parametrize("role", ["distributor", "sales", "reception"])
def test_roles_outside_signing_get_a_403_page(live: Live, role: str) -> None:
    channel = reg_svc.create_channel(OFFICE, ChannelKind.DISTRIBUTOR, "某分销", live.app.deps).id
    headers = auth.bearer(live.app, role, channel=channel if role == "distributor" else None)
    r = httpx.get(f"{live.base_url}/desk/signing", headers=headers | HTML)
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert 'data-error="forbidden"' in r.text and 'id="desk-form"' not in r.text


def test_the_form_labels_every_input_in_both_languages(desk: Desk) -> None:
    r = desk.signing.get("/desk/signing?lang=zh-CN", headers=HTML)
    assert r.status_code == 200 and f'data-office="{OFFICE}"' in r.text
    assert "身份证号码" in r.text and "拍照" in r.text
    ids = re.findall(r'<(?:input|textarea)[^>]*\bid="([^"]+)"', r.text)
    assert ids and all(f'for="{i}"' in r.text for i in ids), ids
    en = desk.signing.get("/desk/signing?lang=en", headers=HTML)
    assert "ID number" in en.text and "Capture" in en.text
    main = en.text.split("<main", 1)[1].split("</main>")[0]
    # the desk notice names the controller as published: its legal name may be Chinese
    main = re.sub(r'<p class="hint" id="desk-notice-controller">.*?</p>', "", main, flags=re.S)
    told = use_text(FaceUse.SIGNING_ID_CHECK, "en").title  # by its title, never its code
    assert "Ask the buyer first" in main and told in main and "signing_id_check_1to1" not in main
    assert not re.search(r"[\u4e00-\u9fff]", main)


def test_an_unknown_office_or_signing_is_a_404_page(desk: Desk) -> None:
    r = desk.signing.get("/desk/signing/0123456789abcdef?lang=zh-CN", headers=HTML)
    assert r.status_code == 404 and "没有找到这条签约记录" in r.text
    r = desk.signing.get("/desk/signing?office=nowhere", headers=HTML)
    assert r.status_code == 404 and 'data-error="unknown_office"' in r.text


def test_the_result_card_shows_channel_first_visit_count_and_face_check(desk: Desk) -> None:
    visit_at = desk.live.clock.now() + timedelta(hours=2)  # as `signed` confirms the visit
    sid = signed(desk, "13800001111", with_photos=True)

    r = desk.signing.get(f"/desk/signing/{sid}?lang=zh-CN", headers=HTML)

    assert r.status_code == 200, r.text
    card = r.text.split('id="desk-card"', 1)[1]
    decision = re.search(r'id="card-decision">(.*?)</dd>', card, re.S)
    assert decision and "链家分销" in decision.group(1) and "分销" in decision.group(1)
    first = re.search(r'id="card-first-visit">(.*?)</dd>', card, re.S)
    local = visit_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert first and local in first.group(1) and "到访确认" in first.group(1)
    assert re.search(r'id="card-visit-count">1<', card)
    assert "最早的有效报备获胜" in card and "有效" in card and "获胜" in card
    assert re.search(r'id="card-face-check">.*?通过', card, re.S)
    assert "3,150,000.50" in card and "110105********" in card and ID_NUMBER not in r.text
    assert not re.search(r"distance|score|0\.\d{3}", card)  # pass/fail only (C22)
    assert 'id="send-review"' in card and 'id="manager-review"' not in card


def test_send_to_review_moves_a_final_signing_into_the_queue_once(desk: Desk) -> None:
    sid = signed(desk, "13800002222")
    assert desk.signing.get(f"/api/signings/{sid}").json()["status"] == "final"

    assert desk.signing.post(f"/api/signings/{sid}/send-to-review",
                             json={"reason": " "}).json()["error"] == "invalid_registration"
    r = desk.signing.post(f"/api/signings/{sid}/send-to-review",
                          json={"reason": "买受人称由另一渠道带看"})
    assert r.status_code == 200 and r.json()["status"] == "pending_review", r.text
    again = desk.signing.post(f"/api/signings/{sid}/send-to-review", json={"reason": "x"})
    assert (again.status_code, again.json()["error"]) == (409, "already_in_review")
    queue = desk.manager.get(f"/api/offices/{OFFICE}/review-queue").json()
    assert sid in [s["signing_id"] for s in queue]
    page = desk.signing.get(f"/desk/signing/{sid}?lang=zh-CN", headers=HTML).text
    assert "待复核" in page and 'id="send-review"' not in page
    assert re.search(r'id="card-face-check">.*?未进行', page, re.S)  # signed without photos
    manager_page = desk.manager.get(f"/desk/signing/{sid}", headers=HTML).text
    assert 'id="manager-review"' in manager_page and "/dashboard#review-heading" in manager_page
    # the desk's reason reaches the manager: on the card and in the dashboard's queue
    assert re.search(r'id="card-reviews".*?data-step="sent".*?买受人称由另一渠道带看', manager_page,
                     re.S)
    queue_page = desk.manager.get(f"/dashboard?office={OFFICE}", headers=HTML).text
    assert re.search(rf'data-signing="{sid}".*?data-sent-reason>[^<]*买受人称由另一渠道带看',
                     queue_page, re.S)

    reviewed = desk.manager.post(f"/api/signings/{sid}/review", json={"reason": "已核实"})
    assert reviewed.json()["status"] == "final"
    # the manager's reason is added, the desk's stays: both with who and when
    card = desk.manager.get(f"/desk/signing/{sid}", headers=HTML).text
    history = re.search(r'<ol id="card-reviews".*?</ol>', card, re.S)
    assert history is not None
    steps = re.findall(r'data-step="(\w+)".*?class="review-text">([^<]*)<', history.group(0), re.S)
    assert steps == [("sent", "买受人称由另一渠道带看"), ("decided", "已核实")]
    late = desk.signing.post(f"/api/signings/{sid}/send-to-review", json={"reason": "x"})
    assert (late.status_code, late.json()["error"]) == (409, "already_reviewed")
    with desk.live.app.deps.uow() as uow:
        sent = [e for e in uow.audit.all() if e.action == "attribution_sent_to_review"]
    assert [(e.subject, e.actor.split(":")[0]) for e in sent] == [(sid, "signing")]


def test_send_to_review_is_for_the_signing_desk_and_managers_only(desk: Desk) -> None:
    sid = signed(desk, "13800003333")
    with auth.client(desk.live.base_url, desk.live.app, "sales") as sales:
        r = sales.post(f"/api/signings/{sid}/send-to-review", json={"reason": "x"})
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    r = desk.signing.post("/api/signings/nope/send-to-review", json={"reason": "x"})
    assert (r.status_code, r.json()["error"]) == (404, "unknown_signing")


def test_send_to_review_is_refused_once_an_approved_statement_pays_on_the_signing(
        desk: Desk) -> None:
    sid = signed(desk, "13800004444")
    deps = desk.live.app.deps
    with deps.uow() as uow:
        signing = uow.attribution.signing(sid)
        assert signing is not None and signing.channel_id is not None
        channel, at = signing.channel_id, signing.signed_at
    statement = settle_svc.generate_statement(channel, at - timedelta(days=1),
                                              at + timedelta(days=1), deps)
    assert sid in [line.signing_id for line in statement.lines]
    settle_svc.approve(statement.id, deps, actor="finance:test")

    r = desk.signing.post(f"/api/signings/{sid}/send-to-review", json={"reason": "x"})
    assert (r.status_code, r.json()["error"]) == (409, "already_settled")
    with deps.uow() as uow:
        after = uow.attribution.signing(sid)
        sent = [e for e in uow.audit.all()
                if e.action == "attribution_sent_to_review" and e.subject == sid]
    assert after is not None and after.status.value == "final" and sent == []
