"""money is paid once: statement_deals (a deal on at most one non-void statement), void
statements, the signed unit, and idempotency keys

Revision ID: 0008
Revises: 0007
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voided_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("void_reason", sa.Text(), nullable=True))
        batch_op.drop_constraint("uq_statements_channel_id", type_="unique")
        batch_op.create_index("ix_statements_channel_period", ["channel_id", "period_start"])
    with op.batch_alter_table("signings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit", sa.String(length=64), nullable=True))
    op.create_table(
        "statement_deals",
        sa.Column("signing_id", sa.String(length=24), nullable=False),
        sa.Column("statement_id", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["signing_id"], ["signings.id"],
                                name=op.f("fk_statement_deals_signing_id_signings")),
        sa.ForeignKeyConstraint(["statement_id"], ["statements.id"],
                                name=op.f("fk_statement_deals_statement_id_statements")),
        sa.PrimaryKeyConstraint("signing_id", name=op.f("pk_statement_deals")),
    )
    op.create_index(op.f("ix_statement_deals_statement_id"), "statement_deals",
                    ["statement_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys",
                    ["created_at"])
    _claim_existing_deals()


def _claim_existing_deals() -> None:
    """Each deal already on a statement is claimed by the earliest one that lists it (a store
    that paid a deal twice keeps the record of it in the later statement's lines)."""
    conn = op.get_bind()
    signings = {row[0] for row in conn.execute(sa.text("SELECT id FROM signings"))}
    taken: dict[str, str] = {}
    rows = conn.execute(sa.text("SELECT id, lines FROM statements ORDER BY created_at, id"))
    for statement_id, lines in rows:
        for line in json.loads(lines) if isinstance(lines, str) else lines or []:
            signing_id = line.get("signing_id")
            if signing_id in signings and signing_id not in taken:
                taken[signing_id] = statement_id
    if taken:
        deals = sa.table("statement_deals", sa.column("signing_id"), sa.column("statement_id"))
        op.bulk_insert(deals, [{"signing_id": s, "statement_id": st} for s, st in taken.items()])


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index(op.f("ix_statement_deals_statement_id"), table_name="statement_deals")
    op.drop_table("statement_deals")
    with op.batch_alter_table("signings", schema=None) as batch_op:
        batch_op.drop_column("unit")
    op.execute("DELETE FROM disputes WHERE statement_id IN "
               "(SELECT id FROM statements WHERE status = 'void')")
    op.execute("DELETE FROM statements WHERE status = 'void'")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index("ix_statements_channel_period")
        batch_op.create_unique_constraint("uq_statements_channel_id",
                                          ["channel_id", "period_start", "period_end"])
        batch_op.drop_column("void_reason")
        batch_op.drop_column("voided_at")
        batch_op.drop_column("voided_by")
