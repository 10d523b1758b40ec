"""What accounts need of a store, as a port. The real one is
`adapters/store/repositories/accounts.py` (`uow.accounts`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from keyuan.domain.accounts.model import SessionRecord, User


class AccountStore(Protocol):
    """Users (argon2 hashes only), server-side sessions (token hashes only), and the
    two facts channel scoping needs: whether a channel exists, whose a statement is."""

    def add_user(self, user: User) -> None:
        """MUST raise `UsernameTaken` when the username is taken, also by a concurrent unit of
        work that committed first."""

    def user_by_name(self, username: str) -> User | None: ...

    def user(self, user_id: str) -> User | None: ...

    def count_users(self) -> int: ...

    def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    def set_disabled(self, user_id: str, disabled: bool) -> None: ...

    def serialize_admin_changes(self) -> None:
        """Until the unit of work ends, no other unit of work passes this call: two admins
        disabling each other at once MUST NOT both pass the last-admin check."""

    def all_users(self) -> list[User]: ...

    def channel_exists(self, channel_id: str) -> bool: ...

    def statement_channel(self, statement_id: str) -> str | None: ...

    def add_session(self, s: SessionRecord) -> None: ...

    def session_by_token_hash(self, token_hash: str) -> SessionRecord | None: ...

    def revoke_session(self, session_id: str, at: datetime) -> None: ...

    def revoke_sessions_of(self, user_id: str, at: datetime) -> None: ...

    def delete_sessions_expired_before(self, before: datetime) -> None: ...
