"""置业顾问: the office's own sales staff (accounts of the `sales` role) who receive visitors.
Reception assigns one to a visit, by name or by 轮排 (the round-robin queue: the next available
consultant after the one who took the last turn, in the office's order, wrapping round).

A customer's consultant is the one assigned to their first visit at the office. When that
customer comes back, the consultant is told on their own page — only for a return proven by the
customer's mobile (SMS code, 前台代登记, 到访确认). No face use covers telling a consultant, so a
visit recognised by face never alerts anyone; the notice says so in the same words
(`alert_line`), and alerts run only while every notice in force says it (`alerts_told`).

Pure rules and the repository port (`ConsultantStore`, `uow.consultants`); no I/O."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from keyuan.domain.checkin.visit import VisitMethod
from keyuan.domain.errors import ConsultantUnchanged, NoConsultantAvailable, QueuePlaceInvalid


@dataclass(frozen=True)
class QueueMember:
    """One consultant in an office's queue. `away_on`: the local day they were marked away (they
    are available again the next day, or when reception marks them back)."""

    user_id: str
    username: str
    position: int
    away_on: date | None = None

    def available(self, today: date) -> bool:
        return self.away_on != today


class AssignedBy(StrEnum):
    CHOSEN = "chosen"  # reception picked the consultant
    QUEUE = "queue"  # 轮排: the next in the queue


class ReassignReason(StrEnum):
    """Why reception gave a visit to another consultant (kept on the assignment and audited)."""

    CUSTOMER_ASKED = "customer_asked"  # the customer asked for their usual consultant
    CONSULTANT_UNAVAILABLE = "consultant_unavailable"  # the one assigned cannot receive them
    CORRECTION = "correction"  # reception assigned the wrong consultant


@dataclass(frozen=True)
class Assignment:
    """A consultant assigned to one visit (once per visit). `turn`: the queue's turn number for a
    queue assignment (1, 2, 3 … per office, never repeated or skipped), None when chosen. A
    reassignment changes the consultant and keeps `how` and `turn` (how the visit was first
    given), with who had it before, why, when and by whom."""

    visit_id: str
    office_id: str
    person_id: str | None  # None for an escorted visit: it is kept on its claim, not a person
    consultant_id: str
    consultant: str
    how: AssignedBy
    turn: int | None
    at: datetime
    by: str
    reassigned_from: str | None = None  # the username of the consultant who had it before
    reason: ReassignReason | None = None
    reassigned_at: datetime | None = None
    reassigned_by: str | None = None

    def reassigned(self, to: QueueMember, reason: ReassignReason, *, at: datetime,
                   by: str) -> Assignment:
        """The visit given to `to` instead (`ConsultantUnchanged` if it is theirs already: a
        second press changes nothing). The queue's turn stays spent."""
        if to.user_id == self.consultant_id:
            raise ConsultantUnchanged()
        return replace(self, consultant_id=to.user_id, consultant=to.username,
                       reassigned_from=self.consultant, reason=reason, reassigned_at=at,
                       reassigned_by=by)


@dataclass(frozen=True)
class Cursor:
    """Where an office's queue stands: the position of the last queue turn, and how many turns
    were given so far."""

    last_position: int | None = None
    turns: int = 0


def with_newcomers(members: Sequence[QueueMember],
                   staff: Iterable[tuple[str, str]]) -> list[QueueMember]:
    """The queue with every sales account not yet in it appended at the end (by username), and
    without those no longer sales staff (disabled, or another role now): `staff` is the
    (user id, username) of each enabled `sales` account."""
    current = dict(staff)
    kept = sorted((m for m in members if m.user_id in current), key=lambda m: m.position)
    known = {m.user_id for m in members}
    end = max((m.position for m in members), default=0)
    new = sorted((name, uid) for uid, name in current.items() if uid not in known)
    return kept + [QueueMember(uid, name, end + i) for i, (name, uid) in enumerate(new, 1)]


