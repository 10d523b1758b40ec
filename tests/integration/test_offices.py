"""Offices and their legal entities (issue 14 item 10): created and edited by an admin with
`keyuan legal-entity|office add|edit|list` or `/api/admin/…`; outside demo mode nothing is
pre-created; a kiosk whose controller details are incomplete refuses to start; notices and
receipts name the real legal entity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from keyuan.bootstrap import build
from keyuan.cli.main import cli
from keyuan.config.settings import Settings
from keyuan.domain.accounts.model import Role
from keyuan.services.checkin import offices as svc
from support import auth
from support.devices import device_headers
from support.live import Live, live_server
from support.offices import PI_CONTACT, credit_code_for

SECRET = "offices-test-secret-key-0123456789"
ENTITY = "翠湖置业有限公司"
CODE = credit_code_for(ENTITY)
OS_USER = "chen"
HTML = {"accept": "text/html"}


# --- the command line, end to end on a real SQLite store ---


@pytest.fixture
def cli_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LOGNAME", OS_USER)
    monkeypatch.setenv("KEYUAN_ENVIRONMENT", "test")
    monkeypatch.setenv("KEYUAN_SECRET_KEY", SECRET)
    monkeypatch.setenv("KEYUAN_FACE_MODULE", "off")
    monkeypatch.delenv("KEYUAN_DEMO", raising=False)
    return tmp_path


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)])
    return done.exit_code, done.stdout, done.stderr


def stored(data_dir: Path) -> Iterator[object]:
    app = build(Settings(data_dir=data_dir, environment="test", secret_key=SECRET,
                         face_module="off"))
    try:
        yield app
    finally:
        app.close()


def test_cli_adds_edits_and_lists_offices_and_their_legal_entity(cli_dir: Path) -> None:
    assert run(cli_dir, "init")[0] == 0
    assert run(cli_dir, "office", "list")[1].startswith("no office yet")

    # one-line refusals on stderr, exit 1, nothing written
    typo = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    code, out, err = run(cli_dir, "legal-entity", "add", ENTITY, "--credit-code", typo)
    assert code == 1 and out == "" and err.startswith("error: invalid_credit_code: ")
    assert len(err.strip().splitlines()) == 1
    code, _, err = run(cli_dir, "office", "add", "sales-1", "--name", "翠湖售楼处",
                       "--legal-entity", ENTITY)
    assert code == 1 and err.startswith("error: unknown_legal_entity: ")
    code, _, err = run(cli_dir, "legal-entity", "add", ENTITY, "--contact", "前台")
    assert code == 1 and err.startswith("error: invalid_contact: ")
    assert run(cli_dir, "legal-entity", "list")[1].startswith("no legal entity yet")

    # the entity first without its responsible person: the office's kiosk stays closed
    code, out, _ = run(cli_dir, "legal-entity", "add", ENTITY, "--credit-code", CODE.lower(),
                       "--contact", "0591-12345678")
    assert code == 0 and f"\t{CODE}\t" in out and "INCOMPLETE (missing pi_name, pi_contact)" in out
    assert run(cli_dir, "office", "add", "sales-1", "--name", "翠湖售楼处",
               "--legal-entity", ENTITY)[0] == 0
    code, _, err = run(cli_dir, "office", "add", "sales-1", "--name", "again",
                       "--legal-entity", "1")
    assert code == 1 and err.startswith("error: office_exists: ")
    code, _, err = run(cli_dir, "office", "add", "Sales 2", "--name", "x", "--legal-entity", "1")
    assert code == 1 and err.startswith("error: invalid_office: ")
    listed = run(cli_dir, "office", "list")[1]
    assert listed.startswith(f"sales-1\t翠湖售楼处\t{ENTITY}\tKIOSK CLOSED")

    # completing it opens the kiosk and publishes notices naming it
    code, out, _ = run(cli_dir, "legal-entity", "edit", ENTITY, "--pi-name", "李敏",
                       "--pi-contact", PI_CONTACT)
    assert code == 0 and out.rstrip().endswith("offices: sales-1\tcomplete")
    assert run(cli_dir, "office", "list")[1].strip() == f"sales-1\t翠湖售楼处\t{ENTITY}\tcomplete"
    # a second office of the same entity, added in one line by the entity's id
    assert run(cli_dir, "office", "add", "sales-2", "--name", "二号售楼处",
               "--legal-entity", "1")[0] == 0
    assert "offices: sales-1, sales-2" in run(cli_dir, "legal-entity", "list")[1]
    assert run(cli_dir, "office", "edit", "sales-2", "--name", "湖畔售楼处")[0] == 0

    for app in stored(cli_dir):
        with app.deps.uow() as uow:
            zh = uow.notices.active("sales-1", "zh-CN")
            en = uow.notices.active("sales-2", "en")
            actions = [(e.actor, e.action) for e in uow.audit.all()]
        assert zh is not None and ENTITY in zh.controller and CODE in zh.controller
        assert "李敏" in zh.responsible_person and PI_CONTACT in zh.responsible_person
        assert "0591-12345678" in zh.controller_contact
        assert en is not None and "湖畔售楼处" in en.controller_contact  # the renamed office
        actor = f"cli:{OS_USER}"
        assert {(actor, "legal_entity_added"), (actor, "office_added"),
                (actor, "legal_entity_edited"), (actor, "office_edited")} <= set(actions)


def test_office_add_also_adds_a_new_legal_entity_given_its_details(cli_dir: Path) -> None:
    assert run(cli_dir, "init")[0] == 0
    code, out, _ = run(cli_dir, "office", "add", "sales-1", "--name", "翠湖售楼处",
                       "--legal-entity", ENTITY, "--credit-code", CODE, "--contact",
                       "dpo@example.cn", "--pi-name", "李敏", "--pi-contact", "13800138000")
    assert code == 0, out
    assert out.splitlines() == [f"added legal entity '{ENTITY}'", "added office 'sales-1'",
                                f"sales-1\t翠湖售楼处\t{ENTITY}\tcomplete"]


def test_office_commands_take_the_only_office_and_ask_which_when_there_are_several(
        cli_dir: Path) -> None:
    """Commands acting on one office (notices, channels, signings, the review queue) default to
    the only office on file, never to the demo's: none yet and several both refuse in one line."""
    assert run(cli_dir, "init")[0] == 0
    code, out, err = run(cli_dir, "notice", "list")
    assert (code, out) == (1, "") and err.startswith("error: no_office_yet: ")
    assert run(cli_dir, "office", "add", "sales-1", "--name", "翠湖售楼处",
               "--legal-entity", ENTITY, "--credit-code", CODE, "--contact",
               "dpo@example.cn", "--pi-name", "李敏", "--pi-contact", "13800138000")[0] == 0
    code, out, _ = run(cli_dir, "attribution", "channel", "add", "链家翠湖店")
    assert code == 0 and out.startswith("channel ")
    assert run(cli_dir, "attribution", "review-queue")[1].strip().endswith("waiting for review")
    assert "\tzh-CN\t" in run(cli_dir, "notice", "list")[1]
    assert run(cli_dir, "office", "add", "sales-2", "--name", "二号售楼处",
               "--legal-entity", ENTITY)[0] == 0
    code, out, err = run(cli_dir, "attribution", "channel", "add", "另一家")
    assert (code, out) == (1, "") and err.startswith("error: office_required: ")
    assert "sales-1, sales-2" in err and len(err.strip().splitlines()) == 1
    code, out, _ = run(cli_dir, "attribution", "channel", "add", "另一家", "--office", "sales-2")
    assert code == 0 and out.startswith("channel ")
    for app in stored(cli_dir):
        with app.deps.uow() as uow:
            assert [c.name for c in uow.attribution.channels("sales-1")] == ["链家翠湖店"]
            assert [c.name for c in uow.attribution.channels("sales-2")] == ["另一家"]


