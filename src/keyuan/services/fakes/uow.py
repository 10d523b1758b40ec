"""`FakeUnitOfWork`: the `services.ports.UnitOfWork` port in memory, for unit tests of services.

It lives here, not in `services/ports.py`, so that no service imports it: the fake repositories
know every area's domain types, and check-in may not import compliance, capture or accounts."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, cast

from keyuan.domain.attribution.repositories import AttributionStore, TeamStore
from keyuan.domain.checkin.consultants import ConsultantStore
from keyuan.domain.compliance.dashboard import DashboardQueries
from keyuan.services.fakes.accounts import FakeAccountStore
from keyuan.services.fakes.attribution import FakeDeskConsents, FakeEscortPasses
from keyuan.services.fakes.capture import FakeCaptureRecords
from keyuan.services.fakes.checkin import (
    FakeAuditLog,
    FakeCodes,
    FakeConsents,
    FakeKioskDevices,
    FakeKioskSessions,
    FakeLegalEntities,
    FakeLivenessChallenges,
    FakeNotices,
    FakeOffices,
    FakeOutbox,
    FakePersons,
    FakeVault,
    FakeVisits,
)
from keyuan.services.fakes.compliance import FakeComplianceRecords, FakeDealRecords
from keyuan.services.fakes.store import FakeStore, Tables
from keyuan.services.fakes.throttle import FakeThrottleCounters
from keyuan.services.ports import IdempotencyKeys, UnitOfWork


class FakeUnitOfWork(UnitOfWork):
    """Keeps the `UnitOfWork` contract in memory (rows in `fakes.store.Tables`).

    Each block works on its own copy of the committed rows; `commit` makes that copy the
    committed state of `store`, then runs the hooks in order; leaving the block drops anything
    not committed. One instance serves block after block (`Deps(uow=lambda: fake)`, the state
    kept in `store`); instances sharing one `store` see each other's commits, as connections
    to one database do. `committed` counts commits and `rolled_back` blocks left without one
    (read-only blocks too: for the real store, leaving without a commit is a rollback).
    """

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        self.committed = 0
        self.rolled_back = 0
        self._working: Tables | None = None
        self._hooks: list[Callable[[], None]] = []
        self._did_commit = False
        self.attribution = cast(AttributionStore, NotFaked("attribution"))
        self.teams = cast(TeamStore, NotFaked("teams"))
        self.dashboard = cast(DashboardQueries, NotFaked("dashboard"))
        self.consultants = cast(ConsultantStore, NotFaked("consultants"))
        self.idempotency = cast(IdempotencyKeys, NotFaked("idempotency"))

    def __enter__(self) -> Self:
        if self._working is not None:
            raise RuntimeError("unit of work is not re-entrant")
        self._working = self.store.begin()
        self._hooks, self._did_commit = [], False
        self._open_repositories(self._working)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._did_commit:
            self.rolled_back += 1
        self._working, self._hooks = None, []

    def on_commit(self, hook: Callable[[], None]) -> None:
        self._hooks.append(hook)

    def flush(self) -> None:
        """Nothing to write: the fake repositories give ids as they add."""
        self._require_open()

    def commit(self) -> None:
        working = self._require_open()
        self.vault.stamp_changes()
        self.store.commit(working)
        self.committed += 1
        self._did_commit = True
        hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()

    def _require_open(self) -> Tables:
        if self._working is None:
            raise RuntimeError("no unit of work is open: use `with uow: ...`")
        return self._working

    def _open_repositories(self, tables: Tables) -> None:
        self.offices = FakeOffices(tables.offices)
        self.legal_entities = FakeLegalEntities(tables.legal_entities, tables.offices,
                                                tables.filing)
        self.notices = FakeNotices(tables.notices)
        self.persons = FakePersons(tables.persons)
        self.consents = FakeConsents(tables.consents)
        self.sessions = FakeKioskSessions(tables.sessions, tables.codes)
        self.devices = FakeKioskDevices(tables.devices, tables.pairing_codes)
        self.challenges = FakeLivenessChallenges(tables.challenges)
        self.visits = FakeVisits(tables.visits)
        self.codes = FakeCodes(tables.codes)
        self.outbox = FakeOutbox(tables.outbox, tables.sms_deliveries)
        self.audit = FakeAuditLog(tables.audit)
        self.vault = FakeVault(tables.templates, tables.consents, tables.notices,
                               tables.gallery_version)
        self.compliance = FakeComplianceRecords(tables)
        self.accounts = FakeAccountStore(tables)
        self.capture = FakeCaptureRecords(tables)
        self.deals = FakeDealRecords(tables)
        self.throttle = FakeThrottleCounters(tables)
        self.desk_consents = FakeDeskConsents(tables.desk_consents)
        self.escort_passes = FakeEscortPasses(tables.escort_passes)


class NotFaked:
    """Stands in for a store `FakeUnitOfWork` does not fake yet: any use fails, naming it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Any:
        if method.startswith("__"):  # copy, pickle and repr probe dunders: answer as usual
            raise AttributeError(method)
        raise NotImplementedError(f"FakeUnitOfWork has no {self._name}.{method} yet")


def fake_uow_factory(fake: FakeUnitOfWork) -> Callable[[], UnitOfWork]:
    """What `Deps.uow` takes, serving `fake` to every block. Typed, so mypy proves the fake
    meets the `UnitOfWork` port."""
    return lambda: fake
