"""cameras get a vendor profile (how their pushes are parsed), the camera's own LAN address that
picture URLs in its events must point at, and its login for fetching them, sealed (AES-GCM under
a key derived from the installation secret; never returned by any API). Existing cameras keep
the standard profile with no picture host: nothing they send changes meaning.

Revision ID: 0016
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.String(length=32), nullable=False,
                                      server_default="standard"))
        batch_op.add_column(sa.Column("picture_host", sa.String(length=255), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("sealed_credentials", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("sealed_credentials")
        batch_op.drop_column("picture_host")
        batch_op.drop_column("profile")
