"""The impact assessment page `/admin/assessment` (issue 16 item 2) over real HTTP on SQLite and
PostgreSQL: compliance, managers and admin open it; it says whether the assessment on record
covers the settings, model and cameras in use, names what changed since in words (a camera
switched on with its lane), and says plainly how a new one is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from support import auth
from support.live import Live, live_server
from support.pia import record_office_pia

HTML = {"accept": "text/html"}


@pytest.fixture
def live(tmp_path: Path, store_url: str) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=FakeEngine(FaceSettings()),
                     database_url=store_url) as server:
        yield server


def test_the_assessment_page_says_what_changed_since_it_was_recorded(live: Live) -> None:
    for role in (Role.reception, Role.finance, Role.signing, Role.sales):
        with auth.client(live.base_url, live.app, role) as other:
            assert other.get("/admin/assessment", headers=HTML).status_code == 403, role
    with auth.client(live.base_url, live.app, Role.compliance) as compliance, \
            auth.client(live.base_url, live.app, Role.manager) as manager:
        page = compliance.get("/admin/assessment?lang=zh-CN", headers=HTML).text
        assert 'data-pia="current"' in page and "没有变化" in page
        assert "keyuan pia record" in page and "不是日常操作" in page
        assert 'href="/admin/assessment"' in compliance.get("/compliance", headers=HTML).text

        camera = manager.post("/api/offices/demo-office/cameras", json={
            "name": "正门抓拍机", "lane": "正门左侧刷脸通道", "alternative": "右侧人工通道"})
        assert camera.status_code == 201
        page = manager.get("/admin/assessment?lang=zh-CN", headers=HTML).text
        assert 'data-pia="current"' in page  # registered switched off: nothing new runs
        assert manager.put(f"/api/cameras/{camera.json()['id']}/enabled",
                           json={"enabled": True}).status_code == 200
        page = manager.get("/admin/assessment?lang=zh-CN", headers=HTML).text
        assert 'data-pia="stale"' in page
        assert ("摄像头“正门抓拍机”开启：通道“正门左侧刷脸通道”，不设摄像头的通道“右侧人工通道”"
                in page)
        assert camera.json()["token"] not in page
        api = manager.get("/api/compliance/impact-assessment").json()
        assert api["current"] is False  # the page and the API agree

        record_office_pia(live.app.deps)  # the assessor's new record, on the server
        page = manager.get("/admin/assessment?lang=en", headers=HTML).text
        assert 'data-pia="current"' in page and "No change" in page


def test_with_the_face_module_off_the_page_says_no_assessment_is_needed(tmp_path: Path) -> None:
    with live_server(tmp_path / "data", engine=None, face_module="off", assess=False) as live, \
            auth.client(live.base_url, live.app, Role.admin) as admin:
        page = admin.get("/admin/assessment?lang=en", headers=HTML).text
        assert 'data-pia="missing"' in page and "The face module is off" in page
