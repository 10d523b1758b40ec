"""The attribution area's fakes that unit tests of services need so far: the desk consents
(the rest of `uow.attribution` is not faked: `uow.NotFaked`)."""

from __future__ import annotations

from keyuan.domain.attribution.desk_consent import DeskConsent
from keyuan.services.fakes.store import MappedRows


class FakeDeskConsents(MappedRows[DeskConsent]):
    def lock(self, key: str) -> DeskConsent | None:
        return self.get(key)  # one unit of work at a time: nothing to wait for