def test_fresh_init_creates_no_office_and_demo_init_creates_the_demo_one(
    cli_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, _ = run(cli_dir, "init")
    assert code == 0 and "no sales office yet" in out and "示范" not in out
    for app in stored(cli_dir):
        assert svc.offices(app.deps) == [] and svc.legal_entities(app.deps) == []

    demo = tmp_path / "demo"
    code, out, _ = run(demo, "init", "--demo")
    assert code == 0 and "DEMO MODE: demo office 'demo-office'" in out
    for app in stored(demo):
        [office] = svc.offices(app.deps)
        assert office.office.id == "demo-office" and office.complete
        assert office.entity is not None and office.entity.name == "示范置业有限公司"

    monkeypatch.setenv("KEYUAN_DEMO", "1")  # as `make run` and the e2e servers ask for it
    code, out, _ = run(tmp_path / "demo-env", "init")
    assert code == 0 and "DEMO MODE: demo office 'demo-office' of the fictitious" in out


# --- the admin API over real HTTP, on both stores ---


@pytest.fixture
def live(tmp_path: Path, store_url: str) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off", database_url=store_url,
                     office=False, session_cookie_secure=False) as server:
        yield server


def test_api_admin_sets_up_an_office_and_its_kiosk_opens_only_when_complete(
    live: Live,
) -> None:
    admin = auth.client(live.base_url, live.app, Role.admin)
    visitor = httpx.Client(base_url=live.base_url, timeout=30)

    # nothing pre-created: no office, and no tablet paired with one
    assert admin.get("/api/admin/offices").json() == []
    no_office = visitor.get("/kiosk", headers=HTML, follow_redirects=True)
    assert no_office.status_code == 401 and 'data-error="device_not_paired"' in no_office.text

    bad = admin.post("/api/admin/legal-entities", json={"name": ENTITY, "credit_code": "123"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_credit_code"
    assert "18" in bad.json()["message"]
    extra = admin.post("/api/admin/legal-entities", json={"name": ENTITY, "boss": "x"})
    assert extra.status_code == 422 and "error" in extra.json()
    assert admin.get("/api/admin/legal-entities").json() == []  # nothing half-written

    made = admin.post("/api/admin/legal-entities", json={"name": ENTITY, "credit_code": CODE,
                                                          "contact": "0591-12345678"})
    assert made.status_code == 201, made.text
    entity = made.json()
    assert entity["missing"] == ["pi_name", "pi_contact"] and not entity["complete"]
    again = admin.post("/api/admin/legal-entities", json={"name": ENTITY})
    assert again.status_code == 409 and again.json()["error"] == "legal_entity_exists"

    office = admin.post("/api/admin/offices", json={
        "office_id": "sales-1", "name": "翠湖售楼处", "legal_entity_id": entity["id"]})
    assert office.status_code == 201, office.text
    assert office.json()["complete"] is False
    unknown = admin.post("/api/admin/offices", json={
        "office_id": "sales-2", "name": "x", "legal_entity_id": 999})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_legal_entity"
    visitor.headers.update(device_headers(live, "sales-1"))  # the office's tablet is paired

    # C25 / PIPL 17: the kiosk refuses to start, the visitor is told why
    refused = visitor.post("/api/kiosk/sessions", json={"office_id": "sales-1"})
    assert refused.status_code == 409
    assert refused.json()["error"] == "controller_incomplete"
    assert refused.json()["details"]["missing"] == ["pi_name", "pi_contact"]
    page = visitor.get("/kiosk/sales-1", headers=HTML)
    assert page.status_code == 409 and "个人信息处理者" in page.text
    assert "请联系现场工作人员" in page.text
    en = visitor.get("/kiosk/sales-1?lang=en", headers=HTML)
    assert "Please ask the staff" in en.text

    done = admin.patch(f"/api/admin/legal-entities/{entity['id']}",
                       json={"pi_name": "李敏", "pi_contact": PI_CONTACT})
    assert done.status_code == 200 and done.json()["complete"] is True
    assert done.json()["offices"] == ["sales-1"]

    session = visitor.post("/api/kiosk/sessions", json={"office_id": "sales-1"})
    assert session.status_code == 201, session.text
    notice = session.json()["notice"]
    controller_line = notice["sections"]["controller"]
    assert ENTITY in controller_line and CODE in controller_line
    assert "示范" not in json.dumps(notice, ensure_ascii=False)
    sid = session.json()["session_id"]
    assert visitor.post(f"/api/kiosk/sessions/{sid}/phone-code",
                        json={"mobile": "13800005555"}).status_code == 202
    visit = visitor.post(f"/api/kiosk/sessions/{sid}/phone-check-in", json={
        "mobile": "13800005555", "code": live.last_code(), "agree": True,
        "notice_hash": notice["content_hash"]})
    assert visit.status_code == 201, visit.text
    [controller] = visit.json()["receipt"]["receipt"]["piiControllers"]
    assert controller["piiController"] == ENTITY and "李敏" in controller["contact"]
    poster = visitor.get("/api/offices/sales-1/poster", headers=HTML)
    assert ENTITY in poster.text and CODE in poster.text and "示范" not in poster.text

    # a change of the controller is republished; the old notice's hash no longer takes consent
    renamed = admin.patch(f"/api/admin/legal-entities/{entity['id']}",
                          json={"name": "翠湖地产有限公司"})
    assert renamed.status_code == 200
    [listed] = admin.get("/api/admin/offices").json()
    assert listed["legal_entity"] == "翠湖地产有限公司" and listed["complete"]
    fresh = visitor.get("/api/offices/sales-1/notice").json()
    assert "翠湖地产有限公司" in fresh["sections"]["controller"]
    assert fresh["version"] == notice["version"] + 1

    cleared = admin.patch(f"/api/admin/legal-entities/{entity['id']}", json={"contact": ""})
    assert cleared.json()["missing"] == ["contact"]
    assert visitor.post("/api/kiosk/sessions", json={"office_id": "sales-1"}).json()[
        "error"] == "controller_incomplete"


def test_api_admin_routes_are_the_admins_only(live: Live) -> None:
    for role in (Role.manager, Role.compliance, Role.reception):
        with auth.client(live.base_url, live.app, role) as other:
            assert other.get("/api/admin/offices").status_code == 403
            r = other.post("/api/admin/legal-entities", json={"name": ENTITY})
            assert r.status_code == 403 and r.json()["error"]
            assert other.get("/admin/offices", headers=HTML).status_code == 403
    anonymous = httpx.get(f"{live.base_url}/api/admin/legal-entities")
    assert anonymous.status_code == 401


def test_parallel_adds_of_one_office_store_it_once(live: Live) -> None:
    admin = auth.client(live.base_url, live.app, Role.admin)
    entity = admin.post("/api/admin/legal-entities", json={"name": ENTITY}).json()

    def add(_: int) -> int:
        with httpx.Client(base_url=live.base_url, headers=admin.headers, timeout=60) as http:
            return http.post("/api/admin/offices", json={
                "office_id": "sales-1", "name": "翠湖售楼处",
                "legal_entity_id": entity["id"]}).status_code

    def add_entity(_: int) -> int:
        with httpx.Client(base_url=live.base_url, headers=admin.headers, timeout=60) as http:
            return http.post("/api/admin/legal-entities",
                             json={"name": "别家地产有限公司"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(add, range(8)))
        entity_statuses = sorted(pool.map(add_entity, range(8)))
    assert statuses == [201] + [409] * 7
    assert entity_statuses == [201] + [409] * 7
    assert [o["office_id"] for o in admin.get("/api/admin/offices").json()] == ["sales-1"]
    with live.app.deps.uow() as uow:
        added = [e for e in uow.audit.all() if e.action in ("office_added", "legal_entity_added")]
    assert len(added) == 3  # 翠湖, sales-1 and 别家 once each


def test_the_admin_page_lists_offices_in_both_languages(live: Live) -> None:
    admin = auth.client(live.base_url, live.app, Role.admin)
    empty = admin.get("/admin/offices", headers=HTML)
    assert empty.status_code == 200 and "还没有法人" in empty.text
    entity = admin.post("/api/admin/legal-entities", json={"name": ENTITY}).json()
    admin.post("/api/admin/offices", json={"office_id": "sales-1", "name": "翠湖售楼处",
                                           "legal_entity_id": entity["id"]})
    zh = admin.get("/admin/offices", headers=HTML).text
    assert ENTITY in zh and "到访登记未开放" in zh and "统一社会信用代码" in zh
    en = admin.get("/admin/offices?lang=en", headers=HTML).text
    assert "Check-in closed" in en and "unified social credit code" in en
