"""Compliance tables: impact assessments (C23), receipt signatures (C8), filing thresholds (C24),
rights access codes and requests (C19)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Integer, String, Table, Text

from keyuan.adapters.store.tables.base import metadata
from keyuan.adapters.store.types import UTCDateTime

impact_assessments = Table(
    "impact_assessments", metadata,
    Column("id", String(24), primary_key=True),
    Column("recorded_at", UTCDateTime, nullable=False, index=True),
    Column("assessor", String(200), nullable=False),
    Column("legality_necessity", Text, nullable=False),
    Column("impact_risks", Text, nullable=False),
    Column("security_measures", Text, nullable=False),
    Column("effectiveness", Text, nullable=False),
    Column("settings", JSON, nullable=False),
    Column("settings_hash", String(64), nullable=False),
    Column("demo", Boolean, nullable=False, default=False),
    Column("content_hash", String(64), nullable=False),
)

receipt_signatures = Table(
    "receipt_signatures", metadata,
    Column("consent_id", ForeignKey("consents.id"), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
)

filing_thresholds = Table(
    "filing_thresholds", metadata,
    Column("legal_entity", String(200), primary_key=True),
    Column("reached_at", UTCDateTime, nullable=False),
    Column("people", Integer, nullable=False),
)

rights_access = Table(
    "rights_access", metadata,
    Column("id", String(24), primary_key=True),
    Column("person_id", ForeignKey("persons.id"), nullable=False, index=True),
    Column("mobile_hash", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_at", UTCDateTime),
    Column("token_hash", String(64), unique=True),
    Column("token_expires_at", UTCDateTime),
)

rights_requests = Table(
    "rights_requests", metadata,
    Column("id", String(24), primary_key=True),
    Column("person_id", ForeignKey("persons.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("closed_by", String(64)),
)
