"""Attribution tables (判客): channels, agents, registrations (报备), per-office rules, visit time
corrections (append-only), signings (签约), and settlement (agreements, statements, disputes).
No biometric column anywhere here (C21)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

from keyuan.adapters.store.tables.base import enum_of, metadata
from keyuan.adapters.store.types import DecisionJSON, StatementLinesJSON, UTCDateTime
from keyuan.domain.attribution.adjudication import ReviewStep, SigningStatus
from keyuan.domain.attribution.channels import ChannelKind
from keyuan.domain.attribution.commission import AgreementKind, DisputeStatus, StatementStatus
from keyuan.domain.attribution.risk import THRESHOLD_NAMES

attribution_rules = Table(
    "attribution_rules", metadata,
    Column("office_id", ForeignKey("offices.id"), primary_key=True),
    Column("registration_valid_hours", Integer, nullable=False),
    Column("protection_days", Integer, nullable=False),
    Column("known_lookback_days", Integer, nullable=False),
    Column("conflict_policy", String(8), nullable=False, server_default="refuse"),
)

risk_thresholds = Table(
    # 风控报告 thresholds an office set for itself (migration 0024); none: the defaults
    "risk_thresholds", metadata,
    Column("office_id", ForeignKey("offices.id"), primary_key=True),
    *(Column(name, Integer, nullable=False) for name in THRESHOLD_NAMES),
    Column("set_at", UTCDateTime, nullable=False),
    Column("set_by", String(64), nullable=False),
)

channels = Table(
    "channels", metadata,
    Column("id", String(16), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False, index=True),
    Column("kind", enum_of(ChannelKind), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("contract_ref", String(64)),
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
    # the company's own 报备 rules, inherited by its teams (None: the office's); migration 0025
    Column("registration_valid_hours", Integer),
    Column("protection_days", Integer),
)

channel_teams = Table(
    "channel_teams", metadata,
    Column("id", String(16), primary_key=True),
    Column("channel_id", ForeignKey("channels.id"), nullable=False, index=True),
    Column("parent_id", ForeignKey("channel_teams.id")),
    Column("name", String(60), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
    Column("registration_valid_hours", Integer),
    Column("protection_days", Integer),
)
"""门店/团队 of a distributor company, a tree (`parent_id` None: under the company). Every change
of one company's tree runs under the channel's row lock (names unique among siblings, no
cycle), so the service, not a constraint, keeps it whole."""

agents = Table(
    "agents", metadata,
    Column("id", String(16), primary_key=True),
    Column("channel_id", ForeignKey("channels.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
    Column("team_id", ForeignKey("channel_teams.id"), index=True),
)

registrations = Table(
    "registrations", metadata,
    Column("id", String(24), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("channel_id", ForeignKey("channels.id"), nullable=False),
    Column("agent_id", ForeignKey("agents.id")),
    Column("customer_name", String(50), nullable=False),
    Column("mobile_prefix", String(3), nullable=False),
    Column("mobile_suffix", String(4), nullable=False),
    Column("mobile_hash", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expected_visit_at", UTCDateTime),
    Column("conflict", String(40)),
    Column("team_id", ForeignKey("channel_teams.id")),  # the agent's team at the claim
    Index("ix_registrations_mobile_hash", "mobile_hash"),
    Index("ix_registrations_masked", "mobile_prefix", "mobile_suffix"),
    Index("ix_registrations_channel_created", "channel_id", "created_at"),
)

visit_corrections = Table(
    "visit_corrections", metadata,
    Column("id", String(24), primary_key=True),
    Column("visit_id", ForeignKey("visits.id"), nullable=False, index=True),
    Column("corrected_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

signings = Table(
    "signings", metadata,
    Column("id", String(24), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("person_id", ForeignKey("persons.id"), nullable=False, index=True),
    Column("buyer_name", String(100), nullable=False),
    Column("id_hash", String(64), nullable=False, index=True),
    Column("id_masked", String(18), nullable=False),
    Column("contract_price_fen", BigInteger, nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
    Column("decision", DecisionJSON, nullable=False),
    Column("status", enum_of(SigningStatus), nullable=False),
    Column("channel_id", ForeignKey("channels.id")),
    Column("registration_id", ForeignKey("registrations.id")),
    Column("id_photo_passed", Boolean),
    Column("id_photo_score", Float),
    Column("reviewed_by", String(64)),
    Column("reviewed_at", UTCDateTime),
    Column("review_reason", Text),
    Column("unit", String(64)),
    Index("ix_signings_office_status", "office_id", "status"),
    Index("ix_signings_channel_signed", "channel_id", "signed_at"),
)

signing_buyers = Table(
    "signing_buyers", metadata,
    Column("id", String(24), primary_key=True),
    Column("signing_id", ForeignKey("signings.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("person_id", ForeignKey("persons.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("id_hash", String(64), nullable=False, index=True),
    Column("id_masked", String(18), nullable=False),
    Column("relation", String(16)),
    Column("id_photo_passed", Boolean),
    Column("id_photo_score", Float),
    UniqueConstraint("signing_id", "position"),
)
"""共同购房人: every buyer of a signing, position 0 the main buyer (主购人), whose columns the
signing row repeats. Only the pass/score of each buyer's own ID-photo check (C22)."""

