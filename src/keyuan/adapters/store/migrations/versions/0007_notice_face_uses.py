"""notices name the face uses they disclose and keep their generated processing section

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A notice published before this revision names no face use: every face use is refused
    # until a notice that names it is published (`keyuan notice republish`).
    with op.batch_alter_table("notices") as batch_op:
        batch_op.add_column(sa.Column("processing", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("face_uses", sa.JSON(), nullable=False,
                                      server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch_op:
        batch_op.drop_column("face_uses")
        batch_op.drop_column("processing")
