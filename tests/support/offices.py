"""Offices for tests, made the way an admin makes them: through `services.checkin.offices`
(a complete legal entity, then its office, whose notices are then published)."""

from __future__ import annotations

import hashlib

from keyuan.domain.checkin.controller import CREDIT_CODE_CHARSET, LegalEntity, credit_code_check
from keyuan.domain.checkin.person import Office
from keyuan.services.checkin.offices import ensure_office
from keyuan.services.ports import Deps

ENTITY = "示范置业有限公司"
PI_NAME = "李敏"
PI_CONTACT = "dpo@example.cn"


def credit_code_for(name: str) -> str:
    """A valid (fictitious) unified social credit code, one per name."""
    digest = hashlib.sha256(name.encode()).digest()
    body = "91" + "110105" + "".join(CREDIT_CODE_CHARSET[b % 31] for b in digest[:9])
    return body + credit_code_check(body)


def entity(name: str = ENTITY, *, pi_name: str = PI_NAME,
           pi_contact: str = PI_CONTACT) -> LegalEntity:
    """A complete legal entity (not stored)."""
    return LegalEntity(id=None, name=name, credit_code=credit_code_for(name),
                       contact="0591-12345678", pi_name=pi_name, pi_contact=pi_contact)


def set_up_office(deps: Deps, office_id: str = "demo-office", name: str = "示范售楼处",
                  legal_entity: str = ENTITY, **entity_fields: str) -> bool:
    """The office and its complete legal entity on file, with notices. True when created."""
    office = Office(id=office_id, name=name, legal_entity=legal_entity)
    return ensure_office(office, entity(legal_entity, **entity_fields), deps, actor="test")


def office_add_args(office_id: str = "demo-office", name: str = "示范售楼处",
                    legal_entity: str = ENTITY) -> list[str]:
    """`keyuan office add …` arguments that add the office and its complete legal entity."""
    return ["office", "add", office_id, "--name", name, "--legal-entity", legal_entity,
            "--credit-code", credit_code_for(legal_entity), "--contact", "0591-12345678",
            "--pi-name", PI_NAME, "--pi-contact", PI_CONTACT]
