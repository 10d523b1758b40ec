"""Users, roles and sessions as plain data (no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """Staff roles, plus the two channel roles that are bound to one channel (报备 accounts)."""

    reception = "reception"
    sales = "sales"
    signing = "signing"
    finance = "finance"
    manager = "manager"
    compliance = "compliance"  # compliance officer (DPO)
    admin = "admin"
    distributor = "distributor"  # 分销 company account: its own channel only
    agent = "agent"  # one agent of a distributor: its own channel only

    @property
    def is_channel(self) -> bool:
        return self in CHANNEL_ROLES


CHANNEL_ROLES = frozenset({Role.distributor, Role.agent})
STAFF_ROLES = frozenset(Role) - CHANNEL_ROLES
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Principal:
    """Who is calling: the authenticated user as the policy sees it."""

    user_id: str
    username: str
    role: Role
    channel_id: str | None
    session_id: str
    via_cookie: bool

    @property
    def actor(self) -> str:
        """The audit identity of the logged-in account, e.g. "finance:wang-li". Who acts is
        never request data."""
        return f"{self.role.value}:{self.username}"


@dataclass(frozen=True)
class User:
    id: str
    username: str
    role: Role
    channel_id: str | None
    password_hash: str
    created_at: datetime
    disabled: bool = False


@dataclass(frozen=True)
class SessionRecord:
    """A server-side session; only the SHA-256 of its token is stored."""

    id: str
    user_id: str
    token_hash: str
    kind: str  # "cookie" (browser, CSRF-checked) or "bearer" (API clients)
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