signing_reviews = Table(
    "signing_reviews", metadata,
    Column("id", String(24), primary_key=True),
    Column("signing_id", ForeignKey("signings.id"), nullable=False, index=True),
    Column("step", enum_of(ReviewStep), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)
"""A signing's review history: the desk's reason for sending it, the manager's for deciding."""

desk_consents = Table(
    "desk_consents", metadata,
    Column("id", String(32), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("id_hash", String(64), nullable=False, index=True),
    Column("given", Boolean, nullable=False),
    Column("language", String(8), nullable=False),
    Column("notice_hash", String(64), nullable=False),
    Column("base_notice_version", Integer, nullable=False),
    Column("face_uses", JSON, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    # one record serves one signing (the service locks it); a household's signing may use one
    # record per buyer who answered
    Column("signing_id", ForeignKey("signings.id"), index=True),
)
"""The buyer's yes or no to the signing desk's face check (C1, C22): no biometric column."""

escort_passes = Table(
    "escort_passes", metadata,
    Column("id", String(24), primary_key=True),
    Column("registration_id", ForeignKey("registrations.id"), nullable=False, index=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("channel_id", String(16), nullable=False),
    Column("agent_id", String(16)),
    Column("issued_by", String(64), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("code_hash", String(64), nullable=False, index=True),
    Column("used_at", UTCDateTime),
    Column("used_by", String(64)),
    Column("visit_id", ForeignKey("visits.id")),
)
"""扫码带访: an agent's one-time pass (`domain.attribution.escort.EscortPass`); the short code
only as a keyed hash, the QR token's signature never stored."""

channel_agreements = Table(
    "channel_agreements", metadata,
    Column("id", String(16), primary_key=True),
    Column("channel_id", ForeignKey("channels.id"), nullable=False, index=True),
    Column("kind", enum_of(AgreementKind), nullable=False),
    Column("value", BigInteger, nullable=False),
    Column("effective_from", UTCDateTime, nullable=False),
    Column("effective_to", UTCDateTime),
    Column("tiers", JSON, nullable=False),
    Column("referral_reward_fen", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("team_id", ForeignKey("channel_teams.id")),  # set on a team; None: the company's
)

statements = Table(
    "statements", metadata,
    Column("id", String(16), primary_key=True),
    Column("channel_id", ForeignKey("channels.id"), nullable=False),
    Column("period_start", UTCDateTime, nullable=False),
    Column("period_end", UTCDateTime, nullable=False),
    Column("status", enum_of(StatementStatus), nullable=False),
    Column("lines", StatementLinesJSON, nullable=False),
    Column("total_fen", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("approved_by", String(64)),
    Column("approved_at", UTCDateTime),
    Column("paid_at", UTCDateTime),
    Column("voided_by", String(64)),
    Column("voided_at", UTCDateTime),
    Column("void_reason", Text),
    # No unique period: a void statement's period may be settled again. Overlaps between
    # non-void statements are refused by the service under the channel's row lock.
    Index("ix_statements_channel_period", "channel_id", "period_start"),
)

statement_deals = Table(
    "statement_deals", metadata,
    # A deal (a final signing) is on at most one non-void statement: the primary key is the
    # constraint; the rows of a statement are deleted when it is voided.
    Column("signing_id", ForeignKey("signings.id"), primary_key=True),
    Column("statement_id", ForeignKey("statements.id"), nullable=False, index=True),
)

disputes = Table(
    "disputes", metadata,
    Column("id", String(16), primary_key=True),
    Column("statement_id", ForeignKey("statements.id"), nullable=False, index=True),
    Column("channel_id", ForeignKey("channels.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("status", enum_of(DisputeStatus), nullable=False),
    Column("signing_id", ForeignKey("signings.id")),
    Column("decided_by", String(64)),
    Column("decided_at", UTCDateTime),
    Column("decision_reason", Text),
)
