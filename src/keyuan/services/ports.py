"""Ports the services depend on, and the bundle of them that bootstrap wires once.

Services import only from here, `services/faces`, `domain/` and `config/`; the real adapters
live in `keyuan.adapters` and are wired by `bootstrap.build`. Each port states its contract with
MUST/SHOULD words; `services.fakes.uow.FakeUnitOfWork` and the fakes of `adapters` (clock,
face engine, SMS sender) stand in for them in unit tests of services."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from keyuan.config.capture import CaptureSettings
from keyuan.config.face import FaceSettings
from keyuan.config.limits import LimitsSettings
from keyuan.config.liveness import LivenessSettings
from keyuan.domain.accounts.repositories import AccountStore
from keyuan.domain.attribution.repositories import (
    AttributionStore,
    DeskConsents,
    EscortPasses,
    TeamStore,
)
from keyuan.domain.capture.repositories import CaptureRecords
from keyuan.domain.checkin.consultants import ConsultantStore
from keyuan.domain.checkin.liveness import Step, random_steps
from keyuan.domain.checkin.repositories import (
    Codes,
    Consents,
    KioskDevices,
    KioskSessions,
    LegalEntities,
    LivenessChallenges,
    Notices,
    Offices,
    Outbox,
    Persons,
    Visits,
)
from keyuan.domain.compliance.audit import Anchor
from keyuan.domain.compliance.dashboard import DashboardQueries
from keyuan.domain.compliance.deals import DealRecords
from keyuan.domain.compliance.repositories import AuditLog, ComplianceRecords
from keyuan.domain.compliance.retention import RetentionPolicy
from keyuan.domain.keyed_hash import Hasher
from keyuan.domain.sms import CodeMessage, SmsAccepted
from keyuan.domain.throttle import ThrottleCounters
from keyuan.services.faces.engine import FaceEngine, Template
from keyuan.services.faces.gallery import Gallery, GalleryFollowing
from keyuan.services.faces.landmarks import Landmarker
from keyuan.services.faces.slots import FaceSlots


class Clock(Protocol):
    """Tells the current time. MUST return timezone-aware UTC datetimes."""

    def now(self) -> datetime: ...


class ReceiptSigner(Protocol):
    """Signs consent receipts with the office's key (C8). MUST keep the private key to itself;
    `public_key` (base64) travels in every receipt, `key_id` names it."""

    public_key: str
    key_id: str

    def sign(self, receipt: dict[str, Any]) -> str: ...


class AnchorLog(Protocol):
    """Audit anchors kept outside the store (C17, C25): an append-only file the daily job and
    `keyuan audit anchor` write to, so a truncated audit log is caught without anyone having
    kept the printed anchor. MUST only append; MUST NOT fail on an absent file (no anchor)."""

    def append(self, anchor: Anchor, at: datetime) -> None: ...

    def latest(self) -> tuple[Anchor, datetime] | None: ...


class SmsSender(Protocol):
    """Delivers one-time codes (adapters in `adapters/sms`: Aliyun, Tencent, the outbox).

    MUST NOT log the code, the full number or any credential (a masked number at most).
    `send` MUST return within its configured attempts × timeout: `SmsAccepted` when the message
    left, else raise an `SmsNotDelivered` subclass — `SmsGatewayThrottled` (the provider limits
    the number or account; never retried), `SmsNumberRefused`, `SmsGatewayUnavailable` (no
    answer after bounded retries; only transient failures are retried) or `SmsNotDelivered`
    itself (credentials, signature, template, balance: never retried). `provider` names the
    adapter in delivery records; `offline` is True when codes reach staff, not the phone (the
    outbox): the kiosk says so, since such a code proves nothing about who holds the number."""

    provider: str
    offline: bool

    def send(self, message: CodeMessage) -> SmsAccepted: ...


class Vault(Protocol):
    """Templates, sealed and keyed by pseudonym, inside the caller's unit of work: a write or
    delete MUST commit or roll back together with the consent change that justifies it (C1, C6).
    `get` names its purpose — a face use's stable name (`domain.checkin.face_uses.FaceUse`) — and
    MUST refuse it (`PurposeMismatch`) unless an active face consent of the person was given under
    a notice that named it (C7); `covering` MUST return only such people. No name, mobile or ID
    number is ever stored beside a template (C16)."""

    def put(self, pseudonym: str, template: Template, *, purpose: str, consent_id: str,
            model: str, now: datetime) -> None:
        """`model` is the `EngineModel.tag` of the engine that made the template."""

    def get(self, pseudonym: str, *, purpose: str) -> Template | None: ...

    def covering(self, purpose: str) -> set[str]:
        """The pseudonyms whose templates may be read for `purpose` (a face use's name)."""

    def model_of(self, pseudonym: str) -> str | None:
        """The model tag the pseudonym's template was made with, or None without a template."""

    def has(self, pseudonym: str) -> bool: ...

    def delete(self, pseudonym: str) -> bool: ...

    def count(self) -> int: ...

    def pseudonyms(self) -> list[str]: ...

    def consent_ids(self) -> dict[str, str]:
        """Each stored pseudonym with the id of the consent its template was sealed under."""

    def all(self, *, purpose: str, models: Collection[str],
            among: Collection[str] | None = None) -> Iterator[tuple[str, Template]]:
        """Every template held for `purpose` made by one of `models` (tags); `among`: only
        these pseudonyms'."""

    def seals(self, *, purpose: str, models: Collection[str]) -> dict[str, str]:
        """What `all` would give, as pseudonym → an id of that sealing (a re-derived or
        re-enrolled template gets a new one): what a gallery copy compares to follow the
        store without opening every template."""

    def gallery_version(self) -> int:
        """The store's gallery version: it MUST grow in the same transaction as any `put` or
        `delete` (through `stamp_changes`), so a copy of the gallery loaded at version v holds
        every change up to v."""

    def stamp_changes(self) -> None:
        """Called by the unit of work just before it commits: MUST bump the gallery version
        (once) when this transaction put or deleted a template, and do nothing otherwise."""

    def models(self) -> dict[str, int]:
        """How many templates each model tag holds."""


@dataclass(frozen=True)
class IdempotencyRecord:
    """The first request under an `Idempotency-Key`: its body's hash and, once it finished, its
    answer (`status_code` None while it is still running)."""

    request_hash: str
    status_code: int | None = None
    content_type: str | None = None
    body: bytes = b""


class IdempotencyKeys(Protocol):
    """One row per (caller scope, key); the primary key makes a claim exactly once."""

    def claim(self, scope: str, key: str, request_hash: str, at: datetime, *,
              stale_before: datetime) -> IdempotencyRecord | None:
        """Record a running request and return None, or return the record already there (a
        concurrent claim of the same key waits for the first to commit, then sees it). A
        running claim made before `stale_before` is dropped first."""

    def finish(self, scope: str, key: str, answer: IdempotencyRecord) -> None: ...

    def release(self, scope: str, key: str) -> None:
        """Forget a claim whose request failed on our side, so a retry runs again."""

    def purge(self, before: datetime) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over the main store and the vault: `with uow: ...; uow.commit()`.

    - Anything not committed when the block ends MUST be rolled back (an exception included).
    - `on_commit` hooks MUST run only after a successful commit, in the order given (they keep
      in-memory state such as the gallery in step with what was committed).
    - A unit of work is not re-entrant; each use case opens its own.
    """

    offices: Offices
    legal_entities: LegalEntities
    notices: Notices
    persons: Persons
    consents: Consents
    sessions: KioskSessions
    devices: KioskDevices
    challenges: LivenessChallenges
    visits: Visits
    consultants: ConsultantStore
    codes: Codes
    outbox: Outbox
    audit: AuditLog
    vault: Vault
    compliance: ComplianceRecords
    attribution: AttributionStore
    desk_consents: DeskConsents
    escort_passes: EscortPasses
    teams: TeamStore
    accounts: AccountStore
    capture: CaptureRecords
    deals: DealRecords
    dashboard: DashboardQueries
    idempotency: IdempotencyKeys
    throttle: ThrottleCounters

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def on_commit(self, hook: Callable[[], None]) -> None: ...

    def flush(self) -> None: ...

    def commit(self) -> None: ...


@dataclass(frozen=True)
class Deps:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    hasher: Hasher
    sender: SmsSender
    face: FaceSettings
    engine: FaceEngine | None
    gallery: Gallery
    legacy_engines: tuple[FaceEngine, ...] = ()
    """Engines of earlier models, kept to check templates they made 1:1 until each is
    re-derived by the active engine at the person's next verified visit."""
    legacy_galleries: dict[str, Gallery] = field(default_factory=dict)
    """The templates each earlier model made (by its tag), searched only by that model's engine
    and only to keep one person one record at enrollment."""
    capture: CaptureSettings | None = None
    """The capture settings, part of what an impact assessment covers (None: no capture)."""
    anchors: AnchorLog | None = None
    """Where audit anchors are kept outside the store (None: nowhere, e.g. unit tests)."""
    demo: bool = False
    """Demo mode (`keyuan serve --demo`): a DEMONSTRATION impact assessment licenses face
    processing only here, and every page says DEMO."""
    policy_url: str = "/notice"
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_resend_seconds: int = 30
    receipt_signer: ReceiptSigner | None = None
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)  # from Settings
    visit_repeat_seconds: int = 300
    """Check-ins of one person at one office this close together are one visit."""
    signing_duplicate_seconds: int = 600
    """A second signing of one buyer for the same unit and price this soon is refused."""
    limits: LimitsSettings = field(default_factory=LimitsSettings)  # from Settings
    face_slots: FaceSlots = field(default_factory=lambda: FaceSlots(2, 2.0))
    """This process's cap on concurrent kiosk face work (built from `limits` by bootstrap)."""
    landmarker: Landmarker | None = None
    """Five face landmarks per frame for liveness, whichever engine is active (bootstrap wires
    YuNet wherever a face engine runs; None: no face processing)."""
    liveness: LivenessSettings = field(default_factory=LivenessSettings)  # from Settings
    challenge_steps: Callable[[], tuple[Step, ...]] = random_steps
    """Draws the steps of each liveness challenge (a random sequence; tests of a served app
    pass a fixed one through `bootstrap.build` to play a recorded sequence, never a setting)."""
    following: GalleryFollowing = field(default_factory=GalleryFollowing)
    """The store's gallery version these galleries were last brought to (C6: every process
    holding a copy follows it; `services.checkin.gallery_sync`)."""
