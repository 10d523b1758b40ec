"""Office admin (admin role only): legal entities — the controller every notice and receipt
names — and their offices. Each route parses, calls one service, renders; every change is
audited with the account as the actor."""

from __future__ import annotations

from fastapi import APIRouter

from keyuan.api.deps import ServiceDeps
from keyuan.api.guard import CurrentPrincipal
from keyuan.api.schemas.offices import (
    EntityId,
    LegalEntityIn,
    LegalEntityPatch,
    LegalEntityPublic,
    OfficeIn,
    OfficePatch,
    OfficePublic,
    entity_public,
    office_public,
)
from keyuan.services.checkin import offices as svc

router = APIRouter(prefix="/api/admin", tags=["offices"])


def _fields(body: LegalEntityIn | LegalEntityPatch) -> svc.EntityFields:
    return svc.EntityFields(name=body.name, credit_code=body.credit_code, contact=body.contact,
                            pi_name=body.pi_name, pi_contact=body.pi_contact)


@router.get("/legal-entities")
def list_entities(deps: ServiceDeps) -> list[LegalEntityPublic]:
    return [entity_public(view) for view in svc.legal_entities(deps)]


@router.post("/legal-entities", status_code=201)
def add_entity(body: LegalEntityIn, who: CurrentPrincipal,
               deps: ServiceDeps) -> LegalEntityPublic:
    return entity_public(svc.add_legal_entity(_fields(body), deps, actor=who.actor))


@router.patch("/legal-entities/{entity_id}")
def edit_entity(entity_id: EntityId, body: LegalEntityPatch, who: CurrentPrincipal,
                deps: ServiceDeps) -> LegalEntityPublic:
    """Changes the fields given; the notices of its offices are republished naming the
    controller as it is now."""
    return entity_public(svc.edit_legal_entity(entity_id, _fields(body), deps, actor=who.actor))


@router.get("/offices")
def list_offices(deps: ServiceDeps) -> list[OfficePublic]:
    return [office_public(view) for view in svc.offices(deps)]


@router.post("/offices", status_code=201)
def add_office(body: OfficeIn, who: CurrentPrincipal, deps: ServiceDeps) -> OfficePublic:
    return office_public(svc.add_office(body.office_id, body.name, body.legal_entity_id, deps,
                                        actor=who.actor))


@router.patch("/offices/{office_id}")
def edit_office(office_id: str, body: OfficePatch, who: CurrentPrincipal,
                deps: ServiceDeps) -> OfficePublic:
    return office_public(svc.edit_office(office_id, deps, actor=who.actor, name=body.name,
                                         entity=body.legal_entity_id))
