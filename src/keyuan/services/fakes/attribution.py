"""The attribution area's fakes that unit tests of services need so far: the desk consents
(the rest of `uow.attribution` is not faked: `uow.NotFaked`)."""

from __future__ import annotations

from keyuan.domain.attribution.desk_consent import DeskConsent
from keyuan.domain.attribution.escort import EscortPass
from keyuan.services.fakes.store import MappedRows


class FakeDeskConsents(MappedRows[DeskConsent]):
    def lock(self, key: str) -> DeskConsent | None:
        return self.get(key)  # one unit of work at a time: nothing to wait for


class FakeEscortPasses(MappedRows[EscortPass]):
    def lock(self, pass_id: str) -> EscortPass | None:
        return self.get(pass_id)

    def lock_by_code(self, code_hash: str) -> EscortPass | None:
        found = [p for p in self._rows.values() if p.code_hash == code_hash]
        return max(found, key=lambda p: p.issued_at, default=None)
