"""告知 drafts and publishing (C3, C9, C25) on real stores, over real HTTP and on the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from typer.testing import CliRunner

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.cli.main import cli
from keyuan.config.face import FaceSettings
from keyuan.domain.accounts.model import Role
from keyuan.domain.checkin.notice import REQUIRED_FIELDS
from keyuan.domain.errors import InvalidNotice, NoticeAlreadyPublished, NoticeIncomplete
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.compliance import notices
from keyuan.services.compliance.notices import DraftCmd, NoticeState
from support import auth
from support.live import Live, live_server
from support.offices import office_add_args

if TYPE_CHECKING:
    from .conftest import Kiosk

OFFICE = "demo-office"


def complete_text(**overrides: str) -> dict[str, str]:
    text = {name: f"{name}：{why}" for name, why in REQUIRED_FIELDS.items()}
    text["summary"] = "人脸或手机号登记，二者效果相同。"
    text.update(overrides)
    return text


def draft(k: Kiosk, text: dict[str, str], language: str = "zh-CN") -> notices.NoticeView:
    return notices.create_draft(DraftCmd(k.office_id, language, text), k.deps, actor="staff:dpo")


def test_c3_a_draft_lists_what_is_missing_and_cannot_be_published(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    before = kiosk_service.start_session(k.office_id, k.deps)[1]
    text = complete_text()
    del text["responsible_person"], text["retention"]
    view = draft(k, text)

    with pytest.raises(NoticeIncomplete) as refused:
        notices.publish_draft(view.notice.id or 0, k.deps, actor="staff:dpo")

    assert view.state is NoticeState.DRAFT and len(view.problems) == 2
    assert refused.value.details["problems"] == view.problems
    assert any("responsible_person" in p for p in view.problems)  # C25
    assert notices.show_notice(view.notice.id or 0, k.deps).state is NoticeState.DRAFT
    assert kiosk_service.start_session(k.office_id, k.deps)[1].id == before.id


def test_c9_a_perpetual_or_sublicensable_grant_is_refused(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    view = draft(k, complete_text(purpose="用于到访认定，并授予我司永久、可转授权的使用权"))

    with pytest.raises(NoticeIncomplete) as refused:
        notices.publish_draft(view.notice.id or 0, k.deps, actor="staff:dpo")

    problems = refused.value.details["problems"]
    assert isinstance(problems, list) and len(problems) == 1 and "perpetual" in problems[0]


def test_c3_publishing_gives_a_version_and_hash_and_one_active_notice_per_language(
        store_kiosk: Kiosk) -> None:
    k = store_kiosk
    older = draft(k, complete_text(summary="较早的草稿"))
    newer = draft(k, complete_text(summary="较新的草稿"))
    first = notices.publish_draft(newer.notice.id or 0, k.deps, actor="staff:dpo")
    second = notices.publish_draft(older.notice.id or 0, k.deps, actor="staff:dpo")

    views = notices.list_notices(k.office_id, k.deps)
    zh = [v for v in views if v.notice.language == "zh-CN"]
    active = [v for v in zh if v.state is NoticeState.ACTIVE]
    session_notice = kiosk_service.start_session(k.office_id, k.deps)[1]

    assert [v.notice.id for v in active] == [second.notice.id]
    assert second.notice.version > first.notice.version > 1  # newest published is the active one
    assert len(second.notice.content_hash) == 64
    assert second.notice.content_hash != first.notice.content_hash
    assert session_notice.id == second.notice.id and session_notice.summary == "较早的草稿"
    assert [v.state for v in views if v.notice.language == "en"] == [NoticeState.ACTIVE]
    with pytest.raises(NoticeAlreadyPublished):
        notices.publish_draft(first.notice.id or 0, k.deps, actor="staff:dpo")


def test_a_draft_with_an_unknown_field_or_language_is_refused(kiosk: Kiosk) -> None:
    with pytest.raises(InvalidNotice) as unknown:
        draft(kiosk, {**complete_text(), "grant": "x"})
    with pytest.raises(InvalidNotice):
        draft(kiosk, complete_text(), language="fr")

    assert unknown.value.details["problems"] == ["unknown field 'grant'"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("notices"),
                     engine=FakeEngine(FaceSettings())) as server:
        yield server


def test_c3_c9_notices_over_http_for_the_compliance_officer(live: Live) -> None:
    with auth.client(live.base_url, live.app, Role.compliance) as dpo:
        bad = dpo.post(f"/api/offices/{OFFICE}/notices", json={
            "text": complete_text(rights="本授权不可撤销")}).json()
        refused = dpo.post(f"/api/notices/{bad['id']}/publish")
        good = dpo.post(f"/api/offices/{OFFICE}/notices", json={"text": complete_text()})
        published = dpo.post(f"/api/notices/{good.json()['id']}/publish")
        shown = dpo.get(f"/api/notices/{good.json()['id']}").json()
        listed = dpo.get(f"/api/offices/{OFFICE}/notices").json()
    public = httpx.get(f"{live.base_url}/api/offices/{OFFICE}/notice").json()
    with auth.client(live.base_url, live.app, Role.sales) as sales:
        forbidden = sales.post(f"/api/offices/{OFFICE}/notices", json={"text": complete_text()})

    assert bad["state"] == "draft" and bad["content_hash"] is None and bad["problems"]
    assert refused.status_code == 422 and refused.json()["error"] == "notice_incomplete"
    assert refused.json()["details"]["problems"] == bad["problems"]
    assert good.status_code == 201 and good.json()["problems"] == []
    assert published.status_code == 200 and shown["state"] == "active"
    assert public["content_hash"] == shown["content_hash"] == published.json()["content_hash"]
    assert [n["state"] for n in listed if n["id"] == bad["id"]] == ["draft"]
    assert forbidden.status_code == 403


def test_notice_commands_draft_list_and_publish(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYUAN_ENVIRONMENT", "test")
    monkeypatch.setenv("KEYUAN_SECRET_KEY", "cli-notice-secret-0123456789")
    runner, data = CliRunner(), ["--data-dir", str(tmp_path)]
    assert runner.invoke(cli, ["init", *data]).exit_code == 0
    assert runner.invoke(cli, [*office_add_args(), *data]).exit_code == 0
    incomplete, complete = tmp_path / "bad.json", tmp_path / "good.json"
    incomplete.write_text(json.dumps({"purpose": "到访认定"}, ensure_ascii=False), "utf-8")
    complete.write_text(json.dumps(complete_text(), ensure_ascii=False), "utf-8")

    bad = runner.invoke(cli, ["notice", "draft", str(incomplete), *data])
    good = runner.invoke(cli, ["notice", "draft", str(complete), *data])
    bad_id, good_id = bad.output.split()[1], good.output.split()[1]
    refused = runner.invoke(cli, ["notice", "publish", bad_id, *data])
    published = runner.invoke(cli, ["notice", "publish", good_id, *data])
    listed = runner.invoke(cli, ["notice", "list", *data])

    assert bad.exit_code == 0 and "TO FIX: missing controller" in bad.output
    assert good.exit_code == 0 and "ready to publish" in good.output
    assert refused.exit_code == 1 and refused.stderr.startswith("error: notice_incomplete: ")
    assert "PROBLEM: missing responsible_person" in refused.stderr
    assert published.exit_code == 0 and "v3 sha256" in published.output, published.output
    rows = {line.split("\t")[0]: line for line in listed.output.splitlines()}
    assert "\tactive\t" in rows[good_id] and "\tdraft\t" in rows[bad_id]
