"""Imperative mapping: the domain classes know nothing of SQLAlchemy (cosmicpython style)."""

from __future__ import annotations

from sqlalchemy.orm import registry

from keyuan.adapters.store.repositories.attribution import map_attribution
from keyuan.adapters.store.tables import checkin as tables
from keyuan.domain.checkin.challenge import LivenessChallenge
from keyuan.domain.checkin.consent import Consent
from keyuan.domain.checkin.controller import LegalEntity
from keyuan.domain.checkin.devices import KioskDevice, PairingCode
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.checkin.person import Office, Person
from keyuan.domain.checkin.visit import Visit
from keyuan.domain.compliance.audit import AuditEvent

_registry = registry()
_started = False


def start_mappers() -> None:
    """Map once per process; called by bootstrap, never at import time."""
    global _started
    if _started:
        return
    _registry.map_imperatively(LegalEntity, tables.legal_entities)
    _registry.map_imperatively(Office, tables.offices)
    _registry.map_imperatively(Notice, tables.notices)
    _registry.map_imperatively(Person, tables.persons)
    _registry.map_imperatively(Consent, tables.consents)
    _registry.map_imperatively(KioskSession, tables.kiosk_sessions)
    _registry.map_imperatively(Visit, tables.visits)
    _registry.map_imperatively(KioskDevice, tables.kiosk_devices)
    _registry.map_imperatively(LivenessChallenge, tables.liveness_challenges)
    _registry.map_imperatively(PairingCode, tables.pairing_codes)
    _registry.map_imperatively(OneTimeCode, tables.one_time_codes)
    _registry.map_imperatively(AuditEvent, tables.audit_events)
    map_attribution(_registry)
    _started = True
