"""What attribution needs of a store, as a port, and the typed rows it reads. The real one is
`adapters/store/repositories/attribution.py` (`uow.attribution`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from keyuan.domain.attribution.adjudication import ReviewNote, Signing, VisitCorrection
from keyuan.domain.attribution.channels import Agent, Channel
from keyuan.domain.attribution.commission import Agreement, Dispute, Statement
from keyuan.domain.attribution.desk_consent import DeskConsent
from keyuan.domain.attribution.escort import EscortPass
from keyuan.domain.attribution.registration import AttributionRules, Registration
from keyuan.domain.attribution.risk import OfficeThresholds
from keyuan.domain.attribution.teams import Team
from keyuan.domain.checkin.person import Person
from keyuan.domain.checkin.visit import Visit


@dataclass(frozen=True)
class VisitEvidence:
    """An original visit row and the time of its latest correction (reported, never applied)."""

    id: str
    person_id: str
    office_id: str
    at: datetime
    method: str
    corrected_at: datetime | None


@dataclass(frozen=True)
class DeskEvidence:
    """Everything one buyer's decision reads, from one statement: the persons on file (by
    mobile hash, or by the ID hash of an earlier signing), their visits, and every claim that
    may be theirs (full mobile by hash, masked by 前三后四) with its channel's kind. Persons and
    registrations are read-only snapshots built from the rows, not session-attached entities."""

    persons: list[Person]
    visits: list[VisitEvidence]
    claims: list[tuple[Registration, str]]


class AttributionStore(Protocol):
    """Channels, registrations (报备), signings, settlement, and the evidence behind a decision.
    Writes (`add`, entity changes) become visible only when the unit of work commits."""

    def add(self, item: Channel | Agent | Registration | VisitCorrection | Signing | ReviewNote
            | Agreement | Statement | Dispute) -> None: ...

    def rules(self, office_id: str) -> AttributionRules:
        """The office's rules; the defaults when it has set none."""

    def set_rules(self, office_id: str, rules: AttributionRules) -> None: ...

    def risk_thresholds(self, office_id: str) -> OfficeThresholds | None:
        """The 风控报告 thresholds the office set for itself; None: it uses the defaults."""

    def set_risk_thresholds(self, office_id: str, office: OfficeThresholds) -> None:
        """Replace the office's thresholds in one statement (parallel writers leave one whole
        set)."""

    def channel(self, channel_id: str, *, lock: bool = False) -> Channel | None:
        """`lock`: the row stays locked until the unit of work ends (statements of a channel
        are built one at a time)."""

    def channels(self, office_id: str) -> list[Channel]: ...

    def all_channels(self) -> list[Channel]:
        """Every channel of every office, oldest first (the admin's list)."""

    def agent(self, agent_id: str, *, lock: bool = False) -> Agent | None: ...

    def agents_of(self, channel_id: str) -> list[Agent]: ...

    def registration(self, registration_id: str) -> Registration | None: ...

    def registrations_of_channel(self, channel_id: str) -> list[Registration]: ...

    def review_notes(self, signing_ids: Collection[str]) -> list[ReviewNote]:
        """The review history of these signings (sent, decided), oldest first."""

    def registrations_masked_as(self, office_id: str, prefix: str, suffix: str
                                ) -> list[Registration]:
        """The office's claims whose mobile has this 前三后四 (full or masked), oldest first."""

    def registrations_ending(self, office_id: str, suffix: str, since: datetime
                             ) -> list[Registration]:
        """The office's claims since `since` whose mobile ends in these four digits, newest
        first (reception finds an escorted customer's claim by what they can read out)."""

    def lock_customer(self, office_id: str, prefix: str, suffix: str) -> None:
        """Until the unit of work ends, no other registration at this office of a mobile with
        this 前三后四 gets past here (the answer at once decides on rows that may not exist)."""

    def registrations_for(self, office_id: str, persons: Collection[Person]) -> list[Registration]:
        """Every claim that could be about one of these persons: full mobiles by hash, masked
        ones by 前三后四, the name checked by `Registration.may_be`."""

    def persons_by_mobile_or_id(self, mobile_hash: str, id_hash: str) -> list[Person]:
        """The buyer on file: the person with this mobile, and whoever signed with this ID."""

    def desk_evidence(self, office_id: str, mobile_hash: str, id_hash: str,
                      mobile: str = "") -> DeskEvidence:
        """The signing desk's reads for one buyer in one round trip (see `DeskEvidence`); the
        claims also by the buyer's own `mobile_hash` and `mobile` (前三后四), on file or not."""

    def visit_evidence(self, person_ids: Collection[str]) -> list[VisitEvidence]:
        """Original visits of these persons, earliest first, each with its latest correction."""

    def persons_by_mobile_hashes(self, hashes: Collection[str]) -> list[Person]: ...

    def persons_by_id_hashes(self, id_hashes: Collection[str]) -> list[tuple[str, Person]]:
        """(ID hash, person) for everyone who signed with one of these ID numbers."""

    def registrations_for_many(self, office_id: str,
                               persons: Collection[Person]) -> list[Registration]:
        """A superset of the claims on these persons (callers match with `may_be`)."""

    def persons_matching_mask(self, prefix: str, suffix: str) -> list[Person]: ...

    def visits_of(self, person_ids: Collection[str]) -> list[Visit]: ...

    def corrections_of(self, visit_id: str) -> list[VisitCorrection]: ...

    def signing(self, signing_id: str, *, lock: bool = False) -> Signing | None:
        """`lock`: for a status change (review), locked until the unit of work ends."""

    def lock_buyer(self, id_hash: str) -> None:
        """Signings of one ID number are recorded one at a time (duplicate check, then write)."""

    def recent_signing(self, office_id: str, buyers: Collection[tuple[str, str]],
                       price_fen: int, unit: str | None, since: datetime) -> str | None:
        """The id of a signing since `since` naming one of these buyers (ID hash and mobile
        hash, as main or co-buyer) for the same price and unit, if any."""

    def review_queue(self, office_id: str) -> list[Signing]: ...

    def final_signings(self, channel_id: str, start: datetime, end: datetime) -> list[Signing]:
        """Final signings won by a channel in [start, end)."""

    def final_signings_of_persons(self, person_ids: Collection[str],
                                  until: datetime) -> list[Signing]:
        """Final signings of these customers up to `until`, earliest first."""

    def signings_of_registrations(self, registration_ids: Collection[str]) -> list[Signing]: ...

    def agreements(self, channel_id: str) -> list[Agreement]: ...

    def statement(self, statement_id: str, *, lock: bool = False) -> Statement | None:
        """`lock`: for a status change, locked until the unit of work ends."""

    def statements_overlapping(self, channel_id: str, start: datetime,
                               end: datetime) -> list[Statement]:
        """The channel's non-void statements sharing time with [start, end)."""

    def deals_on_other_statements(self, signing_ids: Collection[str],
                                  statement_id: str | None) -> set[str]:
        """Which of these signings another statement (not `statement_id`) settles."""

    def set_statement_deals(self, statement_id: str, signing_ids: Collection[str]) -> None:
        """Record the deals this statement settles; the store refuses a deal held by another
        non-void statement."""

    def release_statement_deals(self, statement_id: str) -> None:
        """A voided statement's deals become free for another statement."""

    def statements_of(self, channel_id: str) -> list[Statement]: ...

    def dispute(self, dispute_id: str, *, lock: bool = False) -> Dispute | None:
        """`lock`: for the decision, locked until the unit of work ends."""

    def open_disputes(self, statement_id: str) -> int: ...

    def open_disputes_of(self, statement_id: str) -> list[Dispute]:
        """The statement's open disputes, oldest first (the finance page decides them)."""


