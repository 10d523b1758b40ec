"""Words people read (issue 16 item 6), over real HTTP: the page header names the signed-in
role in the page's language, never the code of the role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keyuan.domain.accounts.model import Role
from support import auth
from support.live import Live, live_server

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