def next_in_queue(members: Sequence[QueueMember], cursor: Cursor, today: date) -> QueueMember:
    """轮排: the first available member after the last turn's position, wrapping round to the
    start; `NoConsultantAvailable` when everyone is away (or there is nobody)."""
    ready = sorted((m for m in members if m.available(today)), key=lambda m: m.position)
    if not ready:
        raise NoConsultantAvailable()
    last = cursor.last_position
    after = [m for m in ready if last is None or m.position > last]
    return (after or ready)[0]


def moved(members: Sequence[QueueMember], user_id: str, place: int) -> list[QueueMember]:
    """The queue with `user_id` put at `place` (1: the head) and everyone numbered 1, 2, 3 … in
    the new order; `QueuePlaceInvalid` for a place outside the queue."""
    order = sorted(members, key=lambda m: m.position)
    if not 1 <= place <= len(order):
        raise QueuePlaceInvalid()
    who = next(m for m in order if m.user_id == user_id)
    order.remove(who)
    order.insert(place - 1, who)
    return [replace(m, position=i) for i, m in enumerate(order, 1)]


def cursor_after_move(before: Sequence[QueueMember], after: Sequence[QueueMember],
                      cursor: Cursor, mover: str) -> Cursor:
    """The cursor in the renumbered queue: the turn goes on round from the same consultant who
    took the last one (or, when they have left the queue, from the one before them) — unless
    it is they who were moved (`mover`): then whoever was next after them stays next, so
    nobody between their old and new places loses a turn."""
    if cursor.last_position is None:
        return cursor
    order = sorted(before, key=lambda m: m.position)
    taken = [m for m in order if m.position <= cursor.last_position]
    if not taken:
        return Cursor(0, cursor.turns)
    last = taken[-1].user_id
    if last == mover and len(order) > 1:
        following = [m for m in order if m.position > cursor.last_position] or order
        stays_next = following[0].user_id
        return Cursor(next(m.position for m in after if m.user_id == stays_next) - 1,
                      cursor.turns)
    return Cursor(next(m.position for m in after if m.user_id == last), cursor.turns)


def up_next(members: Sequence[QueueMember], cursor: Cursor, today: date) -> QueueMember | None:
    """Who the next press of "next in queue" gives, for the page (None: nobody available)."""
    try:
        return next_in_queue(members, cursor, today)
    except NoConsultantAvailable:
        return None


ALERTING_METHODS = frozenset({VisitMethod.PHONE, VisitMethod.RECEPTION})
"""The returns a consultant is told of: the customer's own check-in by mobile. A face check-in
at the kiosk and a face lane camera are never among them (no face use covers telling a
consultant); nor is a channel's 到访确认, which keeps no person to recognise as returning."""


def alerts_consultant(method: VisitMethod) -> bool:
    return method in ALERTING_METHODS


_ALERT_LINE = {
    "zh-CN": "置业顾问提醒：前台会为您安排一位置业顾问。您再次到访并凭手机号登记"
             "（短信验证码或前台代登记）时，接待您首次到访的置业顾问"
             "会收到“您已再次到访”的提醒，只含您的姓名和前三后四的手机号。"
             "凭刷脸确认的到访不会提醒任何人。",
    "en": "Consultant alert: reception assigns you a sales consultant (置业顾问). When you come "
          "back and check in by mobile (SMS code or reception check-in), the consultant who "
          "received your first visit is told that you are back, "
          "with only your name and masked mobile. A visit recognised by your face never alerts "
          "anyone.",
}


def alert_line(language: str) -> str:
    """The notice's sentence on consultant alerts, in `language` (else zh-CN): generated into
    every notice's processing section, so what the visitor reads is what runs."""
    return _ALERT_LINE.get(language, _ALERT_LINE["zh-CN"])


_ALERT_PURPOSE = {
    "zh-CN": "仅在您再次到访并凭手机号登记时，"
             "提醒接待您首次到访的置业顾问您已到访（刷脸到访从不提醒）",
    "en": "only when you come back and check in by mobile, to tell the sales consultant who "
          "received your first visit that you are back (never from a face check)",
}
_ALERT_PURPOSE_SENTENCE = {"zh-CN": "{clause}。", "en": "Also, {clause}."}
_NO_OTHER_PURPOSE = re.compile(
    r"不(?:用于|作)(?:其他|其它|任何其他)(?:目的|用途)|不作他用|no other purpose|"
    r"for no other purpose|not for any other purpose|only for (?:this|these) purposes?",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"[。；;！!]|\.\s")


