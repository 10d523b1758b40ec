"""置业顾问 tables: each office's 轮排 queue (order and who is away today), its cursor (the last
turn's position and the number of turns given), and the consultant assigned to each visit (once
per visit; a queue turn number once per office)."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from keyuan.adapters.store.tables.base import metadata
from keyuan.adapters.store.types import UTCDateTime

consultant_queue = Table(
    "consultant_queue", metadata,
    Column("office_id", ForeignKey("offices.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("away_on", Date),  # the local day they were marked away
)

consultant_cursors = Table(
    "consultant_cursors", metadata,
    Column("office_id", ForeignKey("offices.id"), primary_key=True),
    Column("last_position", Integer),
    Column("turns", Integer, nullable=False),
)

visit_consultants = Table(
    "visit_consultants", metadata,
    Column("visit_id", ForeignKey("visits.id"), primary_key=True),
    Column("office_id", ForeignKey("offices.id"), nullable=False),
    Column("person_id", ForeignKey("persons.id"), nullable=True),  # None: an escort (0028)
    Column("consultant_id", ForeignKey("users.id"), nullable=False),
    Column("consultant", String(64), nullable=False),
    Column("how", String(10), nullable=False),
    Column("turn", Integer),
    Column("assigned_at", UTCDateTime, nullable=False),
    Column("assigned_by", String(100), nullable=False),
    # a reassignment (0029): who had the visit before, why (`ReassignReason`), when, by whom
    Column("reassigned_from", String(64)),
    Column("reassign_reason", String(24)),
    Column("reassigned_at", UTCDateTime),
    Column("reassigned_by", String(100)),
    UniqueConstraint("office_id", "turn"),
    Index("ix_visit_consultants_consultant", "office_id", "consultant_id"),
)
