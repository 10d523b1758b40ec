"""到访确认 on the claim (PIPL 13, 14; COMPLIANCE C11): an escorted visit that reception
confirms belongs to the channel's registration, not to a person. The mobile a channel typed
into a 报备 is not a consent, so confirming it no longer creates a person row: the visit keeps
`registration_id` and no `person_id` until (and unless) the visitor consents or signs.

`visits.person_id` becomes nullable, and so does `visit_consultants.person_id` (a consultant
receives an escorted customer too). SQLite cannot drop a NOT NULL without copying the table,
and `visits` is referenced by `visit_corrections`: a copy fails the foreign key check at
commit. The column's declaration is edited in place instead, the documented way for removing
a NOT NULL constraint (sqlite.org/lang_altertable.html, "other kinds of table schema changes"):
the stored rows are unchanged by it.

Existing escorted visits get their registration id from their evidence.

Revision ID: 0028
Revises: 0027
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_PERSON = re.compile(r"(person_id VARCHAR\(\d+\)) NOT NULL")
# the visit, and a consultant assigned to it (置业顾问, 0027), may name no person
_PERSON_OPTIONAL = ("visits", "visit_consultants")


def upgrade() -> None:
    op.add_column("visits", sa.Column("registration_id", sa.String(length=24), nullable=True))
    op.create_index("ix_visits_registration_id", "visits", ["registration_id"])
    for table in _PERSON_OPTIONAL:
        if op.get_bind().dialect.name == "sqlite":
            _sqlite_person_id(table, nullable=True)
        else:
            op.alter_column(table, "person_id", existing_type=sa.String(length=32),
                            nullable=True)
    visits = sa.table("visits", sa.column("id", sa.String), sa.column("method", sa.String),
                      sa.column("evidence", sa.JSON), sa.column("registration_id", sa.String))
    conn = op.get_bind()
    for visit_id, evidence in list(conn.execute(
            sa.select(visits.c.id, visits.c.evidence).where(visits.c.method == "staff"))):
        claim = (evidence or {}).get("registration")
        if isinstance(claim, str):
            conn.execute(visits.update().where(visits.c.id == visit_id)
                         .values(registration_id=claim))


def downgrade() -> None:
    conn = op.get_bind()
    for table in ("visit_corrections", "visit_consultants"):
        conn.execute(sa.text(f"DELETE FROM {table} WHERE visit_id IN "
                             "(SELECT id FROM visits WHERE person_id IS NULL)"))
    conn.execute(sa.text("DELETE FROM visits WHERE person_id IS NULL"))
    for table in _PERSON_OPTIONAL:
        if conn.dialect.name == "sqlite":
            _sqlite_person_id(table, nullable=False)
        else:
            op.alter_column(table, "person_id", existing_type=sa.String(length=32),
                            nullable=False)
    op.drop_index("ix_visits_registration_id", table_name="visits")
    op.drop_column("visits", "registration_id")


def _sqlite_person_id(table: str, *, nullable: bool) -> None:
    conn = op.get_bind()
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar_one()
    if nullable:
        changed = _PERSON.sub(r"\1", sql)
    else:
        changed = re.sub(r"(person_id VARCHAR\(\d+\))(?! NOT NULL)", r"\1 NOT NULL", sql)
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema=ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                         (changed, table))
    conn.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema=OFF")
