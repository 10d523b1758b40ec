"""compliance: impact assessments (C23), receipt signatures (C8), filing thresholds (C24),
rights access codes and requests (C19)

Revision ID: 0002_compliance
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_compliance"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "impact_assessments",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessor", sa.String(length=200), nullable=False),
        sa.Column("legality_necessity", sa.Text(), nullable=False),
        sa.Column("impact_risks", sa.Text(), nullable=False),
        sa.Column("security_measures", sa.Text(), nullable=False),
        sa.Column("effectiveness", sa.Text(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("settings_hash", sa.String(length=64), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_assessments")),
    )
    with op.batch_alter_table("impact_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_impact_assessments_recorded_at"), ["recorded_at"], unique=False
        )
    op.create_table(
        "receipt_signatures",
        sa.Column("consent_id", sa.String(length=32), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"],
            name=op.f("fk_receipt_signatures_consent_id_consents"),
        ),
        sa.PrimaryKeyConstraint("consent_id", name=op.f("pk_receipt_signatures")),
    )
    op.create_table(
        "filing_thresholds",
        sa.Column("legal_entity", sa.String(length=200), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("legal_entity", name=op.f("pk_filing_thresholds")),
    )
    op.create_table(
        "rights_access",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("mobile_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_rights_access_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_access")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_rights_access_token_hash")),
    )
    with op.batch_alter_table("rights_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rights_access_person_id"), ["person_id"], unique=False)
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_rights_requests_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
    )
    with op.batch_alter_table("rights_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rights_requests_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rights_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rights_requests_person_id"))
    op.drop_table("rights_requests")
    with op.batch_alter_table("rights_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rights_access_person_id"))
    op.drop_table("rights_access")
    op.drop_table("filing_thresholds")
    op.drop_table("receipt_signatures")
    with op.batch_alter_table("impact_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_impact_assessments_recorded_at"))
    op.drop_table("impact_assessments")
