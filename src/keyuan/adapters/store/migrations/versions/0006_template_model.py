"""vault templates name the face model that made them (templates of two models never mix)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every template written before this revision was made by dlib.
    with op.batch_alter_table("templates", schema="vault") as batch_op:
        batch_op.add_column(sa.Column("model", sa.String(length=64), nullable=False,
                                      server_default="dlib"))


def downgrade() -> None:
    with op.batch_alter_table("templates", schema="vault") as batch_op:
        batch_op.drop_column("model")
