"""Person: a data subject known only by a random pseudonym."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime


def new_pseudonym() -> str:
    """128 random bits: carries no name, phone, ID number or time."""
    return secrets.token_hex(16)


@dataclass(eq=False)
class Person:
    id: str
    created_at: datetime
    name: str | None = None
    mobile: str | None = None
    mobile_hash: str | None = None
    minor: bool = False

    @classmethod
    def new(cls, *, now: datetime, name: str | None = None) -> Person:
        return cls(id=new_pseudonym(), created_at=now, name=(name or None))


@dataclass(eq=False)
class Office:
    """售楼处: one sales office of a legal entity (the personal-information controller,
    `controller.LegalEntity`). `legal_entity` is that entity's name, as receipts and the filing
    (by legal entity) name it; `services.checkin.offices` keeps it in step with the entity."""

    id: str
    name: str
    legal_entity: str
    legal_entity_id: int | None = None
