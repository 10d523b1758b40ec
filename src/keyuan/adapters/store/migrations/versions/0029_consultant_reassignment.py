"""置业顾问 reassignment: reception may give a visit to another consultant (the customer asks for
their usual one, the consultant cannot receive them), with the reason kept on the assignment.
`visit_consultants` gains who had the visit before (`reassigned_from`, username), the reason
(`reassign_reason`, a `ReassignReason` code), when and by whom (`reassigned_at`,
`reassigned_by`). Nullable: a visit never reassigned has none.

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_COLUMNS = ("reassigned_from", "reassign_reason", "reassigned_at", "reassigned_by")


def upgrade() -> None:
    op.add_column("visit_consultants",
                  sa.Column("reassigned_from", sa.String(length=64), nullable=True))
    op.add_column("visit_consultants",
                  sa.Column("reassign_reason", sa.String(length=24), nullable=True))
    op.add_column("visit_consultants",
                  sa.Column("reassigned_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("visit_consultants",
                  sa.Column("reassigned_by", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visit_consultants") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