class DeskConsents(Protocol):
    """The signing desk's consent records (`uow.desk_consents`): the buyer's yes or no to the
    desk's face check, never any biometric data."""

    def add(self, item: DeskConsent) -> DeskConsent: ...

    def get(self, key: str) -> DeskConsent | None: ...

    def lock(self, key: str) -> DeskConsent | None:
        """The record, locked until the unit of work ends (one signing uses it)."""


class EscortPasses(Protocol):
    """扫码带访 passes (`uow.escort_passes`): an agent's one-time pass, used once."""

    def add(self, item: EscortPass) -> EscortPass: ...

    def lock(self, pass_id: str) -> EscortPass | None:
        """The pass, locked until the unit of work ends (parallel scans queue; one uses it)."""

    def lock_by_code(self, code_hash: str) -> EscortPass | None:
        """The newest pass whose short code has this keyed hash, locked like `lock`."""


class TeamStore(Protocol):
    """渠道团队 (`uow.teams`): the teams of distributor companies and which team each claim
    was made in. Changes to one company's tree are made under its channel's row lock
    (`AttributionStore.channel(…, lock=True)`)."""

    def add(self, team: Team) -> None: ...

    def team(self, team_id: str, *, lock: bool = False) -> Team | None:
        """`lock`: re-read and locked until the unit of work ends."""

    def teams_of(self, channel_ids: Collection[str]) -> list[Team]:
        """Every team of these companies, active or not, oldest first."""

    def claim_teams(self, registration_ids: Collection[str]) -> dict[str, str | None]:
        """Registration id → the team its agent was in when it was made (None: none)."""
