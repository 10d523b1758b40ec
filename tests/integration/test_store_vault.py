"""The biometric vault on each store (C7, C16, C17): encrypted, bound to its row and purpose, keyed
separately, and holding nothing that identifies a person."""

from __future__ import annotations

import base64
import re
import secrets
import sqlite3
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from keyuan.adapters.biometrics.codec import encode_template
from keyuan.adapters.biometrics.fake import solid_face
from keyuan.adapters.store.tables.checkin import templates
from keyuan.adapters.store.uow import SqlUnitOfWork
from keyuan.adapters.vault.keys import VaultKeyError, key_id, parse_key
from keyuan.adapters.vault.store import TemplateVault, VaultCipher
from keyuan.domain.checkin.consent import ATTRIBUTION, Consent, ConsentScope
from keyuan.domain.checkin.face_uses import FaceUse
from keyuan.domain.checkin.notice import Notice
from keyuan.domain.checkin.person import Person
from keyuan.domain.errors import PurposeMismatch
from keyuan.services.checkin import face, kiosk, phone
from keyuan.services.faces.engine import TEMPLATE_DIM, Template
from support.sequences import fake_shots

if TYPE_CHECKING:
    from .conftest import Kiosk

NAME = "欧阳明月"
MOBILE = "13912345678"
ID_NUMBER = re.compile(rb"(?<![0-9A-Fa-f])[0-9]{17}[0-9Xx](?![0-9A-Fa-f])")
FACE = (200, 150, 120)


def template(seed: int) -> Template:
    vector = np.random.default_rng(seed).normal(size=TEMPLATE_DIM)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


READ = FaceUse.RETURN_VISIT  # a use the default notices name


def put(k: Kiosk, pseudonym: str, tpl: Template, consent_id: str | None = None,
        model: str = "dlib", face_uses: list[str] | None = None) -> str:
    """A person with a face consent under the notice in force (or, with `face_uses`, under a
    notice that named only those) and their template; returns the consent id."""
    with k.deps.uow() as uow:
        notice = uow.notices.active(k.office_id, "zh-CN")
        assert notice is not None
        if face_uses is not None:
            notice = Notice(k.office_id, "zh-CN", content_hash=secrets.token_hex(32),
                            version=notice.version + 100, face_uses=face_uses)  # not in force
            uow.notices.add(notice)
        uow.persons.add(Person(id=pseudonym, created_at=k.clock.now()))
        consent = Consent.give(person_id=pseudonym, office_id=k.office_id,
                               scope=ConsentScope.FACE, notice=notice, method="test",
                               now=k.clock.now(), controller_name="示范", policy_url="/notice")
        consent.id = consent_id or secrets.token_hex(16)
        uow.consents.add(consent)
        uow.vault.put(pseudonym, tpl, purpose=ATTRIBUTION, consent_id=consent.id,
                      model=model, now=k.clock.now())
        uow.commit()
        return consent.id


def row(k: Kiosk, pseudonym: str) -> Any:
    with k.app.db.connect() as conn:
        return conn.execute(select(templates).where(templates.c.pseudonym == pseudonym)).one()


def test_a_template_round_trips_through_the_vault(store_kiosk: Kiosk) -> None:
    pseudonym, tpl = secrets.token_hex(16), template(1)
    put(store_kiosk, pseudonym, tpl)

    with store_kiosk.deps.uow() as uow:
        loaded = uow.vault.get(pseudonym, purpose=READ)
        assert uow.vault.has(pseudonym)
        assert uow.vault.count() == 1
        assert dict(uow.vault.all(purpose=ATTRIBUTION, models=["dlib"])).keys() == {pseudonym}
        assert uow.vault.model_of(pseudonym) == "dlib"

    assert loaded is not None
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, tpl)


def test_an_unknown_pseudonym_has_no_template(store_kiosk: Kiosk) -> None:
    with store_kiosk.deps.uow() as uow:
        assert uow.vault.get(secrets.token_hex(16), purpose=READ) is None


