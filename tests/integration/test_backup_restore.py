"""`keyuan backup FILE` / `keyuan restore FILE [--force]` on real SQLite files and a real
PostgreSQL database: a round trip onto a fresh machine loses nothing (every table's rows, the
audit chain, templates that open and still match a real face, receipts that verify with the
restored key); a wrong passphrase or a damaged file changes nothing; a store with data is
replaced only with --force; a backup taken while visitors check in is one consistent moment."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner, Result

from keyuan.adapters import office_lock
from keyuan.adapters.biometrics.engines import make_engine
from keyuan.adapters.clock import FakeClock
from keyuan.adapters.sms.outbox import MemorySender
from keyuan.adapters.store.tables import checkin as checkin_tables
from keyuan.adapters.store.tables import metadata
from keyuan.bootstrap import App, build
from keyuan.cli.main import cli
from keyuan.config.face import FaceSettings
from keyuan.domain.compliance.audit import anchor_of
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from keyuan.services.checkin.receipts import check_receipt, signed_receipt
from keyuan.services.checkin.signatures import signature_problems
from keyuan.services.compliance.audit import verify_audit
from keyuan.services.faces.engine import FaceEngine
from support import postgres
from support.sequences import Shots, identity_photos, landmarker_for, photo_shots

from .conftest import make_settings

if TYPE_CHECKING:
    from .conftest import Kiosk

PASSPHRASE = "correct horse battery staple"
PERSON = "fr_obama"  # enrolls from three of his photos, returns with three others
MOBILE = "13912345678"


def counts(db: Engine) -> dict[str, int]:
    """Rows of every table the product defines, counted through SQLAlchemy (not the backup's
    own counting)."""
    with db.connect() as conn:
        return {table.fullname: int(conn.scalar(select(func.count()).select_from(table)) or 0)
                for table in metadata.sorted_tables}


def now_clock(kiosk: Kiosk) -> None:
    """The fixture's office was set up at a fixed date; live from today on, so the retention
    check of the restore's inspection sees fresh records."""
    kiosk.clock.advance(seconds=(datetime.now(UTC) - kiosk.clock.now()).total_seconds())


@dataclass
class Machine:
    """A data dir (and database) a CLI command runs on, as an operator would."""

    data_dir: Path
    database_url: str

    def env(self, **extra: str) -> dict[str, str]:
        return {"KEYUAN_DATA_DIR": str(self.data_dir), "KEYUAN_DATABASE_URL": self.database_url,
                "KEYUAN_SECRET_KEY": "integration-test-secret-key", "KEYUAN_FACE_MODULE": "off",
                "KEYUAN_ENVIRONMENT": "test", "KEYUAN_VAULT_KEY": "", "KEYUAN_RECEIPT_KEY": "",
                "KEYUAN_BACKUP_PASSPHRASE": PASSPHRASE, **extra}

    def run(self, *args: str, code: int = 0, **env: str) -> Result:
        result = CliRunner().invoke(cli, list(args), env=self.env(**env))
        assert result.exit_code == code, (result.output, result.exception)
        return result

    def app(self, engine: FaceEngine | None = None) -> App:
        settings = make_settings(self.data_dir, self.database_url,
                                 face_module="on" if engine else "off")
        return build(settings, clock=FakeClock(datetime.now(UTC)), engine=engine,
                     sender=MemorySender(), landmarker=landmarker_for(engine))


def machine_of(kiosk: Kiosk) -> Machine:
    return Machine(kiosk.settings.data_dir, kiosk.settings.resolved_database_url)


@contextmanager
def another_machine(request: pytest.FixtureRequest, store_url: str,
                    tmp_path: Path) -> Iterator[Machine]:
    """Another machine of the same kind: an empty data dir, and an empty database."""
    data_dir = tmp_path / "new-machine"
    if store_url.startswith("sqlite"):
        yield Machine(data_dir, f"sqlite:///{data_dir / 'keyuan.db'}")
        return
    with postgres.fresh_database(request.getfixturevalue("_pg_admin_url")) as url:
        yield Machine(data_dir, url)


@pytest.fixture
def fresh_machine(request: pytest.FixtureRequest, store_url: str,
                  tmp_path: Path) -> Iterator[Machine]:
    with another_machine(request, store_url, tmp_path) as machine:
        yield machine


@pytest.fixture(scope="module")
def sface() -> FaceEngine:
    return make_engine(FaceSettings())


