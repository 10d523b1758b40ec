"""风控报告 thresholds per office (issue 17 item 3): one row per office that set its own, one
column per `RiskThresholds` field, and who set them when. An office without a row uses the
defaults.

Revision ID: 0024
Revises: 0023 (escort passes)
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

THRESHOLDS = ("never_visited_min", "never_visited_share", "after_visit_minutes",
              "after_visit_min", "across_projects_min", "expiry_last_hours", "expiry_min",
              "expiry_share", "masked_numbers_min", "masked_min", "reregister_within_hours",
              "reregister_min")


def upgrade() -> None:
    op.create_table(
        "risk_thresholds",
        sa.Column("office_id", sa.String(length=64), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in THRESHOLDS),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_risk_thresholds_office_id_offices")),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_risk_thresholds")),
    )


def downgrade() -> None:
    op.drop_table("risk_thresholds")
