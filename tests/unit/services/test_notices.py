"""Notice drafts and publishing (C3, C9): a draft may be incomplete, publishing may not; the
newest published version is the active one, older ones are superseded."""

from __future__ import annotations

import pytest

from keyuan.domain.errors import NoticeAlreadyPublished, NoticeIncomplete
from keyuan.services.checkin.setup import default_notice
from keyuan.services.compliance import notices
from support.offices import entity
from unit.services.harness import Harness


def _full_text(harness: Harness) -> dict[str, str]:
    office = harness.committed.offices[harness.office_id]
    return {name: value for name, value in default_notice(office, entity(), "zh-CN").content()
            .items() if name in notices.TEXT_FIELDS}


def test_a_draft_lists_what_publishing_still_needs(harness: Harness) -> None:
    view = notices.create_draft(notices.DraftCmd(harness.office_id, "zh-CN", {"controller": "E"}),
                                harness.deps, actor="dpo")
    assert view.state is notices.NoticeState.DRAFT
    assert any("retention" in problem for problem in view.problems)
    assert harness.actions()[-1] == "notice_drafted"


def test_an_incomplete_draft_is_not_published(harness: Harness) -> None:
    view = notices.create_draft(notices.DraftCmd(harness.office_id, "zh-CN", {"controller": "E"}),
                                harness.deps, actor="dpo")
    assert view.notice.id is not None
    with pytest.raises(NoticeIncomplete):
        notices.publish_draft(view.notice.id, harness.deps, actor="dpo")
    assert not harness.committed.notices[view.notice.id].is_published


def test_a_published_draft_supersedes_the_version_before(harness: Harness) -> None:
    old = harness.start()[1]
    draft = notices.create_draft(notices.DraftCmd(harness.office_id, "zh-CN", _full_text(harness)),
                                 harness.deps, actor="dpo")
    assert draft.notice.id is not None
    published = notices.publish_draft(draft.notice.id, harness.deps, actor="dpo")
    assert published.notice.version == old.version + 1
    states = {view.notice.id: view.state
              for view in notices.list_notices(harness.office_id, harness.deps)}
    assert states[old.id] is notices.NoticeState.SUPERSEDED
    assert states[draft.notice.id] is notices.NoticeState.ACTIVE
    with pytest.raises(NoticeAlreadyPublished):
        notices.publish_draft(draft.notice.id, harness.deps, actor="dpo")
