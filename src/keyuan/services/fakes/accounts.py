"""Accounts (port in `domain/accounts/repositories.py`) in memory. The real one is
`adapters/store/repositories/accounts.py`."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from keyuan.domain.accounts.errors import UsernameTaken
from keyuan.domain.accounts.model import SessionRecord, User
from keyuan.services.fakes.store import Tables, insert_row


class FakeAccountStore:
    """Users and sessions are frozen dataclasses: an update stores a replaced copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    # --- users ---
    def add_user(self, user: User) -> None:
        if self.user_by_name(user.username) is not None:
            raise UsernameTaken()
        insert_row(self._t.users, user.id, user)

    def user_by_name(self, username: str) -> User | None:
        return next((u for u in self._t.users.values() if u.username == username), None)

    def user(self, user_id: str) -> User | None:
        return self._t.users.get(user_id)

    def count_users(self) -> int:
        return len(self._t.users)

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self._update_user(user_id, password_hash=password_hash)

    def set_disabled(self, user_id: str, disabled: bool) -> None:
        self._update_user(user_id, disabled=disabled)

    def serialize_admin_changes(self) -> None:
        """One thread, one transaction at a time: nothing to wait for."""

    def all_users(self) -> list[User]:
        return sorted(self._t.users.values(), key=lambda u: u.username)

    def channel_exists(self, channel_id: str) -> bool:
        return channel_id in self._t.channels

    def statement_channel(self, statement_id: str) -> str | None:
        return self._t.statement_channels.get(statement_id)

    # --- sessions ---
    def add_session(self, s: SessionRecord) -> None:
        insert_row(self._t.account_sessions, s.id, s)

    def session_by_token_hash(self, token_hash: str) -> SessionRecord | None:
        return next((s for s in self._t.account_sessions.values()
                     if s.token_hash == token_hash), None)

    def revoke_session(self, session_id: str, at: datetime) -> None:
        found = self._t.account_sessions.get(session_id)
        if found is not None:
            self._t.account_sessions[session_id] = dataclasses.replace(found, revoked_at=at)

    def revoke_sessions_of(self, user_id: str, at: datetime) -> None:
        for s in list(self._t.account_sessions.values()):
            if s.user_id == user_id and s.revoked_at is None:
                self._t.account_sessions[s.id] = dataclasses.replace(s, revoked_at=at)

    def delete_sessions_expired_before(self, before: datetime) -> None:
        for s in list(self._t.account_sessions.values()):
            if s.expires_at < before:
                del self._t.account_sessions[s.id]

    def _update_user(self, user_id: str, **changes: Any) -> None:
        found = self._t.users.get(user_id)
        if found is not None:
            self._t.users[user_id] = dataclasses.replace(found, **changes)
