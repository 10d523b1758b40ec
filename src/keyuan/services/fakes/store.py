"""The rows of a fake store, its committed state, and what every fake repository shares."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from keyuan.domain.accounts.model import SessionRecord, User
from keyuan.domain.attribution.desk_consent import DeskConsent
from keyuan.domain.attribution.escort import EscortPass
from keyuan.domain.capture.cameras import Camera, Signage
from keyuan.domain.checkin.challenge import LivenessChallenge
from keyuan.domain.checkin.consent import Consent, ReceiptSignature
from keyuan.domain.checkin.controller import LegalEntity
from keyuan.domain.checkin.devices import KioskDevice, PairingCode
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.checkin.person import Office, Person
from keyuan.domain.checkin.visit import Visit
from keyuan.domain.compliance.audit import AuditEvent
from keyuan.domain.compliance.pia import ImpactAssessment
from keyuan.domain.compliance.rights import RightsRequest
from keyuan.domain.sms import SmsDelivery
from keyuan.services.faces.engine import Template


@dataclass(frozen=True)
class StoredTemplate:
    """A vault row. The template is kept as the array it is: a fake has no key to seal it with."""

    template: Template
    purpose: str
    consent_id: str
    created_at: datetime
    model: str = "dlib:fake"


@dataclass
class RightsAccess:
    """A rights-portal code (`code.session_id` is the person) and the token it was traded for."""

    code: OneTimeCode
    token_hash: str | None = None
    token_expires_at: datetime | None = None


@dataclass
class Tables:
    """Every row of one fake store. Tests may seed or read them through `FakeStore.committed`."""

    offices: dict[str, Office] = field(default_factory=dict)
    legal_entities: dict[int, LegalEntity] = field(default_factory=dict)
    filing: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    notices: dict[int, Notice] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    consents: dict[str, Consent] = field(default_factory=dict)
    sessions: dict[str, KioskSession] = field(default_factory=dict)
    devices: dict[str, KioskDevice] = field(default_factory=dict)
    pairing_codes: dict[str, PairingCode] = field(default_factory=dict)
    challenges: dict[str, LivenessChallenge] = field(default_factory=dict)
    visits: dict[str, Visit] = field(default_factory=dict)
    codes: dict[str, OneTimeCode] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    sms_deliveries: list[SmsDelivery] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)
    templates: dict[str, StoredTemplate] = field(default_factory=dict)
    gallery_version: list[int] = field(default_factory=lambda: [0])
    """One cell, as the vault's one row: bumped by any template put or delete."""
    assessments: dict[str, ImpactAssessment] = field(default_factory=dict)
    signatures: dict[str, ReceiptSignature] = field(default_factory=dict)
    rights_access: dict[str, RightsAccess] = field(default_factory=dict)
    rights_requests: dict[str, RightsRequest] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    account_sessions: dict[str, SessionRecord] = field(default_factory=dict)
    throttle: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    """(bucket key, window start) -> (hits, expires): `domain/throttle.py`."""
    channels: set[str] = field(default_factory=set)
    statement_channels: dict[str, str] = field(default_factory=dict)
    """Statement id -> channel id: the one attribution fact accounts read (channel scoping)."""
    cameras: dict[str, Camera] = field(default_factory=dict)
    signage: dict[str, Signage] = field(default_factory=dict)
    hourly: dict[tuple[str, datetime], tuple[int, int]] = field(default_factory=dict)
    desk_consents: dict[str, DeskConsent] = field(default_factory=dict)
    escort_passes: dict[str, EscortPass] = field(default_factory=dict)


class FakeStore:
    """The committed state, shared by every `FakeUnitOfWork` opened on it."""

    def __init__(self) -> None:
        self.committed = Tables()

    def begin(self) -> Tables:
        """A private working copy for one unit of work."""
        return copy.deepcopy(self.committed)

    def commit(self, working: Tables) -> None:
        # A copy again, so a write after commit in the same block stays uncommitted.
        self.committed = copy.deepcopy(working)


K = TypeVar("K")
V = TypeVar("V")


def insert_row(rows: dict[K, V], key: K, item: V) -> None:
    """Like a primary key: a second row under one key is refused (adding the same object again
    is a no-op, as `Session.add` is)."""
    found = rows.get(key)
    if found is not None and found is not item:
        raise ValueError(f"duplicate key {key!r}")
    rows[key] = item


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Identified)


class MappedRows(Generic[T]):
    """Rows of an ORM-mapped class keyed by its `id`, one object per row (the identity map)."""

    def __init__(self, rows: dict[str, T]) -> None:
        self._rows = rows

    def add(self, item: T) -> T:
        insert_row(self._rows, item.id, item)
        return item

    def get(self, key: str) -> T | None:
        return self._rows.get(key)
