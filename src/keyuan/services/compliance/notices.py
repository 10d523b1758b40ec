"""告知 drafts and publishing (C3, C9, C25): a compliance officer drafts an office's notice, sees
what is still missing or forbidden, and publishes it with a version and a content hash.

A draft is a `notices` row without `published_at` (and without a hash, so no consent can ever
refer to it). Publishing gives it the next version above every row of its office and language,
so the newest published version is the one active notice per office and language; older
versions stay as the record the consents given under them point to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from keyuan.domain.bounds import is_row_id
from keyuan.domain.checkin.notice import Notice, NoticeProblem
from keyuan.domain.checkin.person import Office
from keyuan.domain.errors import (
    InvalidNotice,
    NoActiveNotice,
    NoticeAlreadyPublished,
    NoticeIncomplete,
    UnknownNotice,
    UnknownOffice,
)
from keyuan.services.checkin.face_uses import (
    live_uses,
    liveness_told,
    notices_in_force,
    publish_generated,
    stale_uses,
)
from keyuan.services.checkin.kiosk import active_notice
from keyuan.services.checkin.setup import LANGUAGES
from keyuan.services.ports import Deps, UnitOfWork

TEXT_FIELDS = tuple(name for name in Notice("", "").content() if name not in
                    ("office_id", "language", "processing"))  # processing is generated
MAX_FIELD_CHARS = 4000


class NoticeState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class NoticeView:
    notice: Notice
    state: NoticeState
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DraftCmd:
    office_id: str
    language: str
    text: Mapping[str, str]


def validate_text(text: Mapping[str, object]) -> dict[str, str]:
    """Only the notice's own text fields, as bounded strings; anything else is named."""
    problems = [f"unknown field {name!r}" for name in text if name not in TEXT_FIELDS]
    problems += [f"{name} must be text of at most {MAX_FIELD_CHARS} characters"
                 for name, value in text.items() if name in TEXT_FIELDS
                 and (not isinstance(value, str) or len(value) > MAX_FIELD_CHARS)]
    if problems:
        raise InvalidNotice("The draft cannot be stored: " + "; ".join(problems),
                            problems=problems)
    return {name: str(value).strip() for name, value in text.items()}


def create_draft(cmd: DraftCmd, deps: Deps, *, actor: str) -> NoticeView:
    """Store a draft (it may be incomplete: the answer lists what publishing still needs)."""
    text = validate_text(cmd.text)
    if cmd.language not in LANGUAGES:
        raise InvalidNotice(f"Language must be one of {', '.join(LANGUAGES)}.")
    with deps.uow() as uow:
        if uow.offices.get(cmd.office_id) is None:
            raise UnknownOffice(f"No office '{cmd.office_id}'.")
        version = uow.notices.latest_version(cmd.office_id, cmd.language) + 1
        draft = Notice(office_id=cmd.office_id, language=cmd.language, version=version)
        for name, value in text.items():
            setattr(draft, name, value)
        notice = uow.notices.add(draft)
        uow.audit.append(at=deps.clock.now(), actor=actor[:64], action="notice_drafted",
                         subject=None, detail={"notice": notice.id, "office": cmd.office_id,
                                               "language": cmd.language})
        uow.commit()
        return NoticeView(notice, NoticeState.DRAFT, notice.problems())


def list_notices(office_id: str, deps: Deps) -> list[NoticeView]:
    """Every version and draft of an office, newest first per language."""
    with deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice(f"No office '{office_id}'.")
        return [_view(uow, n) for n in uow.notices.for_office(office_id)]


def show_notice(notice_id: int, deps: Deps) -> NoticeView:
    with deps.uow() as uow:
        return _view(uow, _get(uow, notice_id))


def publish_draft(notice_id: int, deps: Deps, *, actor: str) -> NoticeView:
    """C3 + C9: an incomplete or perpetual/irrevocable/sublicensable draft is refused with the
    list of its problems, and nothing changes."""
    with deps.uow() as uow:
        notice = _get(uow, notice_id)
        if notice.is_published:
            raise NoticeAlreadyPublished()
        problems = notice.problems()
        if problems:
            raise NoticeIncomplete("The notice cannot be published: " + "; ".join(problems),
                                   problems=problems)
        latest = uow.notices.latest_version(notice.office_id, notice.language)
        now = deps.clock.now()
        publish_generated(uow, deps, notice,
                          version=notice.version if notice.version == latest else latest + 1)
        uow.audit.append(at=now, actor=actor[:64], action="notice_published", subject=None,
                         detail={"notice": notice.id, "office": notice.office_id,
                                 "language": notice.language, "version": notice.version,
                                 "hash": notice.content_hash, "face_uses": notice.face_uses})
        uow.commit()
        return NoticeView(notice, NoticeState.ACTIVE)


