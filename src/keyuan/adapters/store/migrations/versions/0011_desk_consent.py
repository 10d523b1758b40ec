"""the signing desk asks first: the buyer's own yes or no to the desk's face check
(desk_consents, no biometric column); a kiosk session remembers an under-14 answer

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_consents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("notice_hash", sa.String(length=64), nullable=False),
        sa.Column("base_notice_version", sa.Integer(), nullable=False),
        sa.Column("face_uses", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signing_id", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_desk_consents_office_id_offices")),
        sa.ForeignKeyConstraint(["signing_id"], ["signings.id"],
                                name=op.f("fk_desk_consents_signing_id_signings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_consents")),
        sa.UniqueConstraint("signing_id", name=op.f("uq_desk_consents_signing_id")),
    )
    with op.batch_alter_table("desk_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_consents_id_hash"), ["id_hash"], unique=False)
    with op.batch_alter_table("kiosk_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("under_14", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("kiosk_sessions", schema=None) as batch_op:
        batch_op.drop_column("under_14")
    with op.batch_alter_table("desk_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_consents_id_hash"))
    op.drop_table("desk_consents")
