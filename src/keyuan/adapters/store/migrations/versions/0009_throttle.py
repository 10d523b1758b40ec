"""throttle counters shared by every worker (per number, address, session, receipt, account);
the per-username login lock goes; kiosk sessions indexed by start for the purge

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle_counters",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_throttle_counters")),
    )
    with op.batch_alter_table("throttle_counters", schema=None) as batch_op:
        batch_op.create_index("ix_throttle_counters_expires", ["expires"], unique=False)
    with op.batch_alter_table("kiosk_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kiosk_sessions_started_at"), ["started_at"],
                              unique=False)
    op.drop_table("login_throttle")


def downgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("kiosk_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_sessions_started_at"))
    op.drop_table("throttle_counters")
