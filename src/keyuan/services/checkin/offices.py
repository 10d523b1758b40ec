"""Offices and their legal entities (the personal-information controller every notice and
receipt names): add, edit, list; and the gate the kiosk passes before a visit starts.

Outside demo mode nothing is created by itself: an admin adds the legal entity (name, unified
social credit code, contact, person responsible for personal information) and its offices with
`keyuan legal-entity|office add` or on /admin/offices. An office's notices are published (and
republished with the controller's current details whenever they change) once its entity is
complete; until then its kiosk refuses to start (`ControllerIncomplete`). Every change is
audited."""

from __future__ import annotations

from dataclasses import dataclass, fields

from keyuan.domain.checkin.controller import (
    CONTROLLER_FIELDS,
    NAME_MAX,
    PERSON_MAX,
    LegalEntity,
    check_office_id,
    clean_text,
    normalize_contact,
    normalize_credit_code,
)
from keyuan.domain.checkin.notice import LANGUAGES, Notice
from keyuan.domain.checkin.person import Office
from keyuan.domain.errors import (
    ControllerIncomplete,
    LegalEntityExists,
    NoOfficeYet,
    OfficeExists,
    OfficeRequired,
    UnknownLegalEntity,
    UnknownOffice,
)
from keyuan.services.checkin.face_uses import publish_generated
from keyuan.services.checkin.setup import controller_text, default_notice
from keyuan.services.ports import Deps, UnitOfWork

EntityRef = int | str
"""A legal entity by its id, or by its exact name (what the command line takes)."""


@dataclass(frozen=True)
class EntityFields:
    """What to set on a legal entity; None leaves a field as it is, "" takes it off file."""

    name: str | None = None
    credit_code: str | None = None
    contact: str | None = None
    pi_name: str | None = None
    pi_contact: str | None = None


@dataclass(frozen=True)
class EntityView:
    entity: LegalEntity
    offices: list[str]
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class OfficeView:
    office: Office
    entity: LegalEntity | None
    missing: list[str]
    """The controller fields the office's entity lacks (all of them without an entity)."""

    @property
    def complete(self) -> bool:
        return not self.missing


def _validated(changes: EntityFields) -> dict[str, str]:
    out: dict[str, str] = {}
    if changes.name is not None:
        out["name"] = clean_text(changes.name, what="legal entity's name", limit=NAME_MAX)
    if changes.credit_code is not None:
        out["credit_code"] = (normalize_credit_code(changes.credit_code)
                              if changes.credit_code.strip() else "")
    if changes.contact is not None:
        out["contact"] = (normalize_contact(changes.contact, what="controller's contact")
                          if changes.contact.strip() else "")
    if changes.pi_name is not None:
        out["pi_name"] = clean_text(changes.pi_name, what="responsible person's name",
                                    limit=PERSON_MAX, required=False)
    if changes.pi_contact is not None:
        out["pi_contact"] = (normalize_contact(changes.pi_contact,
                                               what="responsible person's contact")
                             if changes.pi_contact.strip() else "")
    return out


def _code_free(uow: UnitOfWork, code: str, entity_id: int | None) -> None:
    holder = uow.legal_entities.by_credit_code(code) if code else None
    if holder is not None and holder.id != entity_id:
        raise LegalEntityExists(f"The credit code {code} is already on file for "
                                f"'{holder.name}'.", legal_entity_id=holder.id)


def _entity(uow: UnitOfWork, ref: EntityRef) -> LegalEntity:
    found = None
    if isinstance(ref, int) or ref.isdigit():
        number = int(ref)
        found = uow.legal_entities.get(number) if 0 < number < 2**31 else None
    if found is None and isinstance(ref, str):
        found = uow.legal_entities.by_name(" ".join(ref.split()))
    if found is None:
        raise UnknownLegalEntity(f"No legal entity '{str(ref)[:200]}': add it first with "
                                 "`keyuan legal-entity add`.")
    return found


def _office(uow: UnitOfWork, office_id: str) -> Office:
    office = uow.offices.get(office_id)
    if office is None:
        raise UnknownOffice(f"No office '{office_id[:70]}'.")
    return office


