"""Words people read (issue 16 item 6), over real HTTP on SQLite: the page header names the
signed-in role in the page's language, never the code of the role; the copy of my data reads
in Beijing time with the office's name and words for every code, while the JSON copy keeps the
codes, UTC times to the second and the office's name beside its id."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from keyuan.domain.accounts.model import Role
from support import auth
from support.live import Live, live_server, mobile_check_in
from support.visitor_text import ISO_T, machine_text, visible_text

HTML = {"accept": "text/html"}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=None, face_module="off") as server:
        yield server


@pytest.mark.parametrize(("role", "page", "zh", "en"), [
    (Role.manager, "/dashboard", "经理", "Manager"),
    (Role.signing, "/desk/signing", "签约专员", "Signing clerk"),
    (Role.compliance, "/compliance", "合规专员", "Compliance officer"),
])
def test_the_header_names_the_role_in_the_page_language(
        live: Live, role: Role, page: str, zh: str, en: str) -> None:
    with auth.client(live.base_url, live.app, role) as http:
        chinese = http.get(page, headers=HTML).text
        english = http.get(f"{page}?lang=en", headers=HTML).text
    assert f"（{zh}）" in chinese and f"（{role.value}）" not in chinese
    assert f"({en})" in english


def test_the_copy_of_my_data_reads_as_words_and_beijing_time(live: Live) -> None:
    checked_in = mobile_check_in(live, "13912345678", name="王先生")
    receipt = checked_in["receipt"]["receipt_id"]
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        assert http.post("/api/rights/code", json={"receipt_id": receipt}).status_code == 202
        code = re.search(r"\d{6}", live.sender.sent[-1][1]).group(0)  # type: ignore[union-attr]
        token = http.post("/api/rights/verify", json={"receipt_id": receipt,
                                                      "code": code}).json()["token"]
        headers = {"X-Rights-Token": token}
        zh = http.get("/api/rights/me/export.html", headers=headers)
        en = http.get("/api/rights/me/export.html?lang=en", headers=headers)
        data = http.get("/api/rights/me/export", headers=headers).json()

    assert zh.status_code == en.status_code == 200
    for page, words in ((zh, ("示范售楼处", "手机号登记", "您给出了同意", "没有：我们没有保存")),
                        (en, ("示范售楼处", "Mobile check-in", "You gave your consent",
                              "No: we hold no face template"))):
        text = visible_text(page.text)
        assert machine_text(text) == {}, machine_text(text)
        assert "2026-11-28 10:00" in text  # the live clock's 02:00 UTC, in Beijing
        assert "demo-office" not in text and "128" not in text
        assert all(word in text for word in words), text
    # the machine copy keeps codes and ids, with times in UTC to the second and office names
    visit = data["visits"][0]
    assert visit["office"] == "demo-office" and visit["office_name"] == "示范售楼处"
    assert visit["at"] == "2026-11-28T02:00:00+00:00" and visit["method"] == "phone"
    assert {e["action"] for e in data["decisions_and_processing"]} >= {"consent_given"}
    assert all(not ISO_T.search(e["at"]) or "." not in e["at"]
               for e in data["decisions_and_processing"])
