"""Account use cases: add, disable or re-password a user, log in (throttled), resolve a session
token, log out. Every login, failed login, logout and account change is in the audit chain (the
actor of a login is the account itself; a failed login names the account only when it exists)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from keyuan.domain.accounts.errors import (
    InvalidAccount,
    LastAdmin,
    LoginFailed,
    LoginThrottled,
    UnknownAccount,
    UsernameTaken,
)
from keyuan.domain.accounts.model import USERNAME, Principal, Role, SessionRecord, User
from keyuan.domain.errors import UnknownChannel
from keyuan.domain.keyed_hash import keyed_hash
from keyuan.domain.throttle import Bucket, Rate
from keyuan.services import throttle
from keyuan.services.accounts import passwords
from keyuan.services.ports import Deps


@dataclass(frozen=True)
class SessionConfig:
    """From settings: session lifetime, and wrong passwords per client address and account
    within a sliding window (the other login limits are `Deps.limits`)."""

    ttl_seconds: int = 8 * 3600
    max_failures: int = 5
    lockout_seconds: int = 900


@dataclass(frozen=True)
class GuardConfig:
    """What the guard needs besides the services: the secret CSRF tokens are derived under,
    whether session cookies are Secure, and the session settings (wired by bootstrap)."""

    secret: str
    cookie_secure: bool
    sessions: SessionConfig


@dataclass(frozen=True)
class AddUserCmd:
    username: str
    role: Role
    password: str
    channel_id: str | None = None


@dataclass(frozen=True)
class LoggedIn:
    token: str  # shown once to the client; only its SHA-256 is stored
    session: SessionRecord
    user: User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(secret: str, token: str) -> str:
    """The CSRF token of a cookie session: bound to it, derivable, never stored."""
    return keyed_hash(secret.encode(), "csrf", token)


def add_user(cmd: AddUserCmd, deps: Deps, *, actor: str = "accounts") -> User:
    if not USERNAME.match(cmd.username):
        raise InvalidAccount("Usernames are 2-64 characters: a-z, 0-9, '.', '_', '-'.")
    if cmd.role.is_channel != (cmd.channel_id is not None):
        raise InvalidAccount("Distributor and agent accounts need --channel; staff accounts "
                             "must not have one.")
    user = User(id=secrets.token_hex(12), username=cmd.username, role=cmd.role,
                channel_id=cmd.channel_id, password_hash=passwords.hash_password(cmd.password),
                created_at=deps.clock.now())
    with deps.uow() as uow:
        if uow.accounts.user_by_name(cmd.username) is not None:
            raise UsernameTaken()
        if cmd.channel_id is not None and not uow.accounts.channel_exists(cmd.channel_id):
            raise UnknownChannel()
        uow.accounts.add_user(user)
        uow.audit.append(at=user.created_at, actor=actor, action="account.user_added",
                         subject=user.id, detail={"role": user.role.value})
        uow.commit()
    return user


def login(username: str, password: str, kind: str, deps: Deps, cfg: SessionConfig, *,
          client: str | None = None) -> LoggedIn:
    """Throttled without letting anyone lock an account out: a slot is taken before the password
    is checked (so parallel guesses cannot outrun the count) per client address and account
    pair (`max_failures` per `lockout_seconds`: only that pair stops), per address over every
    account, and per account over every address (a short slow-down). A right password gives
    its slots back and clears the pair."""
    attempts = throttle.login_buckets(deps, username=username, client=client,
                                      pair=Rate(cfg.max_failures, cfg.lockout_seconds))
    _take_login_slot(username, attempts, deps)
    now = deps.clock.now()
    with deps.uow() as uow:
        user = uow.accounts.user_by_name(username)
        if not passwords.verify_password(user.password_hash if user else None, password) \
                or user is None or user.disabled:
            uow.audit.append(at=now, actor="accounts", action="account.login_failed",
                             subject=user.id if user else None,
                             detail={"known_account": user is not None})
            uow.commit()
            raise LoginFailed()
        throttle.give_back(uow, now, attempts[1:])
        throttle.clear(uow, attempts[:1])
        if passwords.needs_rehash(user.password_hash):
            uow.accounts.set_password_hash(user.id, passwords.hash_password(password))
        token = secrets.token_urlsafe(32)
        record = SessionRecord(id=secrets.token_hex(12), user_id=user.id,
                               token_hash=token_hash(token), kind=kind, created_at=now,
                               expires_at=now + timedelta(seconds=cfg.ttl_seconds))
        uow.accounts.add_session(record)
        uow.accounts.delete_sessions_expired_before(now - timedelta(days=1))
        uow.audit.append(at=now, actor=f"{user.role.value}:{user.username}",
                         action="account.login", subject=user.id, detail={"kind": kind})
        uow.commit()
    return LoggedIn(token=token, session=record, user=user)


def _take_login_slot(username: str, attempts: list[Bucket], deps: Deps) -> None:
    """Committed on its own, before the slow password check; a refusal is audited."""
    now = deps.clock.now()
    try:
        with deps.uow() as uow:
            throttle.take(uow, now, attempts, LoginThrottled)
            uow.commit()
    except LoginThrottled:
        with deps.uow() as uow:
            known = uow.accounts.user_by_name(username)
            uow.audit.append(at=now, actor="accounts", action="account.login_throttled",
                             subject=known.id if known else None, detail={})
            uow.commit()
        raise


def authenticate(token: str, deps: Deps) -> Principal | None:
    """The principal of a live session token, or None (unknown, expired, revoked, disabled)."""
    with deps.uow() as uow:
        record = uow.accounts.session_by_token_hash(token_hash(token))
        if record is None or not record.live(deps.clock.now()):
            return None
        user = uow.accounts.user(record.user_id)
    if user is None or user.disabled:
        return None
    return Principal(user_id=user.id, username=user.username, role=user.role,
                     channel_id=user.channel_id, session_id=record.id,
                     via_cookie=record.kind == "cookie")


def logout(who: Principal, deps: Deps) -> None:
    now = deps.clock.now()
    with deps.uow() as uow:
        uow.accounts.revoke_session(who.session_id, now)
        uow.audit.append(at=now, actor=who.actor, action="account.logout", subject=who.user_id,
                         detail={})
        uow.commit()


def set_disabled(username: str, disabled: bool, deps: Deps, *, actor: str = "accounts") -> User:
    """Disabling also ends every session of the account at once. The last enabled admin is
    never disabled (LastAdmin): somebody must be able to manage accounts."""
    now = deps.clock.now()
    with deps.uow() as uow:
        user = uow.accounts.user_by_name(username)
        if user is None:
            raise UnknownAccount()
        if disabled and user.role is Role.admin:
            uow.accounts.serialize_admin_changes()
        if disabled and user.role is Role.admin and not any(
                u.role is Role.admin and not u.disabled and u.id != user.id
                for u in uow.accounts.all_users()):
            raise LastAdmin()
        uow.accounts.set_disabled(user.id, disabled)
        if disabled:
            uow.accounts.revoke_sessions_of(user.id, now)
        uow.audit.append(at=now, actor=actor,
                         action="account.disabled" if disabled else "account.enabled",
                         subject=user.id, detail={})
        uow.commit()
        return user


def change_password(username: str, password: str, deps: Deps, *, actor: str = "accounts") -> User:
    """A new password (argon2id; too short → WeakPassword) ends every session of the account."""
    now = deps.clock.now()
    with deps.uow() as uow:
        user = uow.accounts.user_by_name(username)
        if user is None:
            raise UnknownAccount()
        uow.accounts.set_password_hash(user.id, passwords.hash_password(password))
        uow.accounts.revoke_sessions_of(user.id, now)
        uow.audit.append(at=now, actor=actor, action="account.password_changed",
                         subject=user.id, detail={})
        uow.commit()
        return user


TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed once


def temporary_password() -> str:
    """A password an admin hands over once (web admin pages): 16 characters of an alphabet
    without look-alikes, in groups of four (about 79 bits)."""
    groups = ("".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def reset_password(username: str, deps: Deps, *, actor: str) -> tuple[User, str]:
    """A new temporary password, returned once and stored only as its hash; like
    `change_password`, it ends every session of the account (audited the same way)."""
    password = temporary_password()
    return change_password(username, password, deps, actor=actor), password


def users(deps: Deps) -> list[User]:
    with deps.uow() as uow:
        return uow.accounts.all_users()


def statement_channel(statement_id: str, deps: Deps) -> str | None:
    with deps.uow() as uow:
        return uow.accounts.statement_channel(statement_id)


def has_users(deps: Deps) -> bool:
    with deps.uow() as uow:
        return uow.accounts.count_users() > 0