def test_c17_the_stored_ciphertext_does_not_contain_the_raw_template(store_kiosk: Kiosk) -> None:
    pseudonym, tpl = secrets.token_hex(16), template(2)
    put(store_kiosk, pseudonym, tpl)

    stored = row(store_kiosk, pseudonym)
    raw = tpl.astype("<f4").tobytes()

    assert raw not in stored.ciphertext
    assert encode_template(tpl) not in stored.ciphertext
    for start in range(0, len(raw), 16):  # not even one 4-float run leaks
        assert raw[start:start + 16] not in stored.ciphertext
    assert len(stored.ciphertext) == len(encode_template(tpl)) + 16  # AES-GCM tag
    assert len(stored.nonce) == 12


def test_c16_a_ciphertext_moved_to_another_pseudonym_fails_to_decrypt(store_kiosk: Kiosk) -> None:
    alice, bob = secrets.token_hex(16), secrets.token_hex(16)
    put(store_kiosk, alice, template(3))
    put(store_kiosk, bob, template(4))
    stolen = row(store_kiosk, alice)
    with store_kiosk.app.db.begin() as conn:
        conn.execute(update(templates).where(templates.c.pseudonym == bob)
                     .values(nonce=stolen.nonce, ciphertext=stolen.ciphertext))

    with store_kiosk.deps.uow() as uow, pytest.raises(VaultKeyError):
        uow.vault.get(bob, purpose=READ)


def test_c7_a_template_relabelled_to_another_purpose_fails_to_decrypt(store_kiosk: Kiosk) -> None:
    pseudonym = secrets.token_hex(16)
    put(store_kiosk, pseudonym, template(5))
    with store_kiosk.app.db.begin() as conn:
        conn.execute(update(templates).where(templates.c.pseudonym == pseudonym)
                     .values(purpose="marketing"))

    with store_kiosk.deps.uow() as uow, pytest.raises(VaultKeyError):
        uow.vault.get(pseudonym, purpose=READ)


def test_c7_getting_a_template_for_another_purpose_is_refused(store_kiosk: Kiosk) -> None:
    pseudonym = secrets.token_hex(16)
    put(store_kiosk, pseudonym, template(6))

    with store_kiosk.deps.uow() as uow:
        with pytest.raises(PurposeMismatch):
            uow.vault.get(pseudonym, purpose="marketing")
        assert list(uow.vault.all(purpose="marketing", models=["dlib"])) == []


def test_c7_a_read_for_a_use_the_consent_did_not_name_is_refused_by_the_vault(
    store_kiosk: Kiosk,
) -> None:
    k = store_kiosk
    narrow, wide = secrets.token_hex(16), secrets.token_hex(16)
    put(k, narrow, template(8), face_uses=[FaceUse.RETURN_VISIT.value])
    put(k, wide, template(9))

    with k.deps.uow() as uow:
        assert uow.vault.get(narrow, purpose=FaceUse.RETURN_VISIT) is not None
        for use in (FaceUse.RIGHTS_IN_PERSON, FaceUse.SIGNING_SEARCH, FaceUse.CAMERA_LANE):
            with pytest.raises(PurposeMismatch):
                uow.vault.get(narrow, purpose=use)
        assert uow.vault.get(wide, purpose=FaceUse.RIGHTS_IN_PERSON) is not None
        assert uow.vault.covering(FaceUse.RIGHTS_IN_PERSON) == {wide}
        assert uow.vault.covering(FaceUse.RETURN_VISIT) == {narrow, wide}


def test_c7_a_withdrawn_consent_covers_no_read(store_kiosk: Kiosk) -> None:
    k = store_kiosk
    pseudonym = secrets.token_hex(16)
    consent_id = put(k, pseudonym, template(10))
    with k.deps.uow() as uow:
        consent = uow.consents.get(consent_id)
        assert consent is not None
        consent.withdraw(k.clock.now())
        uow.commit()
    with k.deps.uow() as uow:
        with pytest.raises(PurposeMismatch):
            uow.vault.get(pseudonym, purpose=READ)
        assert uow.vault.covering(READ) == set()


