"""cameras cover a marked lane: where it is, the unwatched alternative route, and the office's
confirmation of both (C11). Existing cameras get empty texts: their gate stays closed until the
lane and the alternative are set and confirmed.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.String(length=200), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("alternative", sa.String(length=200), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("lane_confirmed_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("lane_confirmed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("lane_confirmed_by")
        batch_op.drop_column("lane_confirmed_at")
        batch_op.drop_column("alternative")
        batch_op.drop_column("lane")
