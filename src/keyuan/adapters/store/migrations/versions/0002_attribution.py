"""attribution: channels, agents, registrations (报备), rules, visit corrections, signings;
settlement: agreements, statements, disputes

Revision ID: 0002_attribution
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_attribution"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attribution_rules",
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("registration_valid_hours", sa.Integer(), nullable=False),
        sa.Column("protection_days", sa.Integer(), nullable=False),
        sa.Column("known_lookback_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_attribution_rules_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("office_id", name=op.f("pk_attribution_rules")),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "distributor",
                "referrer",
                "natural",
                name="channelkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contract_ref", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_channels_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
    )
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channels_office_id"), ["office_id"], unique=False)

    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_agents_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_channel_id"), ["channel_id"], unique=False)

    op.create_table(
        "channel_agreements",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=16), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("percent", "fixed", name="agreementkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("referral_reward_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_channel_agreements_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_agreements")),
    )
    with op.batch_alter_table("channel_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_agreements_channel_id"), ["channel_id"], unique=False
        )

    op.create_table(
        "statements",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "approved", "paid", name="statementstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_statements_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint(
            "channel_id", "period_start", "period_end", name=op.f("uq_statements_channel_id")
        ),
    )
    op.create_table(
        "visit_corrections",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("visit_id", sa.String(length=24), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_corrections_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_corrections")),
    )
    with op.batch_alter_table("visit_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_corrections_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "registrations",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=16), nullable=True),
        sa.Column("customer_name", sa.String(length=50), nullable=False),
        sa.Column("mobile_prefix", sa.String(length=3), nullable=False),
        sa.Column("mobile_suffix", sa.String(length=4), nullable=False),
        sa.Column("mobile_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_visit_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_registrations_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_registrations_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_registrations_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registrations_channel_created", ["channel_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_registrations_masked", ["mobile_prefix", "mobile_suffix"], unique=False
        )
        batch_op.create_index("ix_registrations_mobile_hash", ["mobile_hash"], unique=False)

    op.create_table(
        "signings",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("buyer_name", sa.String(length=100), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("id_masked", sa.String(length=18), nullable=False),
        sa.Column("contract_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending_review", "final", name="signingstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("channel_id", sa.String(length=16), nullable=True),
        sa.Column("registration_id", sa.String(length=24), nullable=True),
        sa.Column("id_photo_passed", sa.Boolean(), nullable=True),
        sa.Column("id_photo_score", sa.Float(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_signings_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_signings_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_signings_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_signings_registration_id_registrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signings")),
    )
    with op.batch_alter_table("signings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signings_channel_signed", ["channel_id", "signed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signings_id_hash"), ["id_hash"], unique=False)
        batch_op.create_index("ix_signings_office_status", ["office_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_signings_person_id"), ["person_id"], unique=False)

    op.create_table(
        "disputes",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("statement_id", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "upheld", "rejected", name="disputestatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("signing_id", sa.String(length=24), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_disputes_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["signing_id"], ["signings.id"], name=op.f("fk_disputes_signing_id_signings")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"], ["statements.id"], name=op.f("fk_disputes_statement_id_statements")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disputes_statement_id"), ["statement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_statement_id"))

    op.drop_table("disputes")
    with op.batch_alter_table("signings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signings_person_id"))
        batch_op.drop_index("ix_signings_office_status")
        batch_op.drop_index(batch_op.f("ix_signings_id_hash"))
        batch_op.drop_index("ix_signings_channel_signed")

    op.drop_table("signings")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_mobile_hash")
        batch_op.drop_index("ix_registrations_masked")
        batch_op.drop_index("ix_registrations_channel_created")

    op.drop_table("registrations")
    with op.batch_alter_table("visit_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_corrections_visit_id"))

    op.drop_table("visit_corrections")
    op.drop_table("statements")
    with op.batch_alter_table("channel_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_agreements_channel_id"))

    op.drop_table("channel_agreements")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_channel_id"))

    op.drop_table("agents")
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channels_office_id"))

    op.drop_table("channels")
    op.drop_table("attribution_rules")
