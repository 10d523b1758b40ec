"""What every table module shares: the one `MetaData` (with its naming convention), the vault
schema's name and how enums are stored. The area modules (`checkin`, `attribution`, `compliance`,
`accounts`, `capture`) each add their tables to `metadata`; the package imports them all."""

from __future__ import annotations

from enum import Enum as PyEnum

from sqlalchemy import Enum, MetaData

VAULT_SCHEMA = "vault"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def enum_of(cls: type[PyEnum]) -> Enum:
    """A string column holding the enum's values (not a native database enum)."""
    return Enum(cls, native_enum=False, values_callable=lambda e: [m.value for m in e], length=20)
