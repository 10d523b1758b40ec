"""Offices, notices, and bringing the in-memory gallery in line with the vault at start."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from keyuan.domain.checkin.consent import ATTRIBUTION, ConsentScope
from keyuan.domain.checkin.notice import LANGUAGES, Notice
from keyuan.domain.checkin.person import Office
from keyuan.domain.errors import StoreUnavailable, UnknownOffice
from keyuan.services.checkin.face_gate import gallery_models
from keyuan.services.checkin.face_uses import publish_generated
from keyuan.services.faces.engine import Template
from keyuan.services.faces.gallery import Gallery
from keyuan.services.ports import Deps, UnitOfWork

__all__ = ["LANGUAGES", "default_notice", "ensure_office", "load_gallery", "office_or_first",
           "publish_notice"]


def default_notice(office: Office, language: str, dpo: str) -> Notice:
    folder = resources.files("keyuan.services.checkin.default_notices")
    raw = folder.joinpath(f"default.{language}.json").read_text("utf-8")
    fields = {
        key: value.format(legal_entity=office.legal_entity, office_name=office.name, dpo=dpo)
        for key, value in json.loads(raw).items()
    }
    return Notice(office_id=office.id, **fields)


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


def ensure_office(office: Office, deps: Deps, *, dpo: str) -> bool:
    """Create the office with its default notices unless it exists. True when created."""
    with deps.uow() as uow:
        if uow.offices.get(office.id) is not None:
            return False
        uow.offices.add(Office(id=office.id, name=office.name, legal_entity=office.legal_entity))
        uow.commit()
    for language in LANGUAGES:
        publish_notice(default_notice(office, language, dpo), deps, actor="init")
    return True


def office_or_first(uow: UnitOfWork, wanted: str | None) -> Office:
    """The office asked for, else the first on file: a deployment usually serves one sales
    office, so the kiosk, the signing desk and the dashboards need not name it."""
    office = uow.offices.get(wanted) if wanted else next(iter(uow.offices.all()), None)
    if office is None:
        raise UnknownOffice(None if wanted else
                            "No sales office is set up yet: run `keyuan init`.")
    return office


def load_gallery(deps: Deps) -> int:
    """Drop any template whose own consent is not an active face consent of that person (a crash
    between the two commits of a SQLite WAL pair could leave one), then fill the gallery.
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
    engines = [deps.engine, *deps.legacy_engines] if deps.engine is not None else []
    with deps.uow() as uow:
        loaded = [dict(uow.vault.all(purpose=ATTRIBUTION, models=gallery_models(engine)))
                  for engine in engines]
        uow.audit.append(at=deps.clock.now(), actor="system", action="gallery_loaded",
                         subject=None, detail={
                             "templates": sum(len(templates) for templates in loaded),
                             "models": {e.model.tag: len(t) for e, t in zip(engines, loaded,
                                                                            strict=True)}})
        uow.commit()
    if not engines:
        _refill(deps.gallery, {})
    for engine, templates in zip(engines, loaded, strict=True):
        if engine is deps.engine:
            _refill(deps.gallery, templates)
        else:
            _refill(deps.legacy_galleries.setdefault(engine.model.tag, Gallery()), templates)
    return len(deps.gallery)


def _refill(gallery: Gallery, loaded: dict[str, Template]) -> None:
    for stale in [key for key in gallery if key not in loaded]:
        gallery.remove(stale)
    fresh = [key for key in loaded if key not in gallery]
    if fresh:
        gallery.add_many(fresh, np.stack([loaded[key] for key in fresh]))


def store_answers(deps: Deps) -> bool:
    """`/healthz`: whether the store answers a read right now (up or down, nothing more)."""
    try:
        with deps.uow() as uow:
            uow.offices.get("")
    except StoreUnavailable:
        return False
    return True
