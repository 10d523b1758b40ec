"""Accounts inside a unit of work (`uow.accounts`): Core queries onto plain dataclasses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keyuan.adapters.store.locks import serialize_on
from keyuan.adapters.store.tables.accounts import account_sessions, users
from keyuan.adapters.store.tables.attribution import channels, statements
from keyuan.domain.accounts.errors import UsernameTaken
from keyuan.domain.accounts.model import Role, SessionRecord, User


def _user(row: Row[Any]) -> User:
    return User(id=row.id, username=row.username, role=Role(row.role), channel_id=row.channel_id,
                password_hash=row.password_hash, created_at=row.created_at, disabled=row.disabled)


class AccountStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- users ---
    def add_user(self, user: User) -> None:
        """In a savepoint: a username a concurrent transaction took first (the unique key)
        is `UsernameTaken`, not a database error (PostgreSQL; SQLite writers take turns)."""
        try:
            with self.session.begin_nested():
                self.session.execute(insert(users).values(
                    id=user.id, username=user.username, role=user.role.value,
                    channel_id=user.channel_id, password_hash=user.password_hash,
                    created_at=user.created_at, disabled=user.disabled))
        except IntegrityError as exc:
            raise UsernameTaken() from exc

    def user_by_name(self, username: str) -> User | None:
        row = self.session.execute(select(users).where(users.c.username == username)).first()
        return _user(row) if row is not None else None

    def user(self, user_id: str) -> User | None:
        row = self.session.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row) if row is not None else None

    def count_users(self) -> int:
        return len(self.session.execute(select(users.c.id).limit(1)).all())

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.session.execute(update(users).where(users.c.id == user_id)
                             .values(password_hash=password_hash))

    def set_disabled(self, user_id: str, disabled: bool) -> None:
        self.session.execute(update(users).where(users.c.id == user_id)
                             .values(disabled=disabled))

    def serialize_admin_changes(self) -> None:
        serialize_on(self.session, "accounts.admins")

    def all_users(self) -> list[User]:
        return [_user(r) for r in self.session.execute(select(users).order_by(users.c.username))]

    def channel_exists(self, channel_id: str) -> bool:
        return self.session.execute(
            select(channels.c.id).where(channels.c.id == channel_id)).first() is not None

    def statement_channel(self, statement_id: str) -> str | None:
        return self.session.execute(select(statements.c.channel_id)
                                    .where(statements.c.id == statement_id)).scalar()

    # --- sessions ---
    def add_session(self, s: SessionRecord) -> None:
        self.session.execute(insert(account_sessions).values(
            id=s.id, user_id=s.user_id, token_hash=s.token_hash, kind=s.kind,
            created_at=s.created_at, expires_at=s.expires_at, revoked_at=s.revoked_at))

    def session_by_token_hash(self, token_hash: str) -> SessionRecord | None:
        row = self.session.execute(select(account_sessions)
                                   .where(account_sessions.c.token_hash == token_hash)).first()
        return SessionRecord(**row._mapping) if row is not None else None

    def revoke_session(self, session_id: str, at: datetime) -> None:
        self.session.execute(update(account_sessions).where(account_sessions.c.id == session_id)
                             .values(revoked_at=at))

    def revoke_sessions_of(self, user_id: str, at: datetime) -> None:
        self.session.execute(update(account_sessions)
                             .where(account_sessions.c.user_id == user_id,
                                    account_sessions.c.revoked_at.is_(None))
                             .values(revoked_at=at))

    def delete_sessions_expired_before(self, before: datetime) -> None:
        self.session.execute(delete(account_sessions)
                             .where(account_sessions.c.expires_at < before))
