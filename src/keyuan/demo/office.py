"""The demonstration sales office and its legal entity, which demo mode (`keyuan init|serve
--demo`), the demos and the benchmarks create. Outside demo mode nothing is created by itself:
an admin adds the office's real legal entity and offices (`keyuan legal-entity|office add`)."""

from __future__ import annotations

from keyuan.domain.checkin.controller import LegalEntity
from keyuan.domain.checkin.person import Office
from keyuan.services.checkin.offices import ensure_office
from keyuan.services.ports import Deps

DEFAULT_OFFICE_ID = "demo-office"
DEMO_ENTITY_NAME = "示范置业有限公司"
DEMO_CREDIT_CODE = "91110105MA0000000Y"
"""Fictitious, with a valid check character (GB 32100-2015)."""


def default_office() -> Office:
    """Built on demand: domain objects must be created after the mappers start."""
    return Office(id=DEFAULT_OFFICE_ID, name="示范售楼处", legal_entity=DEMO_ENTITY_NAME)


def demo_entity() -> LegalEntity:
    return LegalEntity(id=None, name=DEMO_ENTITY_NAME, credit_code=DEMO_CREDIT_CODE,
                       contact="400-000-0000", pi_name="合规负责人",
                       pi_contact="dpo@example.cn")


def ensure_demo_office(deps: Deps, *, actor: str = "init") -> bool:
    """The demo office and its (complete) demo legal entity on file. True when created."""
    return ensure_office(default_office(), demo_entity(), deps, actor=actor)
