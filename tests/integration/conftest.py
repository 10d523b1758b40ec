"""Integration fixtures: real stores (SQLite always, PostgreSQL when it answers), and an app built
by `bootstrap.build` with a fake clock, the fake face engine and an in-memory SMS sender."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from keyuan.adapters.biometrics.fake import FakeEngine, solid_face
from keyuan.adapters.clock import FakeClock
from keyuan.adapters.sms.outbox import MemorySender
from keyuan.bootstrap import App, build, prepare_data_dir
from keyuan.config.face import FaceSettings
from keyuan.config.settings import Settings
from keyuan.domain.checkin.consent import Consent
from keyuan.domain.checkin.kiosk import KioskSession
from keyuan.domain.checkin.notice import Notice
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.checkin import phone as phone_service
from keyuan.services.checkin.face import CheckInResult
from keyuan.services.faces.engine import FaceEngine
from keyuan.services.ports import Deps
from support import postgres, stores
from support.challenge import WITHOUT_CHALLENGE
from support.live import Live, live_server
from support.offices import set_up_office
from support.pia import record_office_pia
from support.sequences import fake_shots, landmarker_for

START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
SECRET = "integration-test-secret-key"


@pytest.fixture(scope="session")
def _pg_admin_url() -> str:
    """The first admin URL that answers, probed once per run; otherwise skip with the reasons."""
    return postgres.admin_url()


@pytest.fixture
def _postgres_url(_pg_admin_url: str) -> Iterator[str]:
    """A fresh, uniquely named database at the head migration (copied from a template),
    dropped (WITH (FORCE)) afterwards."""
    with postgres.migrated_database(_pg_admin_url) as url:
        yield url


@pytest.fixture
def _empty_postgres_url(_pg_admin_url: str) -> Iterator[str]:
    """A fresh, uniquely named, empty database (no migration run), dropped afterwards."""
    with postgres.fresh_database(_pg_admin_url) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The main store's SQLAlchemy URL, at the head migration (`support.stores`): SQLite in
    tmp_path/data (with its vault beside it), or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        stores.seed_sqlite(tmp_path / "data")
        return f"sqlite:///{tmp_path / 'data' / stores.MAIN_FILE}"
    return str(request.getfixturevalue("_postgres_url"))


@pytest.fixture
def live(store_url: str, tmp_path: Path) -> Iterator[Live]:
    """The app over real HTTP on the test's store (SQLite or PostgreSQL) with the fake face
    engine. A module that needs dlib or other settings defines its own `live`."""
    database_url = None if store_url.startswith("sqlite") else store_url
    with live_server(tmp_path / "live", engine=FakeEngine(FaceSettings()),
                     database_url=database_url) as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Like `store_url`, but nothing migrated: for the migrations' own tests."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / stores.MAIN_FILE}"
    return str(request.getfixturevalue("_empty_postgres_url"))


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    """Everything explicit, so no KEYUAN_* variable of the developer's shell leaks in. The
    liveness challenge off unless `liveness` is given (`support.challenge`)."""
    values: dict[str, object] = {
        "environment": "test", "data_dir": data_dir, "database_url": database_url,
        "vault_path": None, "vault_key": None, "secret_key": SECRET, "face_module": "off",
        "liveness": dict(WITHOUT_CHALLENGE),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Kiosk:
    """A built app plus the fakes a test drives it with."""

    app: App
    clock: FakeClock
    sender: MemorySender
    office_id: str

    @property
    def deps(self) -> Deps:
        return self.app.deps

    @property
    def settings(self) -> Settings:
        return self.app.settings

    # --- factories for the common steps of a visit ---
    def start(self) -> tuple[KioskSession, Notice]:
        return kiosk_service.start_session(self.office_id, self.deps)

    def last_code(self) -> str:
        """The 6-digit code in the last SMS the fake sender recorded."""
        found = re.search(r"(?<!\d)\d{6}(?!\d)", self.sender.sent[-1][1])
        assert found is not None, self.sender.sent[-1]
        return found.group(0)

    def check_in_by_phone(
        self, session_id: str, notice_hash: str, mobile: str, *, name: str | None = None,
    ) -> CheckInResult:
        phone_service.request_code(session_id, mobile, self.deps)
        return phone_service.phone_check_in(phone_service.PhoneCheckInCmd(
            session_id=session_id, mobile=mobile, code=self.last_code(), notice_hash=notice_hash,
            agree=True, name=name,
        ), self.deps)

    def consent_face(
        self, session_id: str, notice_hash: str, *, name: str | None = None,
    ) -> Consent:
        return kiosk_service.consent_to_face(kiosk_service.FaceConsentCmd(
            session_id=session_id, notice_hash=notice_hash, age_14_or_over=True, name=name,
        ), self.deps)

    def enroll(self, session_id: str, consent_id: str, rgb: tuple[int, int, int]) -> CheckInResult:
        return face_service.enroll_face(
            face_service.EnrollCmd(session_id, consent_id, **fake_shots(rgb).cmd()), self.deps
        )

    def desk_yes(self, id_number: str, *, given: bool = True) -> str:
        """The buyer's answer to the signing desk's face check, under the desk notice in force
        (asked before any photo at the desk: C1, C22): the record's id."""
        from keyuan.services.attribution import desk_consent

        notice = desk_consent.desk_notice(self.office_id, "zh-CN", self.deps)
        return desk_consent.record(desk_consent.DeskConsentCmd(
            office_id=self.office_id, id_number=id_number, notice_hash=notice.content_hash,
            given=given, actor="desk-1"), self.deps).id

    def new_face_visitor(self, rgb: tuple[int, int, int]) -> CheckInResult:
        """A first visit: session, face consent, enrollment."""
        session, notice = self.start()
        consent = self.consent_face(session.id, notice.content_hash)
        return self.enroll(session.id, consent.id, rgb)


