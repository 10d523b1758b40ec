"""扫码带访 (issue 17 item 2): `escort_passes`, the agent's one-time pass for one registration
at one office, valid a few minutes. The short code is kept only as a keyed hash (indexed, not
unique: lookups take the newest pass with that hash); the QR token's signature is recomputed,
never stored. `used_at` and `visit_id` are set once, in the confirmation's transaction.

Revision ID: 0023
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escort_passes",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("registration_id", sa.String(length=24), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=16), nullable=True),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=64), nullable=True),
        sa.Column("visit_id", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(["registration_id"], ["registrations.id"],
                                name=op.f("fk_escort_passes_registration_id_registrations")),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_escort_passes_office_id_offices")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"],
                                name=op.f("fk_escort_passes_visit_id_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escort_passes")),
    )
    op.create_index(op.f("ix_escort_passes_code_hash"), "escort_passes", ["code_hash"])
    op.create_index(op.f("ix_escort_passes_registration_id"), "escort_passes",
                    ["registration_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_escort_passes_registration_id"), table_name="escort_passes")
    op.drop_index(op.f("ix_escort_passes_code_hash"), table_name="escort_passes")
    op.drop_table("escort_passes")
