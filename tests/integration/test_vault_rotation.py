"""`keyuan vault rotate-key` on both stores: every template re-encrypted under a new key in one
audited transaction; a failure inside it leaves the old key working and nothing changed; a
crash after the commit is finished by the next start; refused while `serve` runs on the data
dir; a backup after a rotation restores an office whose templates open."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import select

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.store.repositories.checkin import AuditLog
from keyuan.adapters.store.tables.checkin import templates
from keyuan.adapters.vault import rotation
from keyuan.adapters.vault.keys import key_id, load_key
from keyuan.adapters.vault.rotation import rotate_key_file
from keyuan.config.face import FaceSettings
from keyuan.services.checkin import face as face_service
from keyuan.services.checkin import kiosk as kiosk_service
from support.sequences import fake_shots

from .test_backup_restore import Machine, another_machine, machine_of, now_clock

if TYPE_CHECKING:
    from .conftest import Kiosk

FACES = [(200, 150, 120), (90, 160, 200), (60, 200, 90)]


def key_ids(kiosk: Kiosk) -> set[str]:
    with kiosk.app.db.connect() as conn:
        return set(conn.scalars(select(templates.c.key_id)))


def returns(kiosk_or_machine: Kiosk | Machine, office_id: str, receipt_id: str,
            rgb: tuple[int, int, int]) -> bool:
    """A fresh process's view: a new app on the store and the key file, the visitor returns."""
    machine = kiosk_or_machine if isinstance(kiosk_or_machine, Machine) else \
        machine_of(kiosk_or_machine)
    app = machine.app(FakeEngine(FaceSettings()))
    try:
        session, _ = kiosk_service.start_session(office_id, app.deps)
        result = face_service.return_with_face(face_service.ReturnCmd(
            session.id, receipt_id=receipt_id, **fake_shots(rgb).cmd()), app.deps)
        return result.consent.id == receipt_id
    finally:
        app.close()


@pytest.fixture
def fresh_machine(request: pytest.FixtureRequest, store_url: str,
                  tmp_path: Path) -> Iterator[Machine]:
    with another_machine(request, store_url, tmp_path) as machine:
        yield machine


@pytest.fixture
def office(store_kiosk: Kiosk) -> Iterator[tuple[Kiosk, list[str]]]:
    now_clock(store_kiosk)
    receipts = [store_kiosk.new_face_visitor(rgb).consent.id for rgb in FACES]
    yield store_kiosk, receipts


def test_rotation_reseals_every_template_under_a_new_key(
    office: tuple[Kiosk, list[str]],
) -> None:
    kiosk, receipts = office
    key_file = kiosk.settings.data_dir / "vault.key"
    old = load_key(None, key_file)
    assert key_ids(kiosk) == {key_id(old)}

    said = machine_of(kiosk).run("vault", "rotate-key")

    new = load_key(None, key_file)
    assert new != old and key_ids(kiosk) == {key_id(new)}
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key_file.parent.glob("vault.key*")] == ["vault.key"]  # old one gone
    assert "3 templates re-encrypted" in said.output
    with kiosk.deps.uow() as uow:
        rotated = [e for e in uow.audit.all() if e.action == "vault_key_rotated"]
    assert len(rotated) == 1 and rotated[0].detail["templates"] == 3
    assert rotated[0].detail["new_key_id"] == key_id(new)
    assert all(returns(kiosk, kiosk.office_id, r, rgb) for r, rgb in zip(receipts, FACES,
                                                                          strict=True))


def test_a_failure_inside_the_rotation_leaves_the_old_key_working(
    office: tuple[Kiosk, list[str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    kiosk, receipts = office
    key_file = kiosk.settings.data_dir / "vault.key"
    old_bytes = key_file.read_bytes()
    before = key_ids(kiosk)

    def fail(*_args: object, **_kwargs: object) -> None:  # after every template was resealed
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(AuditLog, "append", fail)
    with pytest.raises(RuntimeError):
        rotate_key_file(kiosk.app.db, key_file, actor="test", now=kiosk.clock.now())
    monkeypatch.undo()

    assert key_file.read_bytes() == old_bytes and key_ids(kiosk) == before
    assert [p.name for p in key_file.parent.glob("vault.key*")] == ["vault.key"]
    assert returns(kiosk, kiosk.office_id, receipts[0], FACES[0])
    with kiosk.deps.uow() as uow:
        assert "vault_key_rotated" not in [e.action for e in uow.audit.all()]


def test_a_crash_after_the_commit_is_finished_at_the_next_start(
    office: tuple[Kiosk, list[str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    kiosk, receipts = office
    key_file = kiosk.settings.data_dir / "vault.key"
    real_replace = os.replace

    def crash(src: object, dst: object) -> None:
        raise SystemExit("power cut")

    monkeypatch.setattr(rotation.os, "replace", crash)
    with pytest.raises(SystemExit):
        rotate_key_file(kiosk.app.db, key_file, actor="test", now=kiosk.clock.now())
    monkeypatch.setattr(rotation.os, "replace", real_replace)
    pending = key_file.with_name("vault.key.new")
    assert pending.is_file() and key_ids(kiosk) == {key_id(load_key(None, pending))}

    assert returns(kiosk, kiosk.office_id, receipts[1], FACES[1])  # the start finishes the swap

    assert not pending.exists() and key_ids(kiosk) == {key_id(load_key(None, key_file))}


def test_rotate_then_backup_and_restore_gives_templates_that_open(
    office: tuple[Kiosk, list[str]], fresh_machine: Machine, tmp_path: Path,
) -> None:
    kiosk, receipts = office
    machine = machine_of(kiosk)
    machine.run("vault", "rotate-key")
    file = tmp_path / "after-rotation.kyb"
    machine.run("backup", str(file))

    restored = fresh_machine.run("restore", str(file))

    assert "templates: 3 opened" in restored.output
    assert (fresh_machine.data_dir / "vault.key").read_bytes() == \
        (kiosk.settings.data_dir / "vault.key").read_bytes()
    assert returns(fresh_machine, kiosk.office_id, receipts[2], FACES[2])


def test_a_key_from_the_environment_is_not_rotated_here(kiosk: Kiosk) -> None:
    said = machine_of(kiosk).run("vault", "rotate-key", code=1,
                                 KEYUAN_VAULT_KEY=(kiosk.settings.data_dir / "vault.key")
                                 .read_text().strip())
    assert "error: vault_key_from_environment:" in said.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serving(kiosk: Kiosk) -> Iterator[Machine]:
    """`keyuan serve` as its own process on the office's data dir."""
    machine = machine_of(kiosk)
    port = free_port()
    env = {**os.environ, **machine.env()}
    server = subprocess.Popen([sys.executable, "-m", "keyuan.cli", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve did not start")
            time.sleep(0.2)
        yield machine
    finally:
        server.terminate()
        server.wait(30)


def test_restore_and_rotation_refuse_while_serve_runs(
    serving: Machine, kiosk: Kiosk, tmp_path: Path,
) -> None:
    key_before = (serving.data_dir / "vault.key").read_bytes()
    file = tmp_path / "while-serving.kyb"
    serving.run("backup", str(file))  # a backup is fine while serving

    for args in (("vault", "rotate-key"), ("restore", str(file), "--force")):
        said = serving.run(*args, code=1)
        assert "error: serve_running:" in said.output

    assert (serving.data_dir / "vault.key").read_bytes() == key_before
