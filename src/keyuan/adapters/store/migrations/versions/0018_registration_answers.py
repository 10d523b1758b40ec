"""报备 answered at once and review reasons kept: each office's `conflict_policy` (refuse, the
default, or mark) and a registration's `conflict` mark; `signing_reviews`, the history of
reasons on a signing (the desk's "send to review" and the manager's decision, who and when).
A signing reviewed before this keeps its manager's reason: it is copied into the history.

Revision ID: 0018
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN, not a batch copy: signings reference registrations, and SQLite (foreign
    # keys on) refuses to drop a table that rows still reference
    op.add_column("attribution_rules", sa.Column("conflict_policy", sa.String(length=8),
                                                 nullable=False, server_default="refuse"))
    op.add_column("registrations", sa.Column("conflict", sa.String(length=40), nullable=True))
    reviews = op.create_table(
        "signing_reviews",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("signing_id", sa.String(length=24), nullable=False),
        sa.Column("step", sa.Enum("sent", "decided", name="reviewstep", native_enum=False,
                                  length=20), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["signing_id"], ["signings.id"],
                                name=op.f("fk_signing_reviews_signing_id_signings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_reviews")),
    )
    op.create_index(op.f("ix_signing_reviews_signing_id"), "signing_reviews", ["signing_id"],
                    unique=False)
    signings = sa.table("signings", sa.column("id", sa.String), sa.column("reviewed_by", sa.String),
                        sa.column("reviewed_at", sa.DateTime(timezone=True)),
                        sa.column("review_reason", sa.Text))
    conn = op.get_bind()
    rows = conn.execute(sa.select(signings.c.id, signings.c.reviewed_by, signings.c.reviewed_at,
                                  signings.c.review_reason)
                        .where(signings.c.reviewed_at.is_not(None))).all()
    for signing_id, by, at, reason in rows:
        conn.execute(reviews.insert().values(id=signing_id, signing_id=signing_id,
                                             step="decided", actor=by or "", at=at,
                                             reason=reason or ""))


def downgrade() -> None:
    op.drop_index(op.f("ix_signing_reviews_signing_id"), table_name="signing_reviews")
    op.drop_table("signing_reviews")
    with op.batch_alter_table("attribution_rules", schema=None) as batch_op:
        batch_op.drop_column("conflict_policy")
    op.drop_column("registrations", "conflict")
