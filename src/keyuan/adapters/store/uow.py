"""Unit of work: `with uow: ...; uow.commit()`. Anything not committed is rolled back.
`SqlUnitOfWork` is the real `services.ports.UnitOfWork`."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from keyuan.adapters.store.repositories import (
    accounts,
    attribution,
    capture,
    checkin,
    compliance,
    consultants,
    dashboard,
    deals,
    idempotency,
    teams,
    throttle,
)
from keyuan.domain.errors import StoreUnavailable
from keyuan.services.ports import UnitOfWork, Vault

READ_ONLY_TRANSACTION = "25006"


def store_failed(exc: BaseException | None) -> bool:
    """A failure of the store, not of the request: SQLite's "readonly database", "database or
    disk is full", "unable to open"; PostgreSQL's lost connection, `DiskFull`, shutdown or
    read-only transaction; no pooled connection or SQLite writer turn within 30 s."""
    if isinstance(exc, sa_exc.OperationalError | sa_exc.TimeoutError | TimeoutError):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and getattr(
        exc.orig, "sqlstate", None) == READ_ONLY_TRANSACTION

VaultFactory = Callable[[Session], Vault]
"""Opens the vault inside a unit of work's session (wired by bootstrap with the vault key)."""


class SqlUnitOfWork(UnitOfWork):
    """One transaction over the main store and the vault (attached file / schema).

    After-commit hooks keep in-memory state (the gallery) in step with what was committed.
    """

    def __init__(self, engine: Engine, vault: VaultFactory) -> None:
        self._factory = sessionmaker(bind=engine, expire_on_commit=False)
        self._vault = vault
        self._session: Session | None = None
        self._hooks: list[Callable[[], None]] = []

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work is not re-entrant")
        session = self._session = self._factory()
        self._hooks = []
        self.offices = checkin.Offices(session)
        self.legal_entities = checkin.LegalEntities(session)
        self.notices = checkin.Notices(session)
        self.persons = checkin.Persons(session)
        self.consents = checkin.Consents(session)
        self.sessions = checkin.KioskSessions(session)
        self.devices = checkin.KioskDevices(session)
        self.challenges = checkin.LivenessChallenges(session)
        self.visits = checkin.Visits(session)
        self.consultants = consultants.ConsultantRecords(session)
        self.codes = checkin.Codes(session)
        self.outbox = checkin.Outbox(session)
        self.audit = checkin.AuditLog(session)
        self.vault = self._vault(session)
        self.compliance = compliance.ComplianceRecords(session)
        self.attribution = attribution.AttributionStore(session)
        self.desk_consents = attribution.DeskConsents(session)
        self.escort_passes = attribution.EscortPasses(session)
        self.teams = teams.TeamStore(session)
        self.accounts = accounts.AccountStore(session)
        self.capture = capture.CaptureRecords(session)
        self.deals = deals.DealRecords(session)
        self.dashboard = dashboard.DashboardQueries(session)
        self.idempotency = idempotency.IdempotencyKeyRecords(session)
        self.throttle = throttle.ThrottleCounters(session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            if exc_type is None:
                # Objects read here stay usable after the block; nothing uncommitted is kept.
                self._session.expunge_all()
            self._session.rollback()
        except Exception as failure:
            if exc is None and store_failed(failure):  # the rollback failed: the store is gone
                raise StoreUnavailable() from failure
            if exc is None:
                raise
        finally:
            self._session.close()
            self._session = None
            self._hooks = []
        if store_failed(exc):
            # A read-only or full disk, a database that went away, a writer turn that never
            # came: the caller gets 503, and the SQL text (with its parameters) stays out of
            # every message.
            raise StoreUnavailable() from exc

    def on_commit(self, hook: Callable[[], None]) -> None:
        self._hooks.append(hook)

    def flush(self) -> None:
        assert self._session is not None
        self._session.flush()

    def commit(self) -> None:
        assert self._session is not None
        self.vault.stamp_changes()  # C6: the gallery version moves with the templates, last
        self._session.commit()
        hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()
