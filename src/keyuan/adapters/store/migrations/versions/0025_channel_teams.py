"""渠道团队 (issue 17 item 4): a distributor company holds a tree of teams (门店, 团队);
agents belong to one (`agents.team_id`), a claim remembers its agent's team
(`registrations.team_id`), an agreement may be set on a team (`channel_agreements.team_id`), and
the company and each team may set their own 报备 rules (valid hours, protection days; NULL:
inherited). Existing rows get NULL everywhere: every agent directly in its company, every
agreement the company's, every claim judged by the office's rules as before.

Revision ID: 0025
Revises: 0024 (risk thresholds)
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_TEAM_COLUMNS = ("agents", "registrations", "channel_agreements")


def upgrade() -> None:
    op.create_table(
        "channel_teams",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("registration_valid_hours", sa.Integer(), nullable=True),
        sa.Column("protection_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"],
                                name=op.f("fk_channel_teams_channel_id_channels")),
        sa.ForeignKeyConstraint(["parent_id"], ["channel_teams.id"],
                                name=op.f("fk_channel_teams_parent_id_channel_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_teams")),
    )
    op.create_index(op.f("ix_channel_teams_channel_id"), "channel_teams", ["channel_id"])
    for table in ("channels",):
        op.add_column(table, sa.Column("registration_valid_hours", sa.Integer(), nullable=True))
        op.add_column(table, sa.Column("protection_days", sa.Integer(), nullable=True))
    # plain ADD COLUMN (no batch copy of tables others reference); SQLite takes the reference
    # inline, PostgreSQL as a named constraint
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _TEAM_COLUMNS:
        fk = op.f(f"fk_{table}_team_id_channel_teams")
        if sqlite:  # ADD COLUMN may carry a named column constraint; alembic would batch
            op.execute(f"ALTER TABLE {table} ADD COLUMN team_id VARCHAR(16) "
                       f"CONSTRAINT {fk} REFERENCES channel_teams (id)")
        else:
            op.add_column(table, sa.Column("team_id", sa.String(length=16), nullable=True))
            op.create_foreign_key(fk, table, "channel_teams", ["team_id"], ["id"])
    op.create_index(op.f("ix_agents_team_id"), "agents", ["team_id"])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index(op.f("ix_agents_team_id"), table_name="agents")
    for table in reversed(_TEAM_COLUMNS):
        if sqlite:
            with op.batch_alter_table(table) as batch_op:
                batch_op.drop_column("team_id")
        else:
            op.drop_constraint(op.f(f"fk_{table}_team_id_channel_teams"), table,
                               type_="foreignkey")
            op.drop_column(table, "team_id")
    for column in ("protection_days", "registration_valid_hours"):
        op.drop_column("channels", column)
    op.drop_index(op.f("ix_channel_teams_channel_id"), table_name="channel_teams")
    op.drop_table("channel_teams")
