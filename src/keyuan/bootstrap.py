"""Wire once: settings → engine, stores, vault, services. Web, CLI and demo all call `build`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from keyuan.adapters.anchor_file import AnchorFile
from keyuan.adapters.biometrics.engines import make_engine as make_biometric_engine
from keyuan.adapters.biometrics.engines import make_landmarker as make_biometric_landmarker
from keyuan.adapters.biometrics.engines import make_legacy_engines
from keyuan.adapters.capture.runtime import CaptureRuntime
from keyuan.adapters.clock import SystemClock
from keyuan.adapters.crypto.receipt_keys import KEY_FILE as RECEIPT_KEY_FILE
from keyuan.adapters.crypto.receipt_keys import create_receipt_key_file, load_receipt_signer
from keyuan.adapters.retention_metrics import RetentionCollector
from keyuan.adapters.sms.aliyun import AliyunSender
from keyuan.adapters.sms.credentials import load_access_key
from keyuan.adapters.sms.outbox import OutboxSender
from keyuan.adapters.sms.tencent import TencentSender
from keyuan.adapters.store import migrate
from keyuan.adapters.store.db import make_engine, vault_holds_templates
from keyuan.adapters.store.orm import start_mappers
from keyuan.adapters.store.uow import SqlUnitOfWork
from keyuan.adapters.vault.keys import VaultKeyError, create_key_file, load_key
from keyuan.adapters.vault.rotation import finish_interrupted_rotation
from keyuan.adapters.vault.store import TemplateVault, VaultCipher
from keyuan.config.settings import Settings
from keyuan.domain.checkin.liveness import Step, random_steps
from keyuan.domain.keyed_hash import Hasher
from keyuan.services.accounts.service import GuardConfig, SessionConfig
from keyuan.services.checkin.gallery_sync import GalleryFollower
from keyuan.services.compliance.retention import RetentionScheduler, policy_from
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.faces.gallery import Gallery
from keyuan.services.faces.landmarks import Landmarker
from keyuan.services.faces.slots import FaceSlots
from keyuan.services.ports import Clock, Deps, SmsSender


@dataclass
class App:
    settings: Settings
    db: Engine
    deps: Deps
    guard: GuardConfig
    retention: RetentionScheduler
    """Not started by `build`: `keyuan serve` starts it; `close` stops it."""
    capture: CaptureRuntime
    """Cameras' frames: its worker processes and threads start on the first frame, not here."""
    follower: GalleryFollower
    """Not started by `build`: `keyuan serve` and `keyuan capture pull` start it, so their
    galleries (and the workers' shared copy) follow the store's gallery version (C6)."""

    def close(self) -> None:
        self.follower.stop()
        self.retention.stop()
        self.capture.close()  # pulls and worker processes stop, the shared gallery is unlinked
        self.db.dispose()


ANCHOR_FILE = "audit-anchors.log"  # append-only, beside the store (C17)


def prepare_data_dir(settings: Settings) -> bool:
    """Create the data dir and the 0600 vault key file unless a key comes from the environment.
    True when a new key file was written. A missing key file while the vault holds templates
    raises `VaultKeyError` naming the file, before anything is written: a new key would make
    every template unreadable."""
    key_file = settings.data_dir / "vault.key"
    if not settings.vault_key and not key_file.exists() and vault_holds_templates(
            settings.resolved_database_url, vault_path=settings.resolved_vault_path):
        raise VaultKeyError(f"{key_file} is missing, but the vault holds face templates sealed "
                            "with it: restore the file (or set KEYUAN_VAULT_KEY); nothing was "
                            "written")
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not settings.receipt_key:  # C8: the office's Ed25519 receipt signing key, also 0600
        create_receipt_key_file(settings.data_dir / RECEIPT_KEY_FILE)
    if settings.vault_key:
        return False
    return create_key_file(key_file)


def make_face_engine(settings: Settings) -> FaceEngine | None:
    if settings.face_module == "off":
        return None
    return make_biometric_engine(settings.face)


