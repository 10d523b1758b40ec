"""Accounts: add a user (argon2 hash only), throttled login, sessions that end on logout,
on disabling and on a new password. Every step is in the audit chain."""

from __future__ import annotations

import pytest

from keyuan.domain.accounts.errors import (
    InvalidAccount,
    LoginFailed,
    LoginThrottled,
    UsernameTaken,
)
from keyuan.domain.accounts.model import Role, User
from keyuan.domain.errors import UnknownChannel
from keyuan.services.accounts import service as accounts
from unit.services.harness import Harness

PASSWORD = "correct horse battery"
CFG = accounts.SessionConfig(ttl_seconds=3600, max_failures=3, lockout_seconds=600)


def _add(harness: Harness, username: str = "wang.li", role: Role = Role.finance,
         channel_id: str | None = None) -> User:
    return accounts.add_user(accounts.AddUserCmd(username, role, PASSWORD, channel_id),
                             harness.deps)


def _login(harness: Harness, password: str = PASSWORD, *,
           client: str | None = "10.0.0.1") -> accounts.LoggedIn:
    return accounts.login("wang.li", password, "cookie", harness.deps, CFG, client=client)


def _pair_rows(harness: Harness) -> list[tuple[str, int]]:
    return [key for key in harness.committed.throttle if key[0].startswith("login.pair:")]


def test_a_new_user_is_stored_with_a_password_hash_only(harness: Harness) -> None:
    user = _add(harness)
    stored = harness.committed.users[user.id]
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert harness.actions()[-1] == "account.user_added"


def test_a_username_is_taken_once(harness: Harness) -> None:
    _add(harness)
    with pytest.raises(UsernameTaken):
        _add(harness, role=Role.manager)
    assert len(harness.committed.users) == 1


def test_a_channel_account_needs_a_channel_that_exists(harness: Harness) -> None:
    with pytest.raises(InvalidAccount):
        _add(harness, "agent.zhao", Role.agent)
    with pytest.raises(UnknownChannel):
        _add(harness, "agent.zhao", Role.agent, channel_id="ch-1")
    harness.committed.channels.add("ch-1")
    assert _add(harness, "agent.zhao", Role.agent, channel_id="ch-1").channel_id == "ch-1"


def test_login_stores_only_the_hash_of_the_token(harness: Harness) -> None:
    user = _add(harness)
    logged_in = _login(harness)
    (stored,) = harness.committed.account_sessions.values()
    assert stored.token_hash == accounts.token_hash(logged_in.token) != logged_in.token
    assert accounts.authenticate(logged_in.token, harness.deps) is not None
    assert harness.committed.audit[-1].subject == user.id


def test_repeated_wrong_passwords_stop_that_address_for_that_account_even_for_the_right_one(
        harness: Harness) -> None:
    _add(harness)
    for _ in range(CFG.max_failures):
        with pytest.raises(LoginFailed):
            _login(harness, "wrong password!")
    with pytest.raises(LoginThrottled) as refused:
        _login(harness)
    assert 1 <= refused.value.retry_after <= 2 * CFG.lockout_seconds
    assert harness.actions()[-1] == "account.login_throttled"


def test_wrong_passwords_from_one_address_never_lock_the_account_for_another(
        harness: Harness) -> None:
    _add(harness)
    for _ in range(CFG.max_failures + 2):
        with pytest.raises((LoginFailed, LoginThrottled)):
            _login(harness, "wrong password!", client="203.0.113.9")
    assert _login(harness, client="10.0.0.1").user.username == "wang.li"


def test_the_lock_runs_out_and_a_right_password_clears_the_count(harness: Harness) -> None:
    _add(harness)
    for _ in range(CFG.max_failures):
        with pytest.raises(LoginFailed):
            _login(harness, "wrong password!")
    harness.clock.advance(seconds=2 * CFG.lockout_seconds)  # a sliding window: at most twice
    assert _login(harness).user.username == "wang.li"
    assert _pair_rows(harness) == []


def test_failures_below_the_limit_do_not_lock(harness: Harness) -> None:
    _add(harness)
    for _ in range(CFG.max_failures - 1):
        with pytest.raises(LoginFailed):
            _login(harness, "wrong password!")
    _login(harness)
    assert _pair_rows(harness) == []


def test_an_unknown_user_fails_like_a_wrong_password(harness: Harness) -> None:
    with pytest.raises(LoginFailed):
        _login(harness)
    entry = harness.committed.audit[-1]
    assert (entry.action, entry.subject, entry.detail["known_account"]) == (
        "account.login_failed", None, False)


def test_logout_revokes_the_session(harness: Harness) -> None:
    _add(harness)
    logged_in = _login(harness)
    principal = accounts.authenticate(logged_in.token, harness.deps)
    assert principal is not None
    accounts.logout(principal, harness.deps)
    assert accounts.authenticate(logged_in.token, harness.deps) is None


def test_a_session_ends_when_its_time_is_up(harness: Harness) -> None:
    _add(harness)
    logged_in = _login(harness)
    harness.clock.advance(seconds=CFG.ttl_seconds)
    assert accounts.authenticate(logged_in.token, harness.deps) is None


def test_disabling_an_account_ends_its_sessions_and_its_logins(harness: Harness) -> None:
    _add(harness)
    logged_in = _login(harness)
    accounts.set_disabled("wang.li", True, harness.deps)
    assert accounts.authenticate(logged_in.token, harness.deps) is None
    (stored,) = harness.committed.account_sessions.values()
    assert stored.revoked_at == harness.clock.now()
    with pytest.raises(LoginFailed):
        _login(harness)


def test_a_new_password_ends_every_session(harness: Harness) -> None:
    _add(harness)
    logged_in = _login(harness)
    accounts.change_password("wang.li", "another long password", harness.deps)
    assert accounts.authenticate(logged_in.token, harness.deps) is None
    with pytest.raises(LoginFailed):
        _login(harness)
    assert _login(harness, "another long password").user.username == "wang.li"


def test_the_per_account_limit_is_a_short_slow_down_across_addresses(harness: Harness) -> None:
    _add(harness)
    rate = harness.deps.limits.login_failures_per_account
    for i in range(rate.limit):
        with pytest.raises(LoginFailed):
            _login(harness, "wrong password!", client=f"198.51.100.{i}")
    with pytest.raises(LoginThrottled) as slowed:
        _login(harness, client="192.0.2.1")
    assert slowed.value.retry_after <= 2 * rate.window_seconds  # minutes, never a long lock
    harness.clock.advance(seconds=slowed.value.retry_after)
    assert _login(harness, client="192.0.2.1").user.username == "wang.li"


def test_failed_logins_from_one_address_over_many_accounts_are_limited(
        harness: Harness) -> None:
    limit = harness.deps.limits.login_failures_per_address.limit
    for i in range(limit):
        with pytest.raises(LoginFailed):
            accounts.login(f"guess-{i}", "wrong password!", "cookie", harness.deps, CFG,
                           client="203.0.113.8")
    with pytest.raises(LoginThrottled):
        accounts.login("guess-next", "wrong password!", "cookie", harness.deps, CFG,
                       client="203.0.113.8")