@dataclass(frozen=True)
class _NoEngine:
    """Marker: build with the face module switched off."""


NO_ENGINE = _NoEngine()


@pytest.fixture
def make_kiosk(tmp_path: Path) -> Iterator[Callable[..., Kiosk]]:
    """Build apps with `bootstrap.build`, the office set up (`support.offices`); closed at
    teardown."""
    built: list[App] = []

    def make(
        database_url: str | None = None, *, engine: FaceEngine | _NoEngine | None = None,
        data_dir: Path | None = None, **overrides: object,
    ) -> Kiosk:
        data_dir = data_dir or tmp_path / "data"
        if database_url is None and "vault_path" not in overrides:
            stores.seed_sqlite(data_dir)  # at the head migration already
        settings = make_settings(
            data_dir, database_url or f"sqlite:///{data_dir / stores.MAIN_FILE}", **overrides
        )
        prepare_data_dir(settings)
        clock = FakeClock(START)
        sender = MemorySender()
        face_engine = (
            None if isinstance(engine, _NoEngine) else engine or FakeEngine(settings.face)
        )
        app = build(settings, clock=clock, engine=face_engine, sender=sender,
                    landmarker=landmarker_for(face_engine))
        built.append(app)
        set_up_office(app.deps)
        record_office_pia(app.deps)  # C23: the office's own assessment
        return Kiosk(app=app, clock=clock, sender=sender, office_id="demo-office")

    yield make
    for app in built:
        app.close()


@pytest.fixture
def store_kiosk(make_kiosk: Callable[..., Kiosk], store_url: str) -> Kiosk:
    """An app on each store (SQLite; PostgreSQL when it answers)."""
    return make_kiosk(store_url)


@pytest.fixture
def kiosk(make_kiosk: Callable[..., Kiosk]) -> Kiosk:
    """An app on SQLite with the fake face engine (service tests)."""
    return make_kiosk()


@pytest.fixture
def faceless_kiosk(make_kiosk: Callable[..., Kiosk]) -> Kiosk:
    """An app on SQLite with the face module switched off (C10)."""
    return make_kiosk(engine=NO_ENGINE)


# --- faces, drawn for the fake engine: a person is a colour (adapters/biometrics/fake.py) ---
FRAME_SIZE = (160, 160)


def png_bytes(rgb: tuple[int, int, int], size: tuple[int, int] = FRAME_SIZE) -> bytes:
    out = BytesIO()
    Image.fromarray(solid_face(rgb, size)).save(out, "PNG")
    return out.getvalue()