def enroll(kiosk: Kiosk, live_face: Shots) -> str:
    """A visitor consents and enrolls from real photos: the consent (receipt) id."""
    session, notice = kiosk.start()
    consent = kiosk.consent_face(session.id, notice.content_hash)
    face_service.enroll_face(face_service.EnrollCmd(session.id, consent.id, **live_face.cmd()),
                             kiosk.deps)
    return consent.id


def test_round_trip_onto_a_fresh_machine_loses_nothing(
    make_kiosk: Callable[..., Kiosk], store_url: str, fresh_machine: Machine, face_root: Path,
    sface: FaceEngine, tmp_path: Path,
) -> None:
    office = make_kiosk(store_url, engine=sface)
    now_clock(office)
    receipt_id = enroll(office, photo_shots(identity_photos(face_root, PERSON)))
    session, notice = office.start()
    office.check_in_by_phone(session.id, notice.content_hash, MOBILE, name="王芳")
    before = counts(office.app.db)
    with office.deps.uow() as uow:
        head = anchor_of(uow.audit.all())
    public_key = office.deps.receipt_signer.public_key  # type: ignore[union-attr]
    file = tmp_path / "office.keyuan-backup"

    said = machine_of(office).run("backup", str(file))

    assert "backup written" in said.output and PASSPHRASE not in said.output
    assert file.stat().st_mode & 0o777 == 0o600
    sealed = file.read_bytes()
    for plain in (MOBILE.encode(), "王芳".encode(), "示范售楼处".encode(), b"SQLite format 3",
                  (office.settings.data_dir / "vault.key").read_bytes().strip()):
        assert plain not in sealed  # nothing readable without the passphrase
    assert not list(tmp_path.glob("*.partial"))

    restored = fresh_machine.run("restore", str(file))

    assert "PASS" in restored.output and "match the manifest" in restored.output
    for name in ("vault.key", "receipt.key"):
        copied = fresh_machine.data_dir / name
        assert copied.read_bytes() == (office.settings.data_dir / name).read_bytes()
        assert copied.stat().st_mode & 0o777 == 0o600
    app = fresh_machine.app(sface)
    try:
        after = counts(app.db)
        audit_table = checkin_tables.audit_events.fullname
        assert {t: n for t, n in after.items() if t != audit_table} == \
               {t: n for t, n in before.items() if t != audit_table}
        # the backup's own entry came after its copy; the restore adds its own two
        assert after[audit_table] == before[audit_table] + 2
        report = verify_audit(app.deps, head)
        assert report.intact, report.problems
        # a real face still matches the template sealed on the first machine
        kiosk_session, _ = kiosk_service.start_session(office.office_id, app.deps)
        result = face_service.return_with_face(face_service.ReturnCmd(
            kiosk_session.id, receipt_id=receipt_id,
            **photo_shots(identity_photos(face_root, PERSON), skip=3).cmd()), app.deps)
        assert result.consent.id == receipt_id
        # receipts verify with the restored signing key: it is the office's own
        assert app.deps.receipt_signer.public_key == public_key  # type: ignore[union-attr]
        document = signed_receipt(receipt_id, app.deps).document
        assert signature_problems(document, {public_key}) == []
        assert check_receipt(document, app.deps).consent_status == "active"
    finally:
        app.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(kiosk: Kiosk) -> tuple[dict[str, int], str, list[str]]:
    """What must not change: every table's rows, the audit head, the data dir's key files."""
    with kiosk.deps.uow() as uow:
        head = str(anchor_of(uow.audit.all()))
    keys = [sha(kiosk.settings.data_dir / name) for name in ("vault.key", "receipt.key")]
    return counts(kiosk.app.db), head, keys


@pytest.fixture
def backed_up(store_kiosk: Kiosk, tmp_path: Path) -> tuple[Kiosk, Path]:
    """An office with two visitors and a backup of it; then a third visitor after the backup."""
    office = store_kiosk
    now_clock(office)
    office.new_face_visitor((200, 150, 120))
    session, notice = office.start()
    office.check_in_by_phone(session.id, notice.content_hash, MOBILE)
    file = tmp_path / "office.keyuan-backup"
    machine_of(office).run("backup", str(file))
    office.new_face_visitor((90, 160, 200))
    return office, file


