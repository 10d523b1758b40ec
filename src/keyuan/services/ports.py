"""Ports the services depend on, and the bundle of them that bootstrap wires once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from keyuan.adapters.clock import Clock
from keyuan.adapters.store.uow import SqlUnitOfWork
from keyuan.config.settings import FaceSettings
from keyuan.domain.compliance.pia import require_current
from keyuan.domain.compliance.retention import RetentionPolicy
from keyuan.domain.errors import FaceModuleDisabled
from keyuan.domain.keyed_hash import Hasher
from keyuan.services.checkin.signatures import ReceiptSigner
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.faces.gallery import Gallery


class SmsSender(Protocol):
    """Delivers a one-time code. MUST NOT log the code or the full number."""

    def send(self, mobile: str, text: str) -> None: ...


@dataclass(frozen=True)
class Deps:
    uow: Callable[[], SqlUnitOfWork]
    clock: Clock
    hasher: Hasher
    sender: SmsSender
    face: FaceSettings
    engine: FaceEngine | None
    gallery: Gallery
    policy_url: str = "/notice"
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_resend_seconds: int = 30
    receipt_signer: ReceiptSigner | None = None
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)  # from Settings

    def face_engine(self) -> FaceEngine:
        """C10: with the face module off every face use case refuses, phone keeps working.
        C23: so does every face use case without a PIA of the current face settings."""
        if self.engine is None:
            raise FaceModuleDisabled()
        with self.uow() as uow:  # C23: no face processing without a current impact assessment
            require_current(uow.compliance.latest_assessment(), self.face)
        return self.engine
