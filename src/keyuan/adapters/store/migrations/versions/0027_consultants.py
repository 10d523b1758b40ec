"""置业顾问 (issue 17 item 5): each office's 轮排 queue (`consultant_queue`: order, away today),
its cursor (`consultant_cursors`: last turn's position, turns given) and the consultant assigned
to each visit (`visit_consultants`: one per visit, a queue turn once per office).

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultant_queue",
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=24), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("away_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_consultant_queue_office_id_offices")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_consultant_queue_user_id_users")),
        sa.PrimaryKeyConstraint("office_id", "user_id", name=op.f("pk_consultant_queue")),
    )
    op.create_table(
        "consultant_cursors",
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("last_position", sa.Integer(), nullable=True),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_consultant_cursors_office_id_offices")),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_consultant_cursors")),
    )
    op.create_table(
        "visit_consultants",
        sa.Column("visit_id", sa.String(length=24), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("consultant_id", sa.String(length=24), nullable=False),
        sa.Column("consultant", sa.String(length=64), nullable=False),
        sa.Column("how", sa.String(length=10), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"],
                                name=op.f("fk_visit_consultants_visit_id_visits")),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_visit_consultants_office_id_offices")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_visit_consultants_person_id_persons")),
        sa.ForeignKeyConstraint(["consultant_id"], ["users.id"],
                                name=op.f("fk_visit_consultants_consultant_id_users")),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_visit_consultants")),
        sa.UniqueConstraint("office_id", "turn", name=op.f("uq_visit_consultants_office_id")),
    )
    op.create_index("ix_visit_consultants_consultant", "visit_consultants",
                    ["office_id", "consultant_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_visit_consultants_consultant", table_name="visit_consultants")
    op.drop_table("visit_consultants")
    op.drop_table("consultant_cursors")
    op.drop_table("consultant_queue")