def _vault_with(cipher: VaultCipher) -> Callable[[Session], TemplateVault]:
    return lambda session: TemplateVault(session, cipher)


def _other_key() -> bytes:
    return parse_key(base64.b64encode(secrets.token_bytes(32)).decode())


def test_c17_a_wrong_vault_key_is_refused(store_kiosk: Kiosk) -> None:
    pseudonym = secrets.token_hex(16)
    put(store_kiosk, pseudonym, template(7))

    with SqlUnitOfWork(store_kiosk.app.db, _vault_with(VaultCipher(_other_key()))) as uow:
        with pytest.raises(VaultKeyError, match="another key"):
            uow.vault.get(pseudonym, purpose=READ)
        with pytest.raises(VaultKeyError):
            list(uow.vault.all(purpose=ATTRIBUTION, models=["dlib"]))


def test_c17_a_wrong_key_fails_authentication_even_with_a_forged_key_id(
    store_kiosk: Kiosk,
) -> None:
    pseudonym, wrong = secrets.token_hex(16), _other_key()
    put(store_kiosk, pseudonym, template(8))
    with store_kiosk.app.db.begin() as conn:
        conn.execute(update(templates).where(templates.c.pseudonym == pseudonym)
                     .values(key_id=key_id(wrong)))

    with SqlUnitOfWork(store_kiosk.app.db, _vault_with(VaultCipher(wrong))) as uow, \
            pytest.raises(VaultKeyError, match="failed authentication"):
        uow.vault.get(pseudonym, purpose=READ)


# --- C16: a vault dump holds no name, phone or ID number ---------------------------------------

def _png(rgb: tuple[int, int, int]) -> bytes:
    out = BytesIO()
    Image.fromarray(solid_face(rgb, (160, 160))).save(out, "PNG")
    return out.getvalue()


def enroll_named_person_with_verified_mobile(k: Kiosk) -> str:
    """Mobile verified, then face consent with a name, then enrollment: the main store now holds
    name, mobile and mobile hash for the pseudonym that the vault holds a template for."""
    session, notice = kiosk.start_session(k.office_id, k.deps)
    phone.request_code(session.id, MOBILE, k.deps)
    code = re.search(r"\d{6}", k.sender.sent[-1][1])
    assert code is not None
    phone.phone_check_in(phone.PhoneCheckInCmd(
        session_id=session.id, mobile=MOBILE, code=code.group(0),
        notice_hash=notice.content_hash, agree=True, name=NAME,
    ), k.deps)
    consent = kiosk.consent_to_face(kiosk.FaceConsentCmd(
        session_id=session.id, notice_hash=notice.content_hash, age_14_or_over=True, name=NAME,
    ), k.deps)
    face.enroll_face(face.EnrollCmd(session.id, consent.id, **fake_shots(FACE).cmd()), k.deps)
    with k.deps.uow() as uow:
        person = uow.persons.get(consent.person_id)
        assert person is not None
        assert (person.name, person.mobile) == (NAME, MOBILE)
        assert uow.vault.has(person.id)
    return consent.person_id


def forbidden(k: Kiosk) -> dict[str, bytes]:
    return {
        "name": NAME.encode("utf-8"),
        "name (utf-16)": NAME.encode("utf-16-le"),
        "mobile": MOBILE.encode(),
        "mobile hash": k.deps.hasher.mobile(MOBILE).encode(),
    }