def _entity_view(uow: UnitOfWork, entity: LegalEntity) -> EntityView:
    assert entity.id is not None
    return EntityView(entity, [o.id for o in uow.offices.of_entity(entity.id)], entity.missing())


def _office_view(uow: UnitOfWork, office: Office) -> OfficeView:
    entity = (uow.legal_entities.get(office.legal_entity_id)
              if office.legal_entity_id is not None else None)
    return OfficeView(office, entity, entity.missing() if entity else list(CONTROLLER_FIELDS))


def _audit(uow: UnitOfWork, deps: Deps, actor: str, action: str, detail: dict[str, object]) -> None:
    uow.audit.append(at=deps.clock.now(), actor=actor[:64], action=action, subject=None,
                     detail=detail)


# --- legal entities ---


def add_legal_entity(changes: EntityFields, deps: Deps, *, actor: str) -> EntityView:
    values = _validated(changes)
    if "name" not in values:
        values["name"] = clean_text("", what="legal entity's name", limit=NAME_MAX)
    with deps.uow() as uow:
        _code_free(uow, values.get("credit_code", ""), None)
        entity = LegalEntity(id=None, **values)
        if not uow.legal_entities.add_new(entity):
            raise LegalEntityExists(f"A legal entity named '{values['name']}' is already on "
                                    "file: edit it instead.")
        _audit(uow, deps, actor, "legal_entity_added",
               {"legal_entity": entity.id, "name": entity.name, "fields": sorted(values),
                "missing": entity.missing()})
        view = _entity_view(uow, entity)
        uow.commit()
    return view


def edit_legal_entity(ref: EntityRef, changes: EntityFields, deps: Deps, *,
                      actor: str) -> EntityView:
    """Change the entity; each of its offices' notices is republished naming the controller as
    it is now (when complete)."""
    values = _validated(changes)
    with deps.uow() as uow:
        entity = _entity(uow, ref)
        changed = sorted(name for name, value in values.items() if getattr(entity, name) != value)
        if "credit_code" in changed:
            _code_free(uow, values["credit_code"], entity.id)
        if "name" in changed:
            if uow.legal_entities.by_name(values["name"]) is not None:
                raise LegalEntityExists(f"A legal entity named '{values['name']}' is already "
                                        "on file.")
            uow.legal_entities.rename(entity, values["name"])
        for name in changed:
            if name != "name":
                setattr(entity, name, values[name])
        if changed:
            _audit(uow, deps, actor, "legal_entity_edited",
                   {"legal_entity": entity.id, "fields": changed, "missing": entity.missing()})
        view = _entity_view(uow, entity)
        uow.commit()
    for office_id in view.offices:
        refresh_notices(office_id, deps, actor=actor)
    return view


def legal_entities(deps: Deps) -> list[EntityView]:
    with deps.uow() as uow:
        return [_entity_view(uow, entity) for entity in uow.legal_entities.all()]


# --- offices ---


def add_office(office_id: str, name: str, entity: EntityRef, deps: Deps, *,
               actor: str) -> OfficeView:
    """A new office of an entity on file; its notices are published at once when the entity is
    complete (else when it becomes complete)."""
    check_office_id(office_id)
    name = clean_text(name, what="office's name", limit=NAME_MAX)
    with deps.uow() as uow:
        owner = _entity(uow, entity)
        office = Office(id=office_id, name=name, legal_entity=owner.name,
                        legal_entity_id=owner.id)
        if not uow.offices.add_new(office):
            raise OfficeExists(f"An office '{office_id}' is already on file: edit it instead.")
        _audit(uow, deps, actor, "office_added",
               {"office": office_id, "name": name, "legal_entity": owner.id})
        view = _office_view(uow, office)
        uow.commit()
    refresh_notices(office_id, deps, actor=actor)
    return view


def edit_office(office_id: str, deps: Deps, *, actor: str, name: str | None = None,
                entity: EntityRef | None = None) -> OfficeView:
    new_name = clean_text(name, what="office's name", limit=NAME_MAX) if name is not None \
        else None
    with deps.uow() as uow:
        office = _office(uow, office_id)
        changed: dict[str, object] = {}
        if new_name is not None and new_name != office.name:
            office.name = changed["name"] = new_name
        if entity is not None:
            owner = _entity(uow, entity)
            if owner.id != office.legal_entity_id:
                office.legal_entity, office.legal_entity_id = owner.name, owner.id
                changed["legal_entity"] = owner.id
        if changed:
            _audit(uow, deps, actor, "office_edited", {"office": office_id, **changed})
        view = _office_view(uow, office)
        uow.commit()
    refresh_notices(office_id, deps, actor=actor)
    return view