def republish(office_id: str, deps: Deps, *, actor: str) -> list[NoticeView]:
    """Publish each notice in force again, its drafted text unchanged but for the purpose's
    consultant-alert clause (`purpose_with_alerts`: added where an earlier purpose said there
    was no other), with the processing section generated from the configuration now: what a
    face use switched on needs before it runs (C3). Consents given under the earlier version do
    not cover the added use."""
    with deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice(f"No office '{office_id}'.")
        published = []
        for current in notices_in_force(uow, office_id):
            notice = Notice(office_id=office_id, language=current.language,
                            **{name: getattr(current, name) for name in TEXT_FIELDS})
            version = uow.notices.latest_version(office_id, current.language) + 1
            publish_generated(uow, deps, notice, version=version)
            uow.notices.add(notice)
            uow.audit.append(at=deps.clock.now(), actor=actor[:64], action="notice_published",
                             subject=None, detail={
                                 "office": office_id, "language": notice.language,
                                 "version": notice.version, "hash": notice.content_hash,
                                 "face_uses": notice.face_uses, "republished_from":
                                 current.version})
            published.append(NoticeView(notice, NoticeState.ACTIVE))
        if not published:
            raise NoActiveNotice()
        uow.commit()
        return published


def face_use_status(office_id: str, deps: Deps) -> tuple[list[str], dict[str, list[str]]]:
    """The face uses switched on now, and per language of a notice in force the ones it does
    not name yet (those are refused until `republish`)."""
    with deps.uow() as uow:
        if uow.offices.get(office_id) is None:
            raise UnknownOffice(f"No office '{office_id}'.")
        return ([use.value for use in live_uses(uow, deps, office_id)],
                stale_uses(uow, deps, office_id))


def liveness_lagging(office_id: str, deps: Deps) -> list[str]:
    """The languages whose notice in force does not tell of the liveness check as it runs now
    (every face use is refused for them until `republish`)."""
    with deps.uow() as uow:
        return [n.language for n in notices_in_force(uow, office_id)
                if not liveness_told(n, deps)]


@dataclass(frozen=True)
class NoticeRow:
    """A notice as the notices page lists it: its state, what stops it from publishing (as
    data, put in words by the page) and who drafted and published it (from the audit log)."""

    view: NoticeView
    lint: list[NoticeProblem]
    drafted: tuple[str, datetime] | None
    """Who drafted it and when (None: not drafted through this service, e.g. the first one)."""
    published_by: str | None


@dataclass(frozen=True)
class NoticeBoard:
    """One office's notices, per language newest first, and the face uses switched on now with,
    per language of a notice in force, those it does not name yet (refused until republished)."""

    office: Office
    rows: dict[str, list[NoticeRow]]
    live_uses: list[str]
    stale_uses: dict[str, list[str]]


def notice_board(office_id: str, deps: Deps) -> NoticeBoard:
    with deps.uow() as uow:
        office = uow.offices.get(office_id)
        if office is None:
            raise UnknownOffice(f"No office '{office_id}'.")
        drafted: dict[object, tuple[str, datetime]] = {}
        published: dict[object, str] = {}
        for event in uow.audit.with_actions("notice_drafted", "notice_published"):
            d = event.detail
            if d.get("office") != office_id:
                continue
            if event.action == "notice_drafted":
                drafted[d.get("notice")] = (event.actor, event.at)
            else:
                published[(d.get("language"), d.get("version"))] = event.actor
        rows: dict[str, list[NoticeRow]] = {language: [] for language in LANGUAGES}
        for notice in uow.notices.for_office(office_id):
            view = _view(uow, notice)
            rows.setdefault(notice.language, []).append(NoticeRow(
                view, notice.lint() if not notice.is_published else [],
                drafted.get(notice.id),
                published.get((notice.language, notice.version)) if notice.is_published
                else None))
        return NoticeBoard(office, rows, [use.value for use in live_uses(uow, deps, office_id)],
                           stale_uses(uow, deps, office_id))


def _get(uow: UnitOfWork, notice_id: int) -> Notice:
    notice = uow.notices.get(notice_id) if is_row_id(notice_id) else None
    if notice is None:
        raise UnknownNotice()
    return notice


def _view(uow: UnitOfWork, notice: Notice) -> NoticeView:
    if not notice.is_published:
        return NoticeView(notice, NoticeState.DRAFT, notice.problems())
    active = uow.notices.active(notice.office_id, notice.language)
    state = NoticeState.ACTIVE if active is notice else NoticeState.SUPERSEDED
    return NoticeView(notice, state)


def poster_facts(office_id: str, language: str, deps: Deps) -> tuple[Office, Notice]:
    """The office and its notice in force, as the printed poster shows them (C4: a poster
    informs, it never consents). The notice falls back to zh-CN."""
    with deps.uow() as uow:
        notice = active_notice(uow, office_id, language)
        office = uow.offices.get(office_id)
    assert office is not None  # active_notice refused an unknown office
    return office, notice
