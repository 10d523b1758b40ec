"""告知 (C3, C9, C25): a notice publishes only when complete and free of perpetual grants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyuan.domain.checkin.notice import REQUIRED_FIELDS, Notice
from keyuan.domain.errors import NoticeIncomplete

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def complete_notice(**overrides: str) -> Notice:
    """A notice with every required field filled in; override any field by keyword."""
    text = {name: f"{name} text ({why})" for name, why in REQUIRED_FIELDS.items()}
    text["summary"] = "Face or mobile check-in; both count the same."
    text.update(overrides)
    return Notice(office_id="office-1", language="en", **text)


def test_a_complete_notice_has_no_problems_and_publishes_with_version_and_hash() -> None:
    notice = complete_notice()
    assert notice.problems() == []

    notice.publish(version=3, now=NOW)

    assert notice.version == 3
    assert len(notice.content_hash) == 64
    assert int(notice.content_hash, 16) >= 0
    assert notice.published_at == NOW
    assert notice.is_published


def test_an_unpublished_notice_is_not_published() -> None:
    assert not complete_notice().is_published


@pytest.mark.parametrize("field", sorted(REQUIRED_FIELDS))
def test_c3_a_notice_missing_a_required_field_cannot_be_published(field: str) -> None:
    notice = complete_notice(**{field: ""})

    with pytest.raises(NoticeIncomplete) as raised:
        notice.publish(version=1, now=NOW)

    assert field in raised.value.message
    assert any(field in problem for problem in raised.value.details["problems"])
    assert not notice.is_published
    assert notice.version == 0
    assert notice.content_hash == ""


@pytest.mark.parametrize("field", ["controller", "rights", "retention"])
def test_c3_a_field_of_only_whitespace_counts_as_missing(field: str) -> None:
    notice = complete_notice(**{field: " \t\n\u3000"})

    with pytest.raises(NoticeIncomplete, match=field):
        notice.publish(version=1, now=NOW)


def test_c3_every_missing_field_is_named_at_once() -> None:
    notice = Notice(office_id="office-1", language="en")

    problems = notice.problems()

    for field in REQUIRED_FIELDS:
        assert any(problem.startswith(f"missing {field}:") for problem in problems), field


def test_c25_the_notice_must_name_the_person_responsible() -> None:
    assert "responsible_person" in REQUIRED_FIELDS
    with pytest.raises(NoticeIncomplete, match="responsible_person"):
        complete_notice(responsible_person="").publish(version=1, now=NOW)


@pytest.mark.parametrize(
    "grant",
    [
        "永久",
        "不可撤销",
        "perpetual",
        "irrevocable",
        "sublicense",
        "Perpetual",
        "IRREVOCABLY",
        "sublicensable",
    ],
)
@pytest.mark.parametrize("field", ["rights", "purpose", "summary"])
def test_c9_a_notice_granting_a_perpetual_irrevocable_or_sublicensable_right_is_refused(
    grant: str, field: str
) -> None:
    notice = complete_notice(**{field: f"You grant us a {grant} licence to your face template."})

    with pytest.raises(NoticeIncomplete) as raised:
        notice.publish(version=1, now=NOW)

    assert field in raised.value.message
    assert "perpetual, irrevocable or sublicensable" in raised.value.message
    assert not notice.is_published


def test_the_content_hash_is_stable_for_the_same_text_and_version() -> None:
    first, second = complete_notice(), complete_notice()

    first.publish(version=1, now=NOW)
    second.publish(version=1, now=datetime(2026, 1, 1, tzinfo=UTC))

    assert first.content_hash == second.content_hash


@pytest.mark.parametrize("field", [*sorted(REQUIRED_FIELDS), "summary", "language", "office_id"])
def test_the_content_hash_changes_when_any_text_changes(field: str) -> None:
    original, edited = complete_notice(), complete_notice()
    setattr(edited, field, getattr(edited, field) + " (edited)")

    original.publish(version=1, now=NOW)
    edited.publish(version=1, now=NOW)

    assert original.content_hash != edited.content_hash


def test_the_content_hash_changes_with_the_version() -> None:
    first, second = complete_notice(), complete_notice()

    first.publish(version=1, now=NOW)
    second.publish(version=2, now=NOW)

    assert first.content_hash != second.content_hash


def test_the_lint_names_each_problem_as_data_for_a_page_to_put_in_words() -> None:
    notice = complete_notice(rights="", purpose="授权永久有效")

    assert [(p.field, p.found, p.is_grant) for p in notice.lint()] == [
        ("rights", "", False), ("purpose", "永久", True)]
    assert notice.problems() == [str(p) for p in notice.lint()]
    assert notice.problems()[0].startswith("missing rights: ")
