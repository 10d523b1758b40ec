"""legal entities (the personal-information controller of offices: name, unified social credit
code, contact, person responsible for personal information); each office names its entity.
Existing offices get an entity of their legal entity's name with nothing else on file: their
kiosk stays closed until an admin completes it (`keyuan legal-entity edit`).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    entities = op.create_table(
        "legal_entities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("pi_name", sa.String(length=100), nullable=False),
        sa.Column("pi_contact", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_entities")),
        sa.UniqueConstraint("name", name=op.f("uq_legal_entities_name")),
    )
    # ADD COLUMN, not a batch copy: notices and consents reference offices, and SQLite (foreign
    # keys on) refuses to drop a table that rows still reference
    fk = "fk_offices_legal_entity_id_legal_entities"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE offices ADD COLUMN legal_entity_id INTEGER CONSTRAINT {fk} "
                   "REFERENCES legal_entities (id)")
    else:
        op.add_column("offices", sa.Column("legal_entity_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(fk), "offices", "legal_entities", ["legal_entity_id"], ["id"])
    op.create_index(op.f("ix_offices_legal_entity_id"), "offices", ["legal_entity_id"],
                    unique=False)
    conn = op.get_bind()
    offices = sa.table("offices", sa.column("legal_entity", sa.String),
                       sa.column("legal_entity_id", sa.Integer))
    names = sorted({row[0] for row in conn.execute(sa.select(offices.c.legal_entity))})
    for name in names:
        conn.execute(entities.insert().values(name=name, credit_code="", contact="", pi_name="",
                                              pi_contact=""))
        entity_id = conn.execute(sa.select(entities.c.id).where(entities.c.name == name)).scalar()
        conn.execute(offices.update().where(offices.c.legal_entity == name)
                     .values(legal_entity_id=entity_id))


def downgrade() -> None:
    # a batch copy on SQLite: it drops offices, which SQLite refuses while notices or consents
    # reference it (foreign keys on) — a downgrade of a store with offices is not supported there
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("offices", schema=None) as batch_op:
        if not sqlite:  # SQLite does not reflect the name: the copy leaves it with the column
            batch_op.drop_constraint(batch_op.f("fk_offices_legal_entity_id_legal_entities"),
                                     type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_offices_legal_entity_id"))
        batch_op.drop_column("legal_entity_id")
    op.drop_table("legal_entities")
