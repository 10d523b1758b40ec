"""Wire shapes of the office admin API: legal entities (the controller) and their offices.
Coarse length caps here; what a value must be (credit code, contact, office id) is the domain's
word (`domain/checkin/controller.py`), answered as a one-line 422."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from keyuan.api.schemas.common import Strict
from keyuan.domain import bounds
from keyuan.services.checkin.offices import EntityView, OfficeView

EntityId = Annotated[int, Field(ge=1, le=bounds.MAX_ROW_ID)]
_Code = Annotated[str | None, Field(None, max_length=40, description=(
    "统一社会信用代码: 18 characters (GB 32100-2015); \"\" takes it off file."))]
_Contact = Annotated[str | None, Field(None, max_length=200, description=(
    "A phone number or an e-mail address; \"\" takes it off file."))]
_Person = Annotated[str | None, Field(None, max_length=100, description=(
    "个人信息保护负责人: the person responsible for personal information."))]


class LegalEntityIn(Strict):
    name: Annotated[str, Field(max_length=200)]
    credit_code: _Code = None
    contact: _Contact = None
    pi_name: _Person = None
    pi_contact: _Contact = None


class LegalEntityPatch(Strict):
    """Only the fields given change."""

    name: Annotated[str | None, Field(None, max_length=200)] = None
    credit_code: _Code = None
    contact: _Contact = None
    pi_name: _Person = None
    pi_contact: _Contact = None


class LegalEntityPublic(BaseModel):
    id: int
    name: str
    credit_code: str
    contact: str
    pi_name: str
    pi_contact: str
    offices: list[str]
    complete: bool
    missing: list[str] = Field(description="Controller fields not on file yet: the kiosks of "
                                           "its offices do not start until this is empty.")


class OfficeIn(Strict):
    office_id: Annotated[str, Field(max_length=64, description=(
        "Lower-case letters, digits, '-': part of the kiosk's address (/kiosk/<id>)."))]
    name: Annotated[str, Field(max_length=200)]
    legal_entity_id: EntityId


class OfficePatch(Strict):
    name: Annotated[str | None, Field(None, max_length=200)] = None
    legal_entity_id: EntityId | None = None


class OfficePublic(BaseModel):
    office_id: str
    name: str
    legal_entity_id: int | None
    legal_entity: str
    complete: bool
    missing: list[str]


def entity_public(view: EntityView) -> LegalEntityPublic:
    e = view.entity
    assert e.id is not None
    return LegalEntityPublic(id=e.id, name=e.name, credit_code=e.credit_code, contact=e.contact,
                             pi_name=e.pi_name, pi_contact=e.pi_contact, offices=view.offices,
                             complete=view.complete, missing=view.missing)


def office_public(view: OfficeView) -> OfficePublic:
    return OfficePublic(office_id=view.office.id, name=view.office.name,
                        legal_entity_id=view.office.legal_entity_id,
                        legal_entity=view.office.legal_entity, complete=view.complete,
                        missing=view.missing)
