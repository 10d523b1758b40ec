"""轮排 rules (pure): the next available consultant after the last turn, wrapping round; new sales
accounts join at the end; the notice's alert sentence gates the alerts; only mobile-proven
returns alert a consultant."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyuan.domain.attribution.adjudication import Evidence, VisitFact, adjudicate
from keyuan.domain.checkin.consultants import (
    ALERTING_METHODS,
    AssignedBy,
    Assignment,
    Cursor,
    QueueMember,
    ReassignReason,
    alert_line,
    alert_purpose,
    alerts_told,
    cursor_after_move,
    moved,
    next_in_queue,
    purpose_tells_alerts,
    purpose_with_alerts,
    with_newcomers,
)
from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.errors import ConsultantUnchanged, NoConsultantAvailable, QueuePlaceInvalid

TODAY = date(2026, 11, 28)


def queue(*away: bool) -> list[QueueMember]:
    return [QueueMember(f"u{i}", f"gu-{i}", i + 1, TODAY if off else None)
            for i, off in enumerate(away)]


def test_the_first_turn_goes_to_the_head_of_the_queue() -> None:
    assert next_in_queue(queue(False, False), Cursor(), TODAY).username == "gu-0"


def test_the_next_turn_skips_whoever_is_away_today_and_wraps_round() -> None:
    members = queue(False, True, False)
    assert next_in_queue(members, Cursor(1, 1), TODAY).username == "gu-2"
    assert next_in_queue(members, Cursor(3, 2), TODAY).username == "gu-0"


def test_away_yesterday_is_available_today() -> None:
    members = [QueueMember("u0", "gu-0", 1, date(2026, 11, 27))]
    assert next_in_queue(members, Cursor(1, 5), TODAY).username == "gu-0"


def test_nobody_available_is_refused() -> None:
    with pytest.raises(NoConsultantAvailable):
        next_in_queue(queue(True, True), Cursor(), TODAY)
    with pytest.raises(NoConsultantAvailable):
        next_in_queue([], Cursor(), TODAY)


@given(st.lists(st.booleans(), min_size=1, max_size=8), st.integers(1, 30))
def test_turns_go_round_the_available_once_each_before_anyone_repeats(
        away: list[bool], presses: int) -> None:
    members = queue(*away)
    ready = [m.username for m in members if m.available(TODAY)]
    if not ready:
        return
    cursor, given_to = Cursor(), []
    for _ in range(presses):
        member = next_in_queue(members, cursor, TODAY)
        given_to.append(member.username)
        cursor = Cursor(member.position, cursor.turns + 1)
    assert given_to == [ready[i % len(ready)] for i in range(presses)]


def test_new_sales_accounts_join_at_the_end_and_former_ones_leave() -> None:
    stored = [QueueMember("u1", "zhang", 1), QueueMember("u2", "li", 2)]
    now = with_newcomers(stored, [("u2", "li"), ("u3", "wang"), ("u4", "an")])
    assert [(m.username, m.position) for m in now] == [("li", 2), ("an", 3), ("wang", 4)]


def test_alerts_run_only_while_every_notice_in_force_tells_of_them() -> None:
    zh = ("zh-CN", f"判客；{alert_purpose('zh-CN')}。不用于其他目的。", "…\n" + alert_line("zh-CN"))
    en = ("en", f"Attribution; and {alert_purpose('en')}. No other purpose.", alert_line("en"))
    assert alerts_told([zh, en])
    assert not alerts_told([zh, ("en", en[1], "older words")])
    assert not alerts_told([zh, ("en", "Attribution. No other purpose.", en[2])])
    assert not alerts_told([])


@pytest.mark.parametrize(("language", "purpose", "no_other"), [
    ("zh-CN", "用于判客并结算佣金。不用于其他目的。", "不用于其他目的"),
    ("en", "To decide which channel brought you. No other purpose.", "No other purpose"),
    ("en", "To decide which channel brought you, and for no other purpose.", "no other purpose"),
])
def test_a_purpose_that_says_there_is_no_other_is_given_the_alert_purpose_before_it(
        language: str, purpose: str, no_other: str) -> None:
    told = purpose_with_alerts(purpose, language)
    assert alert_purpose(language) in told.split(no_other)[0]
    assert purpose_tells_alerts(told, language)
    assert purpose_with_alerts(told, language) == told  # once


def test_a_purpose_already_telling_of_the_alerts_is_kept_and_one_without_a_closing_grows() -> None:
    kept = f"判客；{alert_purpose('zh-CN')}。不用于其他目的。"
    assert purpose_with_alerts(kept, "zh-CN") == kept
    assert purpose_with_alerts("Attribution", "en") == \
        f"Attribution. Also, {alert_purpose('en')}."
    late = f"Attribution. No other purpose. Also {alert_purpose('en')}."
    assert not purpose_tells_alerts(late, "en")


def test_a_face_recognised_return_never_alerts_a_consultant() -> None:
    assert VisitMethod.FACE_KIOSK not in ALERTING_METHODS
    assert VisitMethod.CAMERA not in ALERTING_METHODS
    assert {VisitMethod.PHONE, VisitMethod.RECEPTION} == ALERTING_METHODS  # 到访确认: no person


def test_the_decision_cites_the_consultant_of_the_first_visit_and_reads_it_back() -> None:
    at = datetime(2026, 11, 1, 2, tzinfo=UTC)
    decision = adjudicate([VisitFact("v2", at.replace(day=2), "phone", consultant="gu-a"),
                           VisitFact("v1", at, "phone", consultant="gu-b")], [],
                          signed_at=at.replace(day=9))
    stored = decision.evidence.to_json(decision.verdicts)
    assert stored["first_visit"]["consultant"] == "gu-b"
    assert "first visit received by consultant gu-b" in decision.trace
    assert Evidence.from_json(stored).first_visit.consultant == "gu-b"  # type: ignore[union-attr]
    plain = adjudicate([VisitFact("v1", at, "phone")], [], signed_at=at.replace(day=9))
    assert "consultant" not in plain.evidence.to_json(())["first_visit"]
    assert not any("consultant" in line for line in plain.trace)


def test_a_move_puts_the_consultant_at_the_place_and_numbers_everyone_in_order() -> None:
    members = [QueueMember("u0", "gu-0", 2), QueueMember("u1", "gu-1", 5),
               QueueMember("u2", "gu-2", 9)]
    after = moved(members, "u2", 1)
    assert [(m.username, m.position) for m in after] == [("gu-2", 1), ("gu-0", 2), ("gu-1", 3)]
    for place in (0, 4):
        with pytest.raises(QueuePlaceInvalid):
            moved(members, "u0", place)


def test_after_a_move_the_turn_goes_on_from_whoever_took_the_last_one() -> None:
    before = queue(False, False, False)  # gu-0 1, gu-1 2, gu-2 3
    after = moved(before, "u2", 1)  # gu-2, gu-0, gu-1
    cursor = cursor_after_move(before, after, Cursor(1, 4), "u2")  # gu-0 took turn 4
    assert cursor == Cursor(2, 4)
    assert next_in_queue(after, cursor, TODAY).username == "gu-1"
    assert cursor_after_move(before, after, Cursor(), "u2") == Cursor()
    assert next_in_queue(after, cursor_after_move(before, after, Cursor(0, 1), "u2"), TODAY) \
        .username == "gu-2"


def four() -> list[QueueMember]:
    return [QueueMember(f"u{i}", f"gu-{name}", i + 1) for i, name in enumerate("abcd")]


@pytest.mark.parametrize(("mover", "place", "last", "order", "turns"), [
    ("u1", 4, 2, "acdb", "cdbacdba"),  # b took the last turn and goes to the back: c still next
    ("u2", 1, 3, "cabd", "dcabdcab"),  # c took it and goes to the head: d still next
    ("u0", 4, 1, "bcda", "bcdabcda"),  # a took it, b next: b stays next
    ("u3", 1, 4, "dabc", "abcdabcd"),  # d took it (the end), a next: a stays next
])
def test_when_the_consultant_who_took_the_last_turn_moves_whoever_was_next_stays_next(
        mover: str, place: int, last: int, order: str, turns: str) -> None:
    before = four()
    after = moved(before, mover, place)
    assert "".join(m.username[-1] for m in after) == order
    cursor = cursor_after_move(before, after, Cursor(last, 7), mover)
    given = []
    for _ in range(len(turns)):  # nobody between the old and the new place loses a turn
        member = next_in_queue(after, cursor, TODAY)
        given.append(member.username[-1])
        cursor = Cursor(member.position, cursor.turns + 1)
    assert "".join(given) == turns


def test_a_reassignment_keeps_how_the_visit_was_given_and_refuses_the_same_consultant() -> None:
    at = datetime(2026, 11, 28, 2, tzinfo=UTC)
    first = Assignment(visit_id="v", office_id="o", person_id="p", consultant_id="u0",
                       consultant="gu-0", how=AssignedBy.QUEUE, turn=3, at=at, by="reception:a")
    moved_to = first.reassigned(QueueMember("u1", "gu-1", 2), ReassignReason.CUSTOMER_ASKED,
                                at=at, by="reception:b")
    assert (moved_to.consultant, moved_to.reassigned_from, moved_to.reason, moved_to.how,
            moved_to.turn) == ("gu-1", "gu-0", ReassignReason.CUSTOMER_ASKED, AssignedBy.QUEUE, 3)
    with pytest.raises(ConsultantUnchanged):
        moved_to.reassigned(QueueMember("u1", "gu-1", 2), ReassignReason.CORRECTION, at=at,
                            by="reception:b")
