"""argon2id password hashes and the account rules that need no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyuan.domain.accounts.errors import WeakPassword
from keyuan.domain.accounts.model import SessionRecord
from keyuan.services.accounts import passwords
from keyuan.services.accounts.service import csrf_for, token_hash


def test_a_hash_is_argon2id_salted_and_never_the_password() -> None:
    first = passwords.hash_password("correct horse battery")
    second = passwords.hash_password("correct horse battery")
    assert first.startswith("$argon2id$") and first != second
    assert "correct horse" not in first


def test_only_the_right_password_verifies() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")
    assert not passwords.verify_password("not-a-hash", "correct horse battery")


def test_an_unknown_user_never_verifies_even_with_the_dummy_password() -> None:
    assert not passwords.verify_password(None, "keyuan-no-such-user")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(WeakPassword):
        passwords.hash_password("short")


def test_the_stored_session_hash_and_the_csrf_token_do_not_reveal_the_token() -> None:
    token = "t0ken-value-0123456789"
    assert token not in token_hash(token) and len(token_hash(token)) == 64
    assert csrf_for("secret-a-0123456789", token) != csrf_for("secret-b-0123456789", token)
    assert token not in csrf_for("secret-a-0123456789", token)


def test_a_session_is_live_until_it_expires_or_is_revoked() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    s = SessionRecord(id="s", user_id="u", token_hash="h", kind="cookie", created_at=now,
                      expires_at=now + timedelta(hours=1))
    assert s.live(now) and not s.live(now + timedelta(hours=1))
    assert not SessionRecord(**{**vars(s), "revoked_at": now}).live(now)
