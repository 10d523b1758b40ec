"""Accounts for tests: create a user of a role and get its bearer headers, or log a browser-like
client in with cookies. Goes through the real account services (argon2, sessions)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from keyuan.bootstrap import App
from keyuan.domain.accounts.model import Role
from keyuan.services.accounts.service import AddUserCmd, SessionConfig, add_user, login

PASSWORD = "correct horse battery staple"
_serial = itertools.count(1)
TEST_SESSIONS = SessionConfig(ttl_seconds=400 * 86400)  # tests move fake clocks by days


def make_user(app: App, role: Role | str, *, channel: str | None = None,
              username: str | None = None, password: str = PASSWORD) -> str:
    """A new account; returns its username (unique per call unless given)."""
    role = Role(role)
    name = username or f"{role.value}-{next(_serial)}"
    add_user(AddUserCmd(username=name, role=role, password=password, channel_id=channel),
             app.deps)
    return name


def bearer(app: App, role: Role | str, *, channel: str | None = None) -> dict[str, str]:
    """`Authorization: Bearer ...` headers of a fresh account of this role."""
    name = make_user(app, role, channel=channel)
    token = login(name, PASSWORD, "bearer", app.deps, TEST_SESSIONS).token
    return {"Authorization": f"Bearer {token}"}


def client(base_url: str, app: App, role: Role | str, *, channel: str | None = None,
           **kwargs: Any) -> httpx.Client:
    """An httpx client that sends bearer headers of a fresh account of this role."""
    return httpx.Client(base_url=base_url, headers=bearer(app, role, channel=channel),
                        timeout=30, **kwargs)


def cookie_login(http: httpx.Client, username: str, password: str = PASSWORD) -> str:
    """Log `http` in as a browser would (cookies); returns the CSRF token for unsafe requests.
    The live server must run with `session_cookie_secure=False` (plain-HTTP localhost)."""
    r = http.post("/api/auth/login", json={"username": username, "password": password})
    r.raise_for_status()
    return str(r.json()["csrf_token"])