def alert_purpose(language: str) -> str:
    """The purpose clause of consultant alerts, in `language` (else zh-CN)."""
    return _ALERT_PURPOSE.get(language, _ALERT_PURPOSE["zh-CN"])


def purpose_tells_alerts(purpose: str, language: str) -> bool:
    """The purpose names consultant alerts before anything in it that says there is no other
    purpose: a notice carrying `alert_line` must not say its purposes end short of it."""
    at = purpose.find(alert_purpose(language))
    closing = _NO_OTHER_PURPOSE.search(purpose)
    return at >= 0 and (closing is None or at < closing.start())


def purpose_with_alerts(purpose: str, language: str) -> str:
    """`purpose` as a notice carrying `alert_line` states it: unchanged when it already tells of
    the alerts (`purpose_tells_alerts`); else the alert purpose as a sentence of its own, put
    before the sentence that says there is no other purpose (or at the end when none does)."""
    if purpose_tells_alerts(purpose, language):
        return purpose
    lang = language if language in _ALERT_PURPOSE else "zh-CN"
    sentence = _ALERT_PURPOSE_SENTENCE[lang].format(clause=alert_purpose(lang))
    closing = _NO_OTHER_PURPOSE.search(purpose)
    if closing is None:
        head = purpose.rstrip()
        if head and not head.endswith(("。", ".", "；", ";", "！", "!")):
            head += "。" if lang == "zh-CN" else "."
        return f"{head}{'' if lang == 'zh-CN' else ' '}{sentence}".strip()
    ends = [m.end() for m in _SENTENCE_END.finditer(purpose, 0, closing.start())]
    cut = ends[-1] if ends else 0
    head, tail = purpose[:cut].rstrip(), purpose[cut:].lstrip()
    gap = "" if lang == "zh-CN" else " "
    return gap.join(part for part in (head, sentence, tail) if part)


def alerts_told(notices: Iterable[tuple[str, str, str]]) -> bool:
    """Alerts run only while every notice in force (its language, purpose and processing
    section) tells of them: `alert_line`'s words in the processing section, and a purpose that
    names them (`purpose_tells_alerts`); no notice in force tells nothing."""
    found = list(notices)
    return bool(found) and all(alert_line(lang) in processing
                               and purpose_tells_alerts(purpose, lang)
                               for lang, purpose, processing in found)


class ConsultantStore(Protocol):
    """置业顾问 and 轮排 in the store (`adapters/store/repositories/consultants.py`)."""

    def lock_office(self, office_id: str) -> Cursor:
        """The office's queue cursor, created if missing and held until the unit of work ends:
        every change of the office's queue or assignments takes it first (MUST: of two units of
        work at once, the second waits and then reads what the first committed)."""

    def sales_staff(self) -> list[tuple[str, str]]:
        """(user id, username) of every enabled account of the `sales` role."""

    def members(self, office_id: str) -> list[QueueMember]:
        """The office's stored queue, in order."""

    def cursor(self, office_id: str) -> Cursor: ...

    def put_member(self, office_id: str, member: QueueMember) -> None:
        """Insert or update one member (position, away day)."""

    def advance(self, office_id: str, cursor: Cursor) -> None: ...

    def add(self, assignment: Assignment) -> None:
        """MUST raise `ConsultantAlreadyAssigned` if the visit has one (one per visit)."""

    def reassign(self, assignment: Assignment) -> None:
        """Store the visit's assignment as given (its consultant and the reassignment fields);
        the caller holds the office's lock."""

    def of_visits(self, visit_ids: Collection[str]) -> dict[str, Assignment]:
        """The assignment of each of these visits that has one, by visit id."""

    def of_consultant(self, office_id: str, consultant_id: str, start: datetime,
                      end: datetime) -> list[Assignment]:
        """The consultant's assignments at the office for visits in [start, end), by visit time."""
