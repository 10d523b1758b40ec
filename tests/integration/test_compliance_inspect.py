"""The inspector's report (C1, C3, C6, C8, C18) and the notice poster (C4)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import numpy as np
import pytest
import typer
from pydantic import BaseModel
from sqlalchemy import delete, update
from typer.testing import CliRunner

from keyuan.adapters.biometrics.fake import FakeEngine
from keyuan.adapters.store.tables.checkin import consents
from keyuan.adapters.store.tables.compliance import receipt_signatures
from keyuan.cli.compliance import inspect_command
from keyuan.config.face import FaceSettings
from keyuan.config.settings import Settings
from keyuan.domain.checkin.consent import ATTRIBUTION
from keyuan.services.checkin import consent as consent_service
from keyuan.services.compliance.inspection import inspect_vault
from support import auth
from support.live import Live, live_server

if TYPE_CHECKING:
    from .conftest import Kiosk


def plant(k: Kiosk, pseudonym: str, consent_id: str) -> None:
    """A template written straight into the vault, as a careless integrator might."""
    with k.deps.uow() as uow:
        uow.vault.put(pseudonym, np.ones(128, dtype=np.float32), purpose=ATTRIBUTION,
                      consent_id=consent_id, model="dlib", now=k.clock.now())
        uow.commit()


def test_c1_a_vault_of_consented_templates_passes(store_kiosk: Kiosk) -> None:
    store_kiosk.new_face_visitor((200, 150, 120))
    store_kiosk.new_face_visitor((90, 160, 200))

    report = inspect_vault(store_kiosk.deps)

    assert report.clean and report.templates == 2 and report.violations == []


def test_c1_a_template_planted_without_consent_is_flagged(store_kiosk: Kiosk) -> None:
    store_kiosk.new_face_visitor((200, 150, 120))
    stranger = secrets.token_hex(16)
    plant(store_kiosk, stranger, consent_id=secrets.token_hex(16))

    report = inspect_vault(store_kiosk.deps)

    assert not report.clean and report.templates == 2
    assert report.violations == [(stranger, "no consent record at all (C1)")]


def test_c6_a_template_under_a_withdrawn_or_borrowed_consent_is_flagged(kiosk: Kiosk) -> None:
    ann = kiosk.new_face_visitor((200, 150, 120)).consent
    ben = kiosk.new_face_visitor((90, 160, 200)).consent
    consent_service.withdraw(ann.id, kiosk.deps)
    plant(kiosk, ann.person_id, ann.id)  # re-inserted after the withdrawal deleted it
    plant(kiosk, secrets.token_hex(16), ben.id)  # someone else's consent

    problems = {problem for _, problem in inspect_vault(kiosk.deps).violations}

    assert any(p.startswith("its consent was withdrawn") for p in problems)
    assert "its consent belongs to someone else (C1)" in problems


def test_c8_an_unsigned_or_altered_receipt_is_flagged(kiosk: Kiosk) -> None:
    ann = kiosk.new_face_visitor((200, 150, 120)).consent
    ben = kiosk.new_face_visitor((90, 160, 200)).consent
    with kiosk.app.db.begin() as conn:
        conn.execute(delete(receipt_signatures).where(receipt_signatures.c.consent_id == ann.id))
        conn.execute(update(consents).where(consents.c.id == ben.id).values(
            receipt={**ben.receipt, "sensitive": False}))

    violations = dict(inspect_vault(kiosk.deps).violations)

    assert violations[ann.person_id] == "the consent receipt is not signed (C8)"
    assert violations[ben.person_id] == "the stored receipt does not match its hash (C8)"


def test_c18_a_template_kept_past_its_purpose_is_flagged(kiosk: Kiosk) -> None:
    kiosk.new_face_visitor((200, 150, 120))
    kiosk.clock.advance(days=181)

    [(_, problem)] = inspect_vault(kiosk.deps).violations

    assert problem.endswith("overdue for purge")


def test_c1_keyuan_inspect_fails_on_a_planted_template(kiosk: Kiosk) -> None:
    app = typer.Typer()
    app.command()(inspect_command)
    env = {"KEYUAN_DATA_DIR": str(kiosk.settings.data_dir), "KEYUAN_FACE_MODULE": "off",
           "KEYUAN_SECRET_KEY": kiosk.settings.secret_key}
    plant(kiosk, "p" * 32, "c" * 32)

    result = CliRunner().invoke(app, [], env=env)

    assert result.exit_code == 1
    assert f"VIOLATION {'p' * 32}: no consent record at all (C1)" in result.output


def setting_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every setting, nested sections included (`face.dlib.verify`, ...)."""
    names = []
    for name, info in model.model_fields.items():
        names.append(prefix + name)
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            names += setting_names(kind, f"{prefix}{name}.")
    return names


def test_c4_no_implied_consent_setting_exists() -> None:
    names = setting_names(Settings)
    assert "face.dlib.verify" in names and "retention.transient_days" in names  # it looks deep
    forbidden = ("implied", "signage", "assume", "presume", "opt_out", "default_consent",
                 "consent_by")
    assert not [n for n in names if any(word in n for word in forbidden)]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_server(tmp_path_factory.mktemp("inspect"), engine=FakeEngine(FaceSettings())) as s:
        yield s


def test_c4_the_poster_informs_and_says_it_never_consents(live: Live) -> None:
    with httpx.Client(base_url=live.base_url, timeout=30) as http:
        poster = http.get("/api/offices/demo-office/poster")
        unknown = http.get("/api/offices/nowhere/poster")
        portal = http.get("/api/rights/portal?receipt=abc12345&lang=en&x=1")

    assert poster.status_code == 200 and 'lang="zh-CN"' in poster.text
    assert "本告示仅为告知，不构成您的同意" in poster.text and "size: A4" in poster.text
    assert poster.text.count("<svg") == 2
    assert f"{live.base_url}/api/offices/demo-office/notice" in poster.text
    assert f"{live.base_url}/me<" in poster.text  # the poster's rights QR: the portal /me
    assert portal.status_code == 307  # the old portal page hands over to /me
    assert portal.headers["location"] == f"{live.base_url}/me?receipt=abc12345&lang=en"
    assert unknown.status_code == 404


def test_c1_the_inspection_page_and_json_over_http(live: Live) -> None:
    with auth.client(live.base_url, live.app, "compliance") as http:
        report = http.get("/api/compliance/inspection").json()
        page = http.get("/api/compliance/inspection.html")

    assert report["clean"] is True and report["violations"] == []
    assert report["assessment"] == "current"  # the office's own assessment, not a demo
    assert "合格" in page.text and "不合格" not in page.text
