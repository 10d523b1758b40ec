"""Offices, notices, and bringing the in-memory gallery in line with the vault at start."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.controller import LegalEntity
from keyuan.domain.checkin.notice import LANGUAGES, Notice
from keyuan.domain.checkin.person import Office
from keyuan.domain.errors import NoOfficeYet, StoreUnavailable, UnknownOffice
from keyuan.services.checkin.face_uses import publish_generated
from keyuan.services.checkin.gallery_sync import follow_gallery
from keyuan.services.ports import Deps, UnitOfWork

__all__ = ["CONTROLLER_TEXT", "LANGUAGES", "controller_text", "default_notice", "load_gallery",
           "office_or_first", "publish_notice"]


CONTROLLER_TEXT = ("controller", "controller_contact", "responsible_person")
"""The notice's fields that name the controller: filled from the office's legal entity."""


def _default_text(office: Office, entity: LegalEntity, language: str) -> dict[str, Any]:
    folder = resources.files("keyuan.services.checkin.default_notices")
    raw = folder.joinpath(f"default.{language}.json").read_text("utf-8")
    return {
        key: value.format(legal_entity=entity.name, credit_code=entity.credit_code,
                          contact=entity.contact, pi_name=entity.pi_name,
                          pi_contact=entity.pi_contact, office_name=office.name)
        for key, value in json.loads(raw).items()
    }


def default_notice(office: Office, entity: LegalEntity, language: str) -> Notice:
    """The default notice of the office in `language`, naming `entity` as the controller."""
    return Notice(office_id=office.id, **_default_text(office, entity, language))


def controller_text(office: Office, entity: LegalEntity, language: str) -> dict[str, str]:
    """The notice fields that name the controller (`CONTROLLER_TEXT`), as `entity` is now."""
    text = _default_text(office, entity, language)
    return {key: str(text[key]) for key in CONTROLLER_TEXT}


def publish_notice(notice: Notice, deps: Deps, *, actor: str = "admin") -> Notice:
    """C3: an incomplete notice raises NoticeIncomplete and nothing is stored. The processing
    section and the face uses it names come from the live configuration."""
    with deps.uow() as uow:
        now = deps.clock.now()
        version = uow.notices.latest_version(notice.office_id, notice.language) + 1
        publish_generated(uow, deps, notice, version=version)
        uow.notices.add(notice)
        uow.audit.append(at=now, actor=actor, action="notice_published", subject=None,
                         detail={"office": notice.office_id, "language": notice.language,
                                 "version": version, "hash": notice.content_hash,
                                 "face_uses": notice.face_uses})
        uow.commit()
        return notice


def office_or_first(uow: UnitOfWork, wanted: str | None) -> Office:
    """The office asked for, else the first on file: a deployment usually serves one sales
    office, so the kiosk, the signing desk and the dashboards need not name it."""
    office = uow.offices.get(wanted) if wanted else next(iter(uow.offices.all()), None)
    if office is None:
        raise UnknownOffice() if wanted else NoOfficeYet()
    return office


def load_gallery(deps: Deps) -> int:
    """Drop any template whose own consent is not an active face consent of that person (a crash
    between the two commits of a SQLite WAL pair could leave one), then bring the galleries to
    the store's gallery version (`gallery_sync`; a `GalleryFollower` keeps them there).
    Returns the gallery size."""
    with deps.uow() as uow:
        now = deps.clock.now()
        for pseudonym, consent_id in uow.vault.consent_ids().items():
            consent = uow.consents.get(consent_id)
            if (
                consent is None or consent.person_id != pseudonym or not consent.is_active
                or consent.scope is not ConsentScope.FACE
            ):
                uow.vault.delete(pseudonym)
                uow.audit.append(at=now, actor="system", action="template_deleted",
                                 subject=pseudonym, detail={"reason": "no_active_consent"})
        uow.commit()
    # 1:N compares only templates one engine made: the active engine's gallery, and one per
    # earlier model still held (searched by that model's engine, for one person one record)
    follow_gallery(deps, force=True, action="gallery_loaded")
    return len(deps.gallery)


def store_answers(deps: Deps) -> bool:
    """`/healthz`: whether the store answers a read right now (up or down, nothing more)."""
    try:
        with deps.uow() as uow:
            uow.offices.get("")
    except StoreUnavailable:
        return False
    return True