def assert_holds_nothing_identifying(dump: bytes, k: Kiosk) -> None:
    for label, needle in forbidden(k).items():
        assert needle not in dump, f"the vault holds the {label}"
    assert ID_NUMBER.search(dump) is None, "the vault holds something shaped like an ID number"


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def _sqlite_files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_c16_a_sqlite_vault_file_holds_no_name_phone_or_id_number(
    make_kiosk: Callable[..., Kiosk], tmp_path: Path,
) -> None:
    k = make_kiosk()
    pseudonym = enroll_named_person_with_verified_mobile(k)
    vault_file = k.settings.resolved_vault_path
    main_file = Path(k.settings.resolved_database_url.removeprefix("sqlite:///"))

    raw_vault = _sqlite_files(vault_file)
    assert pseudonym.encode() in raw_vault  # the scan reads where the vault's data really is
    assert NAME.encode() in _sqlite_files(main_file)  # and would find a name if it were there
    assert_holds_nothing_identifying(raw_vault, k)

    with sqlite3.connect(vault_file) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [r for name in names for r in conn.execute(f'SELECT * FROM "{name}"')]
    assert "templates" in names
    assert any(pseudonym in r for r in rows)
    assert_holds_nothing_identifying(b"\n".join(_as_bytes(v) for r in rows for v in r), k)


def test_c16_the_sqlite_vault_is_a_separate_file_from_the_main_store(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    k = make_kiosk()
    enroll_named_person_with_verified_mobile(k)
    vault_file = k.settings.resolved_vault_path
    main_file = Path(k.settings.resolved_database_url.removeprefix("sqlite:///"))

    assert vault_file.is_file() and main_file.is_file()
    assert vault_file.resolve() != main_file.resolve()

    def table_names(path: Path) -> set[str]:
        with sqlite3.connect(path) as conn:
            return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    # the templates, and the gallery version raised in the same commit as each template change
    # (C6: a counter, no personal data)
    assert table_names(vault_file) == {"templates", "gallery_version"}
    assert not {"templates", "gallery_version"} & table_names(main_file)
    assert {"persons", "consents"} <= table_names(main_file)


@pytest.mark.postgres
def test_c16_the_postgresql_vault_schema_holds_no_name_phone_or_id_number(
    make_kiosk: Callable[..., Kiosk], request: pytest.FixtureRequest,
) -> None:
    k = make_kiosk(request.getfixturevalue("_postgres_url"))
    pseudonym = enroll_named_person_with_verified_mobile(k)

    with k.app.db.connect() as conn:
        names = conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'vault'"
        )).scalars().all()
        rows = [tuple(r) for name in names
                for r in conn.execute(text(f'SELECT * FROM vault."{name}"'))]
        persons = conn.execute(text("SELECT name, mobile FROM persons")).all()

    assert sorted(names) == ["gallery_version", "templates"]  # + the C6 counter, no person in it
    assert any(pseudonym in r for r in rows)
    assert (NAME, MOBILE) in [tuple(p) for p in persons]  # the identity is in the main schema
    assert_holds_nothing_identifying(b"\n".join(_as_bytes(v) for r in rows for v in r), k)


def test_templates_are_kept_apart_by_the_model_that_made_them(store_kiosk: Kiosk) -> None:
    old, new = secrets.token_hex(16), secrets.token_hex(16)
    put(store_kiosk, old, template(5), model="dlib")
    put(store_kiosk, new, template(6), model="sface:4f27237683d7b5ad")
    with store_kiosk.deps.uow() as uow:
        assert uow.vault.models() == {"dlib": 1, "sface:4f27237683d7b5ad": 1}
        assert dict(uow.vault.all(purpose=ATTRIBUTION, models=["sface:4f27237683d7b5ad"])
                    ).keys() == {new}
        assert uow.vault.model_of(new) == "sface:4f27237683d7b5ad"


def test_a_template_relabelled_as_another_model_fails_to_open(store_kiosk: Kiosk) -> None:
    pseudonym = secrets.token_hex(16)
    put(store_kiosk, pseudonym, template(7), model="sface:4f27237683d7b5ad")
    with store_kiosk.app.db.begin() as conn:
        conn.execute(update(templates).where(templates.c.pseudonym == pseudonym)
                     .values(model="sface:0000000000000000"))
    with store_kiosk.deps.uow() as uow, pytest.raises(VaultKeyError):
        uow.vault.get(pseudonym, purpose=READ)
