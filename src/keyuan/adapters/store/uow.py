"""Unit of work: `with uow: ...; uow.commit()`. Anything not committed is rolled back."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from keyuan.adapters.store.repositories.accounts import AccountStore
from keyuan.adapters.store.repositories.attribution import AttributionStore
from keyuan.adapters.store.repositories.capture import CaptureRecords
from keyuan.adapters.store.repositories.checkin import (
    AuditLog,
    Codes,
    Consents,
    KioskSessions,
    Notices,
    Offices,
    Outbox,
    Persons,
    Visits,
)
from keyuan.adapters.store.repositories.compliance import ComplianceRecords
from keyuan.adapters.store.repositories.dashboard import DashboardQueries
from keyuan.adapters.store.repositories.deals import DealRecords
from keyuan.adapters.vault.store import TemplateVault, VaultCipher


class SqlUnitOfWork:
    """One transaction over the main store and the vault (attached file / schema).

    After-commit hooks keep in-memory state (the gallery) in step with what was committed.
    """

    def __init__(self, engine: Engine, cipher: VaultCipher) -> None:
        self._factory = sessionmaker(bind=engine, expire_on_commit=False)
        self._cipher = cipher
        self._session: Session | None = None
        self._hooks: list[Callable[[], None]] = []

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work is not re-entrant")
        session = self._session = self._factory()
        self._hooks = []
        self.offices = Offices(session)
        self.notices = Notices(session)
        self.persons = Persons(session)
        self.consents = Consents(session)
        self.sessions = KioskSessions(session)
        self.visits = Visits(session)
        self.codes = Codes(session)
        self.outbox = Outbox(session)
        self.audit = AuditLog(session)
        self.vault = TemplateVault(session, self._cipher)
        self.compliance = ComplianceRecords(session)
        self.attribution = AttributionStore(session)
        self.accounts = AccountStore(session)
        self.capture = CaptureRecords(session)
        self.deals = DealRecords(session)
        self.dashboard = DashboardQueries(session)
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
        finally:
            self._session.close()
            self._session = None
            self._hooks = []

    def on_commit(self, hook: Callable[[], None]) -> None:
        self._hooks.append(hook)

    def flush(self) -> None:
        assert self._session is not None
        self._session.flush()

    def commit(self) -> None:
        assert self._session is not None
        self._session.commit()
        hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()
