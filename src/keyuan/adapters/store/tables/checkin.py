"""Check-in tables: offices, notices, persons, consents, kiosk sessions, visits, one-time codes,
the outbox and the audit chain; and the vault's templates, which live in the separate `vault`
schema (an attached SQLite file, or a PostgreSQL schema) and hold no name, phone or ID number
(C16)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from keyuan.adapters.store.tables.base import VAULT_SCHEMA, enum_of, metadata
from keyuan.adapters.store.types import UTCDateTime
from keyuan.domain.checkin.challenge import ChallengePlace
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.checkin.visit import VisitMethod

legal_entities = Table(
    "legal_entities", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("credit_code", String(18), nullable=False, default=""),
    Column("contact", String(200), nullable=False, default=""),
    Column("pi_name", String(100), nullable=False, default=""),
    Column("pi_contact", String(200), nullable=False, default=""),
)

offices = Table(
    "offices", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("legal_entity", String(200), nullable=False),
    Column("legal_entity_id", ForeignKey("legal_entities.id"), nullable=True, index=True),
)

_notice_text = [
    Column(name, Text, nullable=False, default="")
    for name in (
        "controller", "controller_contact", "responsible_person", "purpose", "method",
        "data_types", "retention", "after_retention", "necessity", "impact", "rights", "summary",
        "processing",
    )
]
notices = Table(
    "notices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("language", String(10), nullable=False),
    *_notice_text,
    Column("face_uses", JSON, nullable=False, default=list),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("published_at", UTCDateTime),
    UniqueConstraint("office_id", "language", "version"),
)

persons = Table(
    "persons", metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("name", String(100)),
    Column("mobile", String(11)),
    Column("mobile_hash", String(64), unique=True),
    Column("minor", Boolean, nullable=False, default=False),
)

consents = Table(
    "consents", metadata,
    Column("id", String(32), primary_key=True),
    Column("person_id", ForeignKey("persons.id"), nullable=False, index=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("scope", enum_of(ConsentScope), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("notice_version", Integer, nullable=False),
    Column("notice_hash", String(64), nullable=False),
    Column("method", String(40), nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    Column("withdrawn_at", UTCDateTime),
    Column("receipt", JSON, nullable=False),
    Column("receipt_hash", String(64), nullable=False),
    # nullable only because SQLite cannot add a NOT NULL column to a referenced table without a
    # copy; revision 0021 gives every row one and every new consent has one
    Column("receipt_code", String(10), unique=True, index=True),
)

kiosk_sessions = Table(
    "kiosk_sessions", metadata,
    Column("id", String(32), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False, index=True),
    Column("face_declined", Boolean, nullable=False, default=False),
    Column("under_14", Boolean, nullable=False, default=False),
    Column("person_id", ForeignKey("persons.id")),
    Column("device_id", String(24), index=True),  # no foreign key: unpaired devices stay
)

liveness_challenges = Table(
    "liveness_challenges", metadata,  # 活体挑战: the steps asked, never a frame or landmark
    Column("id", String(32), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("place", enum_of(ChallengePlace), nullable=False),
    Column("subject", String(64), nullable=False),  # kiosk session id or staff:<username>
    Column("steps", JSON, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("used_at", UTCDateTime),
)

kiosk_devices = Table(
    "kiosk_devices", metadata,
    Column("id", String(24), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False, index=True),
    Column("name", String(60), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("paired_at", UTCDateTime, nullable=False),
    Column("paired_by", String(64), nullable=False),
    Column("demo", Boolean, nullable=False, default=False),
    Column("unpaired_at", UTCDateTime),
    Column("unpaired_by", String(64)),
)

pairing_codes = Table(
    "pairing_codes", metadata,
    Column("id", String(24), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("device_name", String(60), nullable=False),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("created_by", String(64), nullable=False),
    Column("used_at", UTCDateTime),
    Column("device_id", String(24), unique=True),  # one device per code, whatever the race
)

visits = Table(
    "visits", metadata,
    Column("id", String(24), primary_key=True),
    # None for an escorted visit (到访确认): it belongs to the channel's claim, and the mobile a
    # channel typed is no consent to keep a person on file (migration 0028)
    Column("person_id", ForeignKey("persons.id"), nullable=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("method", enum_of(VisitMethod), nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("registration_id", String(24), nullable=True),  # the 报备 an escort confirmed
    Index("ix_visits_person_at", "person_id", "at"),
    Index("ix_visits_registration_id", "registration_id"),
)

one_time_codes = Table(
    "one_time_codes", metadata,
    Column("id", String(24), primary_key=True),
    Column("session_id", ForeignKey("kiosk_sessions.id"), nullable=False),
    Column("mobile_hash", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime),
    Index("ix_codes_session_mobile", "session_id", "mobile_hash"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("channel", String(10), nullable=False),
    Column("recipient", String(20), nullable=False),
    Column("body", Text, nullable=False),
)

sms_deliveries = Table(
    "sms_deliveries", metadata,
    Column("id", String(24), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("masked_mobile", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("provider_code", String(80)),
    Column("request_id", String(80)),
    Column("message_id", String(80)),
    Column("attempts", Integer, nullable=False),
    Index("ix_sms_deliveries_at", "at"),
)

audit_events = Table(
    "audit_events", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(64)),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

templates = Table(
    "templates", metadata,
    Column("pseudonym", String(32), primary_key=True),
    Column("purpose", String(40), nullable=False),
    Column("consent_id", String(32), nullable=False),
    # The face model that made the template (kind:fingerprint): templates of two models are
    # never compared; rows from before this column were made by dlib.
    Column("model", String(64), nullable=False, server_default="dlib"),
    Column("key_id", String(16), nullable=False),
    Column("nonce", LargeBinary(12), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    schema=VAULT_SCHEMA,
)

gallery_version = Table(
    # One row: grows in the same transaction as every template put or delete, beside the
    # templates (one SQLite file, one commit); every process holding a gallery follows it (C6).
    "gallery_version", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    schema=VAULT_SCHEMA,
)
