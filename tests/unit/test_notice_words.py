"""Notices speak to people (issue 16 item 6): the processing section names each face use by its
title and words, never by its stable name; the stable names are the notice's record
(`face_uses`, hashed), and publishing refuses a section whose words tell of other uses than the
record — what the visitor is told equals what the system does (C3). Notices published before
the codes left the text show without them."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations

import pytest

from keyuan.domain.attribution.desk_consent import DESK_USES, desk_section
from keyuan.domain.checkin.face_uses import (
    FaceUse,
    Lane,
    plain,
    processing_section,
    use_text,
    uses_told,
)
from keyuan.domain.checkin.notice import LANGUAGES, REQUIRED_FIELDS, Notice
from keyuan.domain.errors import NoticeIncomplete

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
SUBSETS = [list(c) for n in (0, 1, 2, len(FaceUse)) for c in combinations(FaceUse, n)]


def draft(language: str) -> Notice:
    text = {name: f"{name}: {why}" for name, why in REQUIRED_FIELDS.items()}
    return Notice(office_id="office-1", language=language, **text)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("uses", SUBSETS, ids=lambda u: "+".join(x.name for x in u) or "none")
def test_the_section_tells_exactly_its_uses_by_title_and_no_code(
        language: str, uses: list[FaceUse]) -> None:
    section = processing_section(uses, language, [Lane("东门", "东门刷脸通道", "东门普通入口")])
    assert uses_told(section, language) == uses
    assert not any(use.value in section for use in FaceUse)
    assert "[" not in section and "]" not in section


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_desk_notice_names_its_uses_in_words_only(language: str) -> None:
    section = desk_section(DESK_USES, language, challenge=True)
    assert uses_told(section, language) == list(DESK_USES)
    assert all(use_text(use, language).title in section for use in DESK_USES)
    assert not any(use.value in section for use in FaceUse)


def test_publishing_refuses_words_that_tell_of_other_uses_than_the_record() -> None:
    notice = draft("zh-CN")
    told_one = processing_section([FaceUse.RETURN_VISIT], "zh-CN")
    with pytest.raises(NoticeIncomplete, match="processing section"):
        notice.publish(version=1, now=NOW, processing=told_one,
                       face_uses=[FaceUse.RETURN_VISIT.value, FaceUse.CAMERA_LANE.value])
    notice.publish(version=1, now=NOW, processing=told_one,
                   face_uses=[FaceUse.RETURN_VISIT.value])
    assert notice.face_uses == [FaceUse.RETURN_VISIT.value]


def test_a_notice_published_with_codes_in_its_text_shows_without_them() -> None:
    title = use_text(FaceUse.RETURN_VISIT, "zh-CN").title
    old = f"开启的人脸用途如下：\n• {title} [return_visit_1to1] — 目的：确认本人。"
    assert plain(old) == f"开启的人脸用途如下：\n• {title} — 目的：确认本人。"
    assert uses_told(old, "zh-CN") == [FaceUse.RETURN_VISIT]
    assert plain("[备注] 不是用途代码") == "[备注] 不是用途代码"
