"""What check-in needs of a store, as ports (`typing.Protocol`). The real repositories are in
`adapters/store/repositories/checkin.py`; each works inside one unit of work. Writes flush at
once and become visible only when the unit of work commits."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol

from keyuan.domain.checkin.challenge import LivenessChallenge
from keyuan.domain.checkin.consent import Consent, ConsentScope
from keyuan.domain.checkin.controller import LegalEntity
from keyuan.domain.checkin.devices import KioskDevice, PairingCode
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.otp import OneTimeCode
from keyuan.domain.checkin.person import Office, Person
from keyuan.domain.checkin.visit import Visit
from keyuan.domain.sms import SmsDelivery


class Offices(Protocol):
    def add(self, item: Office) -> Office: ...

    def add_new(self, item: Office) -> bool:
        """Store a new office; False (nothing stored) when its id is taken, also by a
        concurrent transaction."""

    def get(self, key: str) -> Office | None: ...

    def lock(self, key: str) -> Office | None:
        """The office, its row locked until the unit of work ends (changes of one office's
        settings pass one at a time)."""

    def all(self) -> list[Office]: ...

    def of_entity(self, legal_entity_id: int) -> list[Office]: ...


class LegalEntities(Protocol):
    """The controllers of offices (`controller.LegalEntity`); the id is given on adding."""

    def add_new(self, item: LegalEntity) -> bool:
        """Store a new entity; False (nothing stored) when its name is taken, also by a
        concurrent transaction."""

    def get(self, key: int) -> LegalEntity | None: ...

    def all(self) -> list[LegalEntity]: ...

    def by_name(self, name: str) -> LegalEntity | None: ...

    def by_credit_code(self, code: str) -> LegalEntity | None: ...

    def rename(self, entity: LegalEntity, name: str) -> None:
        """Give the entity a new name, and its offices and filing record with it."""


class Notices(Protocol):
    """Notice versions and drafts (a draft has no `published_at` and no hash)."""

    def add(self, item: Notice) -> Notice: ...

    def get(self, key: int) -> Notice | None: ...

    def active(self, office_id: str, language: str) -> Notice | None:
        """The newest published version for the office and language."""

    def by_hash(self, content_hash: str) -> Notice | None: ...

    def latest_version(self, office_id: str, language: str) -> int: ...

    def for_office(self, office_id: str) -> list[Notice]:
        """Every version and draft of an office, newest first per language."""


class Persons(Protocol):
    def add(self, item: Person) -> Person: ...

    def get(self, key: str) -> Person | None: ...

    def by_mobile_hash(self, mobile_hash: str) -> Person | None: ...

    def lock(self, key: str) -> Person | None:
        """The person, locked until the unit of work ends (check-then-act on one person)."""

    def add_with_mobile(self, person: Person) -> Person:
        """Store a new person holding `person.mobile_hash`, or return whoever holds it already
        (also when another transaction registered it a moment ago): never two persons with one
        mobile, never an error for losing that race."""


class Consents(Protocol):
    def add(self, item: Consent) -> Consent: ...

    def get(self, key: str) -> Consent | None: ...

    def active_for(self, person_id: str, scope: ConsentScope) -> Consent | None: ...

    def for_person(self, person_id: str) -> list[Consent]: ...

    def by_code(self, code: str) -> Consent | None:
        """The consent whose 回执编号 (stored form) is `code`."""


class KioskSessions(Protocol):
    def add(self, item: KioskSession) -> KioskSession: ...

    def get(self, key: str) -> KioskSession | None: ...

    def purge(self, started_before: datetime, *, empty_only: bool,
              limit: int | None = None) -> int:
        """Delete sessions (and their codes) started before this time, never one that recorded
        a face refusal (the dashboard counts those); `empty_only`: only sessions nobody checked
        in through. How many went (at most `limit`)."""


class LivenessChallenges(Protocol):
    """Issued liveness challenges (`challenge.LivenessChallenge`): no biometric data."""

    def add(self, item: LivenessChallenge) -> LivenessChallenge: ...

    def get(self, key: str) -> LivenessChallenge | None: ...

    def use(self, key: str, now: datetime) -> bool:
        """Mark the challenge used at `now` if nobody has: one conditional update, so of
        concurrent decisions on one challenge exactly one gets True (a second waits for the
        first's transaction, then finds it used)."""

    def purge(self, expired_before: datetime, *, limit: int) -> int:
        """Delete challenges that expired before this time (at most `limit`); how many went."""


class KioskDevices(Protocol):
    """Paired tablets and the one-time codes that pair them (hashes only, never a token)."""

    def add(self, item: KioskDevice) -> KioskDevice: ...

    def get(self, key: str) -> KioskDevice | None: ...

    def lock(self, key: str) -> KioskDevice | None:
        """The device, its row held until the transaction ends (unpairing once)."""

    def by_token_hash(self, token_hash: str) -> KioskDevice | None:
        """The device holding this token, paired or unpaired since."""

    def all(self) -> list[KioskDevice]:
        """Every device, newest pairing first."""

    def add_code(self, code: PairingCode) -> PairingCode: ...

    def code_by_hash(self, code_hash: str) -> PairingCode | None:
        """The pairing code, its row held until the transaction ends (MUST: of two
        transactions redeeming one code at once, the second sees it used)."""

    def delete_expired_codes(self, now: datetime) -> int:
        """Codes never redeemed and expired by `now` (the retention purge); used ones stay,
        they name the device they paired."""


class Visits(Protocol):
    def add(self, item: Visit) -> Visit: ...

    def get(self, key: str) -> Visit | None: ...

    def for_person(self, person_id: str) -> list[Visit]: ...

    def for_office(self, office_id: str) -> list[Visit]: ...

    def at_office_between(self, office_id: str, start: datetime, end: datetime) -> list[Visit]:
        """The office's visits in [start, end), oldest first (reception's list of today)."""

    def latest_since(self, person_id: str, office_id: str, since: datetime) -> Visit | None:
        """The person's latest visit to the office at or after `since`."""

    def escorts_of(self, registration_ids: Collection[str]) -> list[Visit]:
        """The escorted visits (到访确认) recorded on these claims, oldest first."""

    def firsts_at_office(self, office_id: str, person_ids: Collection[str]) -> dict[str, str]:
        """Each person's first visit at the office (by recorded time, then id: a tie is broken
        the same way everywhere): person id → visit id. Reception's list and the consultant's
        page both read it."""


class Codes(Protocol):
    """One-time codes of the mobile path (stored only as a keyed hash)."""

    def add(self, item: OneTimeCode) -> OneTimeCode: ...

    def get(self, key: str) -> OneTimeCode | None: ...

    def latest(self, session_id: str, mobile_hash: str) -> OneTimeCode | None:
        """The newest code of the session for the number, its row held until the transaction
        ends (MUST: two transactions never both count or use the same code at once)."""


class Outbox(Protocol):
    """Messages the outbox SMS sender leaves for staff to read out or forward."""

    def put(self, *, at: datetime, channel: str, recipient: str, body: str) -> None: ...

    def recent(self, limit: int = 50) -> list[dict[str, Any]]: ...

    def record_delivery(self, delivery: SmsDelivery) -> None:
        """What became of one code at the gateway (any sender): masked number, never the code."""

    def deliveries(self, limit: int = 50) -> list[SmsDelivery]:
        """The latest delivery records, newest first."""
