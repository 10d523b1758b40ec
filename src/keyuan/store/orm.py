"""Imperative mapping: the domain classes know nothing of SQLAlchemy (cosmicpython style)."""

from __future__ import annotations

from sqlalchemy.orm import registry

from keyuan.compliance.audit import AuditEvent
from keyuan.domain.consent import Consent
from keyuan.domain.kiosk import KioskSession
from keyuan.domain.notice import Notice
from keyuan.domain.otp import OneTimeCode
from keyuan.domain.person import Office, Person
from keyuan.domain.visit import Visit
from keyuan.store import tables
from keyuan.store.repositories_attribution import map_attribution

_registry = registry()
_started = False


def start_mappers() -> None:
    """Map once per process; called by bootstrap, never at import time."""
    global _started
    if _started:
        return
    _registry.map_imperatively(Office, tables.offices)
    _registry.map_imperatively(Notice, tables.notices)
    _registry.map_imperatively(Person, tables.persons)
    _registry.map_imperatively(Consent, tables.consents)
    _registry.map_imperatively(KioskSession, tables.kiosk_sessions)
    _registry.map_imperatively(Visit, tables.visits)
    _registry.map_imperatively(OneTimeCode, tables.one_time_codes)
    _registry.map_imperatively(AuditEvent, tables.audit_events)
    map_attribution(_registry)
    _started = True
