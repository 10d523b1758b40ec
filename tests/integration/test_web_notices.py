"""The notices page `/admin/notices` (issue 16 item 2) over real HTTP on SQLite and PostgreSQL:
only the compliance roles open it; a draft's check shows in words (the missing part by its
label, a perpetual grant with the words that grant it), publishing it is refused and changes
nothing; a complete draft made from the notice in force publishes as the next version, and the
page says when and by whom."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from keyuan.domain.accounts.model import Role
from keyuan.services.compliance import notices
from support import auth
from support.live import Live, live_server

HTML = {"accept": "text/html"}


@pytest.fixture
def live(tmp_path: Path, store_url: str) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off", database_url=store_url,
                     session_cookie_secure=False) as server:
        yield server


def logged_in(live: Live, role: Role) -> tuple[httpx.Client, str]:
    name = auth.make_user(live.app, role)
    http = httpx.Client(base_url=live.base_url, timeout=30)
    http.headers["X-CSRF-Token"] = auth.cookie_login(http, name)
    return http, name


def in_force(live: Live, language: str = "zh-CN") -> dict[str, object]:
    listed = [n for n in notices.list_notices("demo-office", live.app.deps)
              if n.notice.language == language and n.state is notices.NoticeState.ACTIVE]
    assert len(listed) == 1
    return {"version": listed[0].notice.version, "id": listed[0].notice.id}


def test_only_the_compliance_roles_open_the_notices_page(live: Live) -> None:
    for role in (Role.manager, Role.reception, Role.finance, Role.signing, Role.sales):
        with auth.client(live.base_url, live.app, role) as other:
            page = other.get("/admin/notices", headers=HTML)
            assert page.status_code == 403, role
            assert "<html" in page.text and "Traceback" not in page.text
    anonymous = httpx.Client(base_url=live.base_url, timeout=30)
    assert anonymous.get("/admin/notices", headers=HTML).status_code == 303  # to the login
    for role in (Role.compliance, Role.admin):
        with auth.client(live.base_url, live.app, role) as ok:
            page = ok.get("/admin/notices", headers=HTML)
            assert page.status_code == 200, role
            assert 'data-state="active"' in page.text
            assert "现行版本 第 1 版" in page.text


def test_a_drafts_check_shows_in_words_and_publishing_it_is_refused(live: Live) -> None:
    http, name = logged_in(live, Role.compliance)
    before = in_force(live)
    source = http.get(f"/api/notices/{before['id']}").json()["text"]
    text = {k: v for k, v in source.items() if k in notices.TEXT_FIELDS}
    text["rights"] = ""
    text["purpose"] = text["purpose"] + "，授权永久有效"
    draft = http.post("/api/offices/demo-office/notices", json={"language": "zh-CN",
                                                               "text": text})
    assert draft.status_code == 201, draft.text

    page = http.get("/admin/notices", headers=HTML).text
    assert "缺少“如何行使个人权利”" in page
    assert "“处理目的”含有永久、不可撤销或可转授权的授权用语（“永久”），须删除" in page
    assert f"经办人：{name}" in page  # who drafted it
    english = http.get("/admin/notices?lang=en", headers=HTML).text
    assert "“How to exercise rights” is missing" in english
    assert "missing rights" not in english  # the code-like sentence stays in the API

    refused = http.post(f"/api/notices/{draft.json()['id']}/publish")
    assert refused.status_code == 422 and refused.json()["error"] == "notice_incomplete"
    assert in_force(live) == before  # nothing published


def test_a_complete_draft_from_the_notice_in_force_publishes_as_the_next_version(
        live: Live) -> None:
    http, name = logged_in(live, Role.admin)
    before = in_force(live, "en")
    source = http.get(f"/api/notices/{before['id']}").json()["text"]
    text = {k: v for k, v in source.items() if k in notices.TEXT_FIELDS}
    text["summary"] = "Face or mobile check-in; both count the same."
    draft = http.post("/api/offices/demo-office/notices", json={"language": "en", "text": text})
    assert draft.status_code == 201 and draft.json()["problems"] == []
    assert "检查通过：可以发布。" in http.get("/admin/notices", headers=HTML).text

    published = http.post(f"/api/notices/{draft.json()['id']}/publish")
    assert published.status_code == 200, published.text
    after = in_force(live, "en")
    assert after["version"] == int(str(before["version"])) + 1
    page = http.get("/admin/notices?lang=en", headers=HTML).text
    assert f"In force: version {after['version']}" in page
    assert f"by {name}" in page
    assert "Earlier versions (1)" in page
    again = http.post(f"/api/notices/{draft.json()['id']}/publish")
    assert again.status_code == 409 and again.json()["error"] == "notice_already_published"


def test_an_unknown_office_shows_the_first_and_a_hostile_one_is_refused(live: Live) -> None:
    with auth.client(live.base_url, live.app, Role.compliance) as http:
        page = http.get("/admin/notices?office=nope", headers=HTML)
        assert page.status_code == 200 and 'data-office="demo-office"' in page.text
        long = http.get("/admin/notices", params={"office": "x" * 500}, headers=HTML)
        assert long.status_code == 422 and "Traceback" not in long.text



def test_an_older_notices_use_codes_never_show_on_the_page(live: Live) -> None:
    http, _ = logged_in(live, Role.admin)
    notice_id = in_force(live)["id"]
    with live.app.db.begin() as conn:  # a notice published before the codes left the text
        conn.execute(text("UPDATE notices SET processing = processing || :line WHERE id = :id"),
                     {"line": "\n• 到访识别 [return_visit_1to1] — 目的：确认本人。",
                      "id": notice_id})

    page = http.get("/admin/notices", headers=HTML).text

    assert "• 到访识别 — 目的：确认本人。" in page and "[return_visit_1to1]" not in page
