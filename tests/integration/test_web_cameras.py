"""The cameras page `/admin/cameras` (issue 16 item 2) over real HTTP on SQLite and PostgreSQL:
managers, compliance and admin open it, each offered only the buttons its role may use; a
camera's profile, lane, confirmation, on/off state and why it does not run show in words, and
never its push token, its hash or its login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from support import auth
from support.live import Live, live_server

HTML = {"accept": "text/html"}
LANE = {"lane": "正门左侧有标识的刷脸通道", "alternative": "正门右侧人工通道"}


@pytest.fixture
def live(tmp_path: Path, store_url: str) -> Iterator[Live]:
    with live_server(tmp_path / "data", engine=FakeEngine(FaceSettings()),
                     database_url=store_url) as server:
        yield server


def gate(page: str) -> str:
    return page.split('data-gate="', 1)[1].split('"', 1)[0]


def test_who_opens_the_cameras_page_and_which_buttons_each_role_gets(live: Live) -> None:
    for role in (Role.reception, Role.finance, Role.signing, Role.sales):
        with auth.client(live.base_url, live.app, role) as other:
            page = other.get("/admin/cameras", headers=HTML)
            assert page.status_code == 403 and "Traceback" not in page.text, role
    with auth.client(live.base_url, live.app, Role.manager) as manager, \
            auth.client(live.base_url, live.app, Role.compliance) as compliance:
        added = manager.post("/api/offices/demo-office/cameras",
                             json={"name": "正门抓拍机", **LANE})
        assert added.status_code == 201, added.text
        mine = manager.get("/admin/cameras", headers=HTML).text
        assert 'id="add-camera"' in mine and 'data-action="enable"' in mine  # registered off
        assert 'data-action="confirm"' not in mine and 'id="confirm-signage"' not in mine
        theirs = compliance.get("/admin/cameras", headers=HTML).text
        assert 'id="add-camera"' not in theirs and 'data-action="enable"' not in theirs
        assert 'data-action="confirm"' in theirs and 'id="confirm-signage"' in theirs
        for page in (mine, theirs):
            assert added.json()["token"] not in page
            assert "正门左侧有标识的刷脸通道" in page and "标准（JPEG 或 multipart 事件）" in page


def test_a_cameras_state_and_why_it_does_not_run_show_in_words(live: Live) -> None:
    with auth.client(live.base_url, live.app, Role.manager) as manager, \
            auth.client(live.base_url, live.app, Role.compliance) as compliance:
        camera = manager.post("/api/offices/demo-office/cameras",
                              json={"name": "正门抓拍机", **LANE}).json()
        page = manager.get("/admin/cameras", headers=HTML).text
        assert gate(page) == "camera_disabled"  # registered switched off (C11, C23)
        assert manager.put(f"/api/cameras/{camera['id']}/enabled",
                           json={"enabled": True}).status_code == 200
        page = manager.get("/admin/cameras", headers=HTML).text
        assert gate(page) == "signage_not_confirmed"
        assert "未运行：告知海报尚未确认张贴" in page and "尚未确认告知海报已张贴" in page

        secret = "cam-secret-Pa55"
        profile = manager.put(f"/api/cameras/{camera['id']}/profile", json={
            "profile": "hikvision-isapi", "picture_host": "192.168.1.64",
            "username": "admin", "password": secret})
        assert profile.status_code == 200, profile.text
        assert compliance.post("/api/offices/demo-office/signage").status_code == 200
        page = manager.get("/admin/cameras?lang=en", headers=HTML).text
        assert "Hikvision ISAPI face capture" in page and "192.168.1.64" in page
        assert "Stored (encrypted, never shown)" in page and secret not in page
        assert gate(page) == "camera_lane_not_confirmed"
        assert "Not running: the lane is not confirmed on site" in page

        assert compliance.post(f"/api/cameras/{camera['id']}/lane/confirm").status_code == 200
        page = manager.get("/admin/cameras?lang=zh-CN", headers=HTML).text
        # the camera switched on changed what the assessment covers: it must be recorded again
        assert gate(page) == "impact_assessment_stale"
        assert "未运行：影响评估需要重新记录" in page and 'href="/admin/assessment"' in page
        assert 'data-confirmed="yes"' in page

        moved = manager.put(f"/api/cameras/{camera['id']}/lane",
                            json={**LANE, "lane": "正门左侧第二条刷脸通道"})
        assert moved.status_code == 200 and moved.json()["lane_confirmed_at"] is None
        assert manager.put(f"/api/cameras/{camera['id']}/enabled",
                           json={"enabled": False}).status_code == 200
        page = manager.get("/admin/cameras", headers=HTML).text
        assert gate(page) == "camera_disabled" and 'data-enabled="off"' in page
        assert 'data-confirmed="no"' in page and "正门左侧第二条刷脸通道" in page


def test_bad_camera_input_is_refused_in_one_line_and_writes_nothing(live: Live) -> None:
    with auth.client(live.base_url, live.app, Role.manager) as manager:
        blank = manager.post("/api/offices/demo-office/cameras",
                             json={"name": "x", "lane": " ", "alternative": "y"})
        assert blank.status_code == 422 and blank.json()["error"] == "camera_lane_required"
        camera = manager.post("/api/offices/demo-office/cameras",
                              json={"name": "正门", **LANE}).json()
        recorded = manager.post(f"/api/cameras/{camera['id']}/pull",
                                json={"source": "/var/recordings/day.mp4"})
        assert recorded.status_code == 422
        assert recorded.json()["error"] == "capture_source_not_live"
        page = manager.get("/admin/cameras", headers=HTML).text
        assert page.count("data-camera=") == 1 and 'data-pull="none"' in page
        long = manager.get("/admin/cameras", params={"office": "x" * 500}, headers=HTML)
        assert long.status_code == 422 and "Traceback" not in long.text
