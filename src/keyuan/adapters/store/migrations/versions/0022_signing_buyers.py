"""共同购房人 (issue 17 item 1): a signing names one or more buyers. `signing_buyers` holds each
(position 0 the main buyer, 主购人); every existing signing becomes one main buyer, from its own
columns, under the signing's id. A household's signing may use one desk consent per buyer, so
`desk_consents.signing_id` is indexed instead of unique (one record still serves one signing).

Revision ID: 0022
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_buyers",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("signing_id", sa.String(length=24), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("id_masked", sa.String(length=18), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=True),
        sa.Column("id_photo_passed", sa.Boolean(), nullable=True),
        sa.Column("id_photo_score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["signing_id"], ["signings.id"],
                                name=op.f("fk_signing_buyers_signing_id_signings")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_signing_buyers_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_buyers")),
        sa.UniqueConstraint("signing_id", "position",
                            name=op.f("uq_signing_buyers_signing_id")),
    )
    with op.batch_alter_table("signing_buyers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_buyers_person_id"), ["person_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_signing_buyers_id_hash"), ["id_hash"],
                              unique=False)
    op.execute(
        "INSERT INTO signing_buyers (id, signing_id, position, person_id, name, id_hash, "
        "id_masked, relation, id_photo_passed, id_photo_score) "
        "SELECT id, id, 0, person_id, buyer_name, id_hash, id_masked, NULL, id_photo_passed, "
        "id_photo_score FROM signings")
    with op.batch_alter_table("desk_consents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_desk_consents_signing_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_desk_consents_signing_id"), ["signing_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("desk_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_consents_signing_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_desk_consents_signing_id"),
                                          ["signing_id"])
    with op.batch_alter_table("signing_buyers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_buyers_id_hash"))
        batch_op.drop_index(batch_op.f("ix_signing_buyers_person_id"))
    op.drop_table("signing_buyers")
