"""Channels and agents can be deactivated (admin workspace, issue 16): `active` on both,
true for every existing row. A deactivated channel, or agent, takes no new 报备; what it
registered before, its statements and its accounts' history stay as they are.

Revision ID: 0019
Revises: 0015 (kiosk devices; 0015 follows 0018)
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy): registrations and statements reference channels
    for table in ("channels", "agents"):
        op.add_column(table, sa.Column("active", sa.Boolean(), nullable=False,
                                       server_default=sa.true()))


def downgrade() -> None:
    for table in ("agents", "channels"):
        op.drop_column(table, "active")
