"""sms deliveries: what became of each one-time code at the gateway (provider, outcome, the
provider's request and message ids, attempts; a masked number, never the code)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_deliveries",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("masked_mobile", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("provider_code", sa.String(length=80), nullable=True),
        sa.Column("request_id", sa.String(length=80), nullable=True),
        sa.Column("message_id", sa.String(length=80), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_deliveries")),
    )
    with op.batch_alter_table("sms_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_sms_deliveries_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_deliveries_at")
    op.drop_table("sms_deliveries")
