"""Templates encrypted with AES-256-GCM; the pseudonym, purpose, consent id and model tag are the
associated data, so a ciphertext moved to another row, purpose or model fails to decrypt (C7,
C16, C17)."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import CursorResult, Row, delete, func, insert, select, update
from sqlalchemy.orm import Session

from keyuan.adapters.biometrics.codec import decode_template, encode_template
from keyuan.adapters.store.tables.checkin import (
    consents,
    gallery_version,
    notices,
    templates,
)
from keyuan.adapters.vault.keys import VaultKeyError, key_id
from keyuan.domain.checkin.consent import ConsentScope
from keyuan.domain.errors import PurposeMismatch
from keyuan.services.faces.engine import LEGACY_MODEL_TAG, Template


class VaultCipher:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.key_id = key_id(key)

    def seal(self, template: Template, aad: bytes) -> tuple[bytes, bytes]:
        nonce = secrets.token_bytes(12)
        return nonce, self._aead.encrypt(nonce, encode_template(template), aad)

    def open(self, nonce: bytes, ciphertext: bytes, aad: bytes, stored_key_id: str) -> Template:
        if stored_key_id != self.key_id:
            raise VaultKeyError("the vault was written with another key")
        try:
            return decode_template(self._aead.decrypt(nonce, ciphertext, aad))
        except InvalidTag as exc:
            raise VaultKeyError("a template failed authentication (tampered or moved)") from exc


def _aad(pseudonym: str, purpose: str, consent_id: str, model: str) -> bytes:
    base = f"keyuan-template|{pseudonym}|{purpose}|{consent_id}"
    # Rows sealed before templates were tagged keep their original associated data.
    return (base if model == LEGACY_MODEL_TAG else f"{base}|{model}").encode()


class TemplateVault:
    """Vault rows inside the caller's unit of work: a template write or delete commits or rolls
    back together with the consent change that justifies it (C1, C6)."""

    def __init__(self, session: Session, cipher: VaultCipher) -> None:
        self._session = session
        self._cipher = cipher
        self._changed = False

    def put(
        self, pseudonym: str, template: Template, *, purpose: str, consent_id: str, model: str,
        now: datetime,
    ) -> None:
        aad = _aad(pseudonym, purpose, consent_id, model)
        nonce, ciphertext = self._cipher.seal(template, aad)
        self._session.execute(insert(templates).values(
            pseudonym=pseudonym, purpose=purpose, consent_id=consent_id, model=model,
            key_id=self._cipher.key_id, nonce=nonce, ciphertext=ciphertext, created_at=now,
        ))
        self._changed = True

    def get(self, pseudonym: str, *, purpose: str) -> Template | None:
        """The template, read for `purpose` (a face use's stable name): refused unless an
        active face consent of the person was given under a notice that named it (C7)."""
        row = self._session.execute(
            select(templates).where(templates.c.pseudonym == pseudonym)
        ).one_or_none()
        if row is None:
            return None
        if purpose not in self._covered(pseudonym):
            raise PurposeMismatch(
                f"The person's consent does not cover '{purpose}': no template is read for it.",
                purpose=purpose)
        return self._open(row)

    def covering(self, purpose: str) -> set[str]:
        """The pseudonyms whose templates may be read for `purpose` (1:N searches only these)."""
        rows = self._session.execute(
            select(consents.c.person_id, notices.c.face_uses)
            .select_from(templates.join(consents, consents.c.person_id == templates.c.pseudonym)
                         .join(notices, notices.c.content_hash == consents.c.notice_hash))
            .where(consents.c.scope == ConsentScope.FACE, consents.c.withdrawn_at.is_(None)))
        return {str(person) for person, uses in rows if purpose in (uses or [])}

    def _covered(self, pseudonym: str) -> set[str]:
        """Every face use named by a notice an active face consent of the person was given
        under."""
        rows = self._session.execute(
            select(notices.c.face_uses)
            .select_from(consents.join(notices, notices.c.content_hash == consents.c.notice_hash))
            .where(consents.c.person_id == pseudonym, consents.c.scope == ConsentScope.FACE,
                   consents.c.withdrawn_at.is_(None))).scalars()
        return {str(use) for uses in rows for use in (uses or [])}

    def model_of(self, pseudonym: str) -> str | None:
        found = self._session.execute(
            select(templates.c.model).where(templates.c.pseudonym == pseudonym)
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def has(self, pseudonym: str) -> bool:
        found = self._session.execute(
            select(templates.c.pseudonym).where(templates.c.pseudonym == pseudonym)
        ).first()
        return found is not None

    def delete(self, pseudonym: str) -> bool:
        result = self._session.execute(delete(templates).where(templates.c.pseudonym == pseudonym))
        deleted = bool(cast(CursorResult[Any], result).rowcount)
        self._changed = self._changed or deleted
        return deleted

    def gallery_version(self) -> int:
        found = self._session.execute(
            select(gallery_version.c.version).where(gallery_version.c.id == 1)
        ).scalar_one_or_none()
        return 0 if found is None else int(found)

    def stamp_changes(self) -> None:
        """Bump the gallery version once if this transaction put or deleted a template. The
        unit of work calls it just before committing, so the version row is the last lock a
        transaction takes (two transactions never wait on each other holding it)."""
        if not self._changed:
            return
        self._changed = False
        bumped = self._session.execute(update(gallery_version).where(gallery_version.c.id == 1)
                                       .values(version=gallery_version.c.version + 1))
        if not cast(CursorResult[Any], bumped).rowcount:  # a store made without the migration
            self._session.execute(insert(gallery_version).values(id=1, version=1))

    def count(self) -> int:
        return int(self._session.execute(select(func.count()).select_from(templates)).scalar_one())

    def pseudonyms(self) -> list[str]:
        return list(self._session.execute(select(templates.c.pseudonym)).scalars())

    def consent_ids(self) -> dict[str, str]:
        """Each stored pseudonym with the id of the consent its template was sealed under."""
        rows = self._session.execute(select(templates.c.pseudonym, templates.c.consent_id))
        return {pseudonym: consent_id for pseudonym, consent_id in rows}

    def all(self, *, purpose: str, models: Collection[str],
            among: Collection[str] | None = None) -> Iterator[tuple[str, Template]]:
        query = select(templates).where(templates.c.purpose == purpose,
                                        templates.c.model.in_(list(models)))
        if among is not None:
            query = query.where(templates.c.pseudonym.in_(list(among)))
        for row in self._session.execute(query):
            yield row.pseudonym, self._open(row)

    def seals(self, *, purpose: str, models: Collection[str]) -> dict[str, str]:
        rows = self._session.execute(
            select(templates.c.pseudonym, templates.c.nonce).where(
                templates.c.purpose == purpose, templates.c.model.in_(list(models))))
        return {str(pseudonym): bytes(nonce).hex() for pseudonym, nonce in rows}

    def models(self) -> dict[str, int]:
        rows = self._session.execute(
            select(templates.c.model, func.count()).group_by(templates.c.model))
        return {str(model): int(n) for model, n in rows}

    def open_every(self) -> int:
        """Open every template (whatever its purpose): how many opened. `VaultKeyError` on the
        first that does not. For checks of the key itself (a restore, a rotation); the caller
        audits it."""
        opened = 0
        for row in self._session.execute(select(templates)):
            self._open(row)
            opened += 1
        return opened

    def reseal(self, new: VaultCipher) -> int:
        """Re-encrypt every template under `new` in this transaction (new nonce, new key id,
        the same associated data): how many. Each is opened with the current key first."""
        resealed = 0
        for row in self._session.execute(select(templates)).all():
            aad = _aad(row.pseudonym, row.purpose, row.consent_id, row.model)
            nonce, ciphertext = new.seal(self._open(row), aad)
            self._session.execute(update(templates).where(templates.c.pseudonym == row.pseudonym)
                                  .values(key_id=new.key_id, nonce=nonce, ciphertext=ciphertext))
            resealed += 1
        self._changed = self._changed or bool(resealed)
        return resealed

    def _open(self, row: Row[Any]) -> Template:
        aad = _aad(row.pseudonym, row.purpose, row.consent_id, row.model)
        return self._cipher.open(row.nonce, row.ciphertext, aad, row.key_id)