def offices(deps: Deps) -> list[OfficeView]:
    with deps.uow() as uow:
        return [_office_view(uow, office) for office in uow.offices.all()]


def the_office(office_id: str | None, deps: Deps) -> str:
    """The office a command names, or the only one on file when it names none: an office with
    one sales office never types its id, and nobody acts on the wrong one by default."""
    if office_id is not None:
        return office_id
    with deps.uow() as uow:
        ids = sorted(office.id for office in uow.offices.all())
    if not ids:
        raise NoOfficeYet()
    if len(ids) > 1:
        raise OfficeRequired(f"There are several sales offices ({', '.join(ids)}): name one "
                             "with --office.", offices=ids)
    return ids[0]


def office_view(office_id: str, deps: Deps) -> OfficeView:
    with deps.uow() as uow:
        return _office_view(uow, _office(uow, office_id))


def require_controller(uow: UnitOfWork, office: Office) -> LegalEntity:
    """The office's controller, complete; else `ControllerIncomplete` naming what is missing."""
    view = _office_view(uow, office)
    if view.entity is None or view.missing:
        raise ControllerIncomplete(office=office.id, missing=view.missing)
    return view.entity


def refresh_notices(office_id: str, deps: Deps, *, actor: str) -> list[Notice]:
    """Publish the office's notices again where the controller they name differs from its
    legal entity now (the default notices when it has none yet); the rest of each notice stays
    as drafted. Nothing while the entity is incomplete. Returns what was published."""
    published = []
    with deps.uow() as uow:
        office = _office(uow, office_id)
        view = _office_view(uow, office)
        if view.entity is None or view.missing:
            return []
        for language in LANGUAGES:
            current = uow.notices.active(office_id, language)
            wanted = controller_text(office, view.entity, language)
            if current is not None and all(getattr(current, k) == v for k, v in wanted.items()):
                continue
            base = current or default_notice(office, view.entity, language)
            notice = Notice(office_id=office_id, language=language, **{
                f.name: getattr(base, f.name) for f in fields(Notice)
                if f.name in TEXT_FIELDS})
            for key, value in wanted.items():
                setattr(notice, key, value)
            version = uow.notices.latest_version(office_id, language) + 1
            publish_generated(uow, deps, notice, version=version)
            uow.notices.add(notice)
            _audit(uow, deps, actor, "notice_published",
                   {"office": office_id, "language": language, "version": version,
                    "hash": notice.content_hash, "face_uses": notice.face_uses,
                    "controller_from": view.entity.id})
            published.append(notice)
        uow.commit()
    return published


TEXT_FIELDS = tuple(f.name for f in fields(Notice) if f.name not in {
    "office_id", "language", "processing", "face_uses", "version", "content_hash",
    "published_at", "id"})


def ensure_office(office: Office, entity: LegalEntity, deps: Deps, *,
                  actor: str = "init") -> bool:
    """Demo mode, demos, benchmarks and tests: the office and its entity (found by name, or
    added with `entity`'s details; completed with them when incomplete, as migration 0014 left
    a store's demo entity) on file, with notices. True when the office was created."""
    with deps.uow() as uow:
        exists = uow.offices.get(office.id) is not None
        known = uow.legal_entities.by_name(entity.name)
    details = EntityFields(name=entity.name, credit_code=entity.credit_code,
                           contact=entity.contact, pi_name=entity.pi_name,
                           pi_contact=entity.pi_contact)
    if known is None:
        add_legal_entity(details, deps, actor=actor)
    elif not known.complete:
        assert known.id is not None
        edit_legal_entity(known.id, details, deps, actor=actor)
    if exists:
        return False
    try:
        add_office(office.id, office.name, entity.name, deps, actor=actor)
    except OfficeExists:
        return False
    return True