def make_landmarker(settings: Settings, engine: FaceEngine | None) -> Landmarker | None:
    """YuNet's five landmarks for liveness wherever a face engine runs (dlib or SFace)."""
    return None if engine is None else make_biometric_landmarker(settings.face)


def build(
    settings: Settings, *, clock: Clock | None = None, engine: FaceEngine | None = None,
    sender: SmsSender | None = None, migrate_db: bool = True,
    landmarker: Landmarker | None = None,
    challenge_steps: Callable[[], tuple[Step, ...]] | None = None,
) -> App:
    """Build the application. `engine`/`sender`/`clock`/`landmarker` replace the configured
    adapters (tests, the demo's scripted clock; `challenge_steps` a fixed liveness challenge for
    a test that plays a recorded sequence); everything else comes from settings."""
    start_mappers()
    clock = clock or SystemClock()
    if settings.is_sqlite:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    db = make_engine(settings.resolved_database_url, vault_path=settings.resolved_vault_path)
    if migrate_db:
        migrate.upgrade(db)
    if not settings.vault_key:  # a rotation that committed but did not rename its key file
        finish_interrupted_rotation(db, settings.data_dir / "vault.key")
    cipher = VaultCipher(load_key(settings.vault_key, settings.data_dir / "vault.key"))

    def vault(session: Session) -> TemplateVault:
        return TemplateVault(session, cipher)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(db, vault)

    face_engine = engine if engine is not None else make_face_engine(settings)
    legacy = make_legacy_engines(settings.face) if engine is None and face_engine else ()
    deps = Deps(
        uow=uow, clock=clock, hasher=Hasher(settings.secret_key),
        sender=sender or make_sender(settings, uow, clock), face=settings.face,
        engine=face_engine,
        gallery=Gallery(), legacy_engines=legacy, otp_ttl_seconds=settings.otp_ttl_seconds,
        otp_max_attempts=settings.otp_max_attempts, otp_resend_seconds=settings.otp_resend_seconds,
        receipt_signer=load_receipt_signer(settings.receipt_key,
                                           settings.data_dir / RECEIPT_KEY_FILE),
        retention=policy_from(settings.retention), limits=settings.limits, demo=settings.demo,
        capture=settings.capture,
        visit_repeat_seconds=settings.visit_repeat_seconds,
        signing_duplicate_seconds=settings.signing_duplicate_seconds,
        face_slots=FaceSlots(settings.limits.face_workers, settings.limits.face_queue_seconds),
        anchors=AnchorFile(settings.data_dir / ANCHOR_FILE),
        landmarker=landmarker if landmarker is not None else make_landmarker(settings, face_engine),
        liveness=settings.liveness,
        challenge_steps=challenge_steps or random_steps,
    )
    retention = RetentionScheduler.from_settings(deps, settings.retention)
    capture = CaptureRuntime.build(deps, settings.capture, settings.secret_key)
    capture.metrics.registry.register(RetentionCollector(retention))  # C18 in /metrics
    follower = GalleryFollower(deps)
    follower.listen(capture.refresh_gallery)
    return App(settings=settings, db=db, deps=deps, guard=guard_config(settings),
               retention=retention, capture=capture, follower=follower)


def make_sender(settings: Settings, uow: Callable[[], SqlUnitOfWork], clock: Clock) -> SmsSender:
    """The configured SMS sender (`sms.provider`); a provider's access key is read here, so a
    missing or group-readable credentials file stops the start with one line. A provider signs
    with the real time (it refuses a timestamp minutes off), whatever clock the app runs on."""
    if settings.sms.provider == "aliyun":
        return AliyunSender(settings.sms, load_access_key(settings.sms), SystemClock())
    if settings.sms.provider == "tencent":
        return TencentSender(settings.sms, load_access_key(settings.sms), SystemClock())
    return OutboxSender(uow, clock)


def guard_config(settings: Settings) -> GuardConfig:
    return GuardConfig(secret=settings.secret_key, cookie_secure=settings.session_cookie_secure,
                       sessions=SessionConfig(
                           ttl_seconds=settings.session_ttl_seconds,
                           max_failures=settings.login_max_failures,
                           lockout_seconds=settings.login_lockout_seconds))
