"""capture: cameras, office signage, anonymous hourly counts

Revision ID: 0004_capture
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_capture"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_cameras_office_id_offices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_cameras_token_hash")),
    )
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cameras_office_id"), ["office_id"], unique=False)
    op.create_table(
        "office_signage",
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_office_signage_office_id_offices")),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_office_signage")),
    )
    op.create_table(
        "capture_hourly",
        sa.Column("camera_id", sa.String(length=32), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("needs_review", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.id"],
                                name=op.f("fk_capture_hourly_camera_id_cameras")),
        sa.PrimaryKeyConstraint("camera_id", "hour", name=op.f("pk_capture_hourly")),
    )


def downgrade() -> None:
    op.drop_table("capture_hourly")
    op.drop_table("office_signage")
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cameras_office_id"))
    op.drop_table("cameras")
