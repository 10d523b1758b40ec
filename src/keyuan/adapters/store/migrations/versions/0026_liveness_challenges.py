"""liveness challenges (活体挑战): the random head movements a kiosk return, the signing desk or
the rights desk asks for before a face decision, each serving one decision (used_at); the steps
asked, where and for whom — no frame, landmark or score

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "liveness_challenges",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("place", sa.Enum("kiosk_return", "signing_desk", "rights_desk",
                                   name="challengeplace", native_enum=False, length=20),
                  nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_liveness_challenges_office_id_offices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_liveness_challenges")),
    )
    op.create_index(op.f("ix_liveness_challenges_expires_at"), "liveness_challenges",
                    ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_liveness_challenges_expires_at"), table_name="liveness_challenges")
    op.drop_table("liveness_challenges")