def test_a_wrong_passphrase_changes_nothing(backed_up: tuple[Kiosk, Path]) -> None:
    office, file = backed_up
    before = state(office)

    said = machine_of(office).run("restore", str(file), "--force", code=1,
                                  KEYUAN_BACKUP_PASSPHRASE="not the passphrase at all")

    assert "error: backup_passphrase_wrong:" in said.output
    assert state(office) == before
    assert not list(office.settings.data_dir.glob(".restore-*"))


@pytest.mark.parametrize("damage", ["flipped", "cut", "cut-header", "appended"])
def test_a_damaged_file_changes_nothing(backed_up: tuple[Kiosk, Path], damage: str) -> None:
    office, file = backed_up
    data = bytearray(file.read_bytes())
    if damage == "flipped":
        data[len(data) * 2 // 3] ^= 0x40
    elif damage == "cut":
        del data[-200:]
    elif damage == "cut-header":
        del data[20:]
    else:
        data += b"\0" * 40
    file.write_bytes(bytes(data))
    before = state(office)

    said = machine_of(office).run("restore", str(file), "--force", code=1)

    assert "error: backup_damaged:" in said.output, said.output
    assert "Traceback" not in said.output
    assert state(office) == before
    assert not list(office.settings.data_dir.glob(".restore-*"))


def test_a_store_with_data_is_replaced_only_with_force(backed_up: tuple[Kiosk, Path]) -> None:
    office, file = backed_up
    before = state(office)
    machine = machine_of(office)

    refused = machine.run("restore", str(file), code=1)

    assert "error: restore_target_not_empty:" in refused.output and "--force" in refused.output
    assert state(office) == before
    office.app.close()  # the office's own process stops before a forced restore

    machine.run("restore", str(file), "--force")

    app = machine.app()
    try:
        with app.deps.uow() as uow:
            assert uow.vault.count() == 1  # the visitor enrolled after the backup is gone
    finally:
        app.close()


def test_restore_refuses_a_store_of_the_other_kind(
    backed_up: tuple[Kiosk, Path], tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    office, file = backed_up
    if office.settings.is_sqlite:
        with postgres.fresh_database(request.getfixturevalue("_pg_admin_url")) as url:
            said = Machine(tmp_path / "other", url).run("restore", str(file), code=1)
    else:
        other = tmp_path / "other"
        said = Machine(other, f"sqlite:///{other / 'keyuan.db'}").run("restore", str(file),
                                                                       code=1)
    assert "error: backup_store_mismatch:" in said.output


def test_a_backup_taken_while_visitors_check_in_is_one_moment(
    make_kiosk: Callable[..., Kiosk], store_url: str, fresh_machine: Machine, tmp_path: Path,
) -> None:
    office = make_kiosk(store_url)
    now_clock(office)
    stop = threading.Event()
    enrolled: list[str] = []
    failures: list[BaseException] = []

    def visitors() -> None:
        shade = 0
        while not stop.is_set():
            shade += 1
            try:  # each enrollment writes the vault and the main store in one transaction
                result = office.new_face_visitor((40 + shade % 200, 90, 200 - shade % 150))
                enrolled.append(result.consent.person_id)
            except Exception as exc:  # a face the fake engine already holds: not the point
                failures.append(exc)

    writer = threading.Thread(target=visitors)
    writer.start()
    try:
        while len(enrolled) < 3:
            stop.wait(0.05)
        file = tmp_path / "busy.keyuan-backup"
        machine_of(office).run("backup", str(file))
        at_backup = len(enrolled)
        while len(enrolled) < at_backup + 2:
            stop.wait(0.05)
    finally:
        stop.set()
        writer.join()

    fresh_machine.run("restore", str(file))  # counts, audit chain and inspection verified

    app = fresh_machine.app()
    try:
        with app.deps.uow() as uow:
            templates = set(uow.vault.pseudonyms())
            events = uow.audit.all()
        sealed = {e.subject for e in events if e.action == "template_enrolled"}
        # every enrollment is there with its template and its audit entry, or not at all
        assert templates == sealed and 3 <= len(templates) < len(enrolled)
        assert templates <= set(enrolled)
    finally:
        app.close()


def test_backup_refuses_a_short_passphrase_and_an_existing_file(
    store_kiosk: Kiosk, tmp_path: Path,
) -> None:
    machine = machine_of(store_kiosk)
    short = machine.run("backup", str(tmp_path / "a"), code=1, KEYUAN_BACKUP_PASSPHRASE="short")
    assert "error: backup_passphrase_weak:" in short.output
    assert not (tmp_path / "a").exists()
    (tmp_path / "b").write_text("keep me")
    exists = machine.run("backup", str(tmp_path / "b"), code=1)
    assert "error: backup_file_exists:" in exists.output
    assert (tmp_path / "b").read_text() == "keep me"
    missing = machine.run("backup", str(tmp_path / "c"), code=1, KEYUAN_BACKUP_PASSPHRASE="")
    assert "error: backup_passphrase_missing:" in missing.output


def test_the_passphrase_can_come_from_a_file(store_kiosk: Kiosk, tmp_path: Path) -> None:
    machine = machine_of(store_kiosk)
    secret = tmp_path / "passphrase"
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"a passphrase kept in a file\n")
    os.close(fd)
    file = tmp_path / "office.keyuan-backup"

    machine.run("backup", str(file), "--passphrase-file", str(secret),
                KEYUAN_BACKUP_PASSPHRASE="")
    wrong = machine.run("restore", str(file), "--force", code=1)  # the env's passphrase

    assert "backup_passphrase_wrong" in wrong.output


def test_restore_refuses_a_different_vault_key_in_the_environment(
    backed_up: tuple[Kiosk, Path], fresh_machine: Machine,
) -> None:
    _office, file = backed_up
    other_key = base64.b64encode(secrets.token_bytes(32)).decode()

    said = fresh_machine.run("restore", str(file), code=1, KEYUAN_VAULT_KEY=other_key)

    assert "error: restore_key_conflict:" in said.output
    assert not (fresh_machine.data_dir / "vault.key").exists()
    assert not list(fresh_machine.data_dir.glob(".restore-*"))


def test_nothing_starts_while_a_restore_or_rotation_holds_the_data_dir(
    store_kiosk: Kiosk, tmp_path: Path,
) -> None:
    machine = machine_of(store_kiosk)
    with office_lock.exclusive(machine.data_dir):  # what restore and rotate-key hold
        backup = machine.run("backup", str(tmp_path / "x.kyb"), code=1)
        serve = machine.run("serve", "--port", "0", code=1)
    assert "error: maintenance_running:" in backup.output
    assert "error: maintenance_running:" in serve.output
    assert not (tmp_path / "x.kyb").exists()


def test_restore_refuses_another_secret_key(
    backed_up: tuple[Kiosk, Path], fresh_machine: Machine,
) -> None:
    _office, file = backed_up

    said = fresh_machine.run("restore", str(file), code=1,
                             KEYUAN_SECRET_KEY="another-secret-key-of-another-office")

    assert "error: restore_secret_key_differs:" in said.output
    assert not (fresh_machine.data_dir / "vault.key").exists()


def test_every_file_of_the_data_dir_comes_back_but_eval_measurements(
    store_kiosk: Kiosk, fresh_machine: Machine, tmp_path: Path,
) -> None:
    data_dir = store_kiosk.settings.data_dir
    (data_dir / "tls").mkdir()
    (data_dir / "tls" / "ca.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\n")
    (data_dir / "eval-cache").mkdir()
    (data_dir / "eval-cache" / "templates.npy").write_bytes(b"public photos' measurements")
    file = tmp_path / "office.kyb"
    machine = machine_of(store_kiosk)
    anchor = machine.run("audit", "anchor").output.strip()  # kept in audit-anchors.log
    machine.run("backup", str(file))

    restored = fresh_machine.run("restore", str(file))

    assert "PASS" in restored.output  # the inspection checks the chain against the anchor
    assert anchor in (fresh_machine.data_dir / "audit-anchors.log").read_text()

    assert (fresh_machine.data_dir / "tls" / "ca.key").read_bytes() == \
        b"-----BEGIN PRIVATE KEY-----\n"
    assert (fresh_machine.data_dir / "audit-anchors.log").read_text() == \
        (data_dir / "audit-anchors.log").read_text()
    assert not (fresh_machine.data_dir / "eval-cache").exists()


def test_a_database_that_does_not_answer_is_one_line_and_leaves_no_file(tmp_path: Path) -> None:
    down = Machine(tmp_path / "data", "postgresql+psycopg://keyuan@127.0.0.1:9/keyuan")
    file = tmp_path / "never.kyb"

    for args in (("backup", str(file)), ("restore", str(tmp_path / "never.kyb"))):
        if args[0] == "restore":
            file.write_bytes(b"KEYUANBK")
        said = down.run(*args, code=1)
        assert "error: store_unavailable:" in said.output and "Traceback" not in said.output
    assert not list(tmp_path.glob("*.partial"))
