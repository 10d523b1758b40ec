"""paired kiosk devices: the tablets allowed to open kiosk sessions for an office (only a hash of
each device token is kept), the one-time pairing codes that pair them, and the device that
opened each kiosk session. Existing sessions name no device: no tablet may continue them.
(Numbered 0015 when assigned; it follows 0018, which landed first.)

Revision ID: 0015
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_devices",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("paired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paired_by", sa.String(length=64), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("unpaired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unpaired_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_kiosk_devices_office_id_offices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_kiosk_devices_token_hash")),
    )
    op.create_index(op.f("ix_kiosk_devices_office_id"), "kiosk_devices", ["office_id"],
                    unique=False)
    op.create_table(
        "pairing_codes",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("device_name", sa.String(length=60), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_pairing_codes_office_id_offices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_pairing_codes_code_hash")),
        sa.UniqueConstraint("device_id", name=op.f("uq_pairing_codes_device_id")),
    )
    op.create_index(op.f("ix_pairing_codes_expires_at"), "pairing_codes", ["expires_at"],
                    unique=False)
    # ADD COLUMN, not a batch copy: one-time codes reference kiosk sessions
    op.add_column("kiosk_sessions", sa.Column("device_id", sa.String(length=24), nullable=True))
    op.create_index(op.f("ix_kiosk_sessions_device_id"), "kiosk_sessions", ["device_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_kiosk_sessions_device_id"), table_name="kiosk_sessions")
    op.drop_column("kiosk_sessions", "device_id")
    op.drop_index(op.f("ix_pairing_codes_expires_at"), table_name="pairing_codes")
    op.drop_table("pairing_codes")
    op.drop_index(op.f("ix_kiosk_devices_office_id"), table_name="kiosk_devices")
    op.drop_table("kiosk_devices")
