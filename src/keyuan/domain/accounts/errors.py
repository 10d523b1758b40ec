"""Account errors: `KeyuanError` subclasses with stable codes (mapped by `api.errors`)."""

from __future__ import annotations

from keyuan.domain.accounts.model import MIN_PASSWORD_LENGTH
from keyuan.domain.errors import KeyuanError, Throttled


class NotAuthenticated(KeyuanError):
    code, status, default_message = "not_authenticated", 401, "Log in first."


class Forbidden(KeyuanError):
    code, status, default_message = "forbidden", 403, "Your account may not do this."


class CsrfFailed(KeyuanError):
    code, status = "csrf_failed", 403
    default_message = "Missing or wrong CSRF token (X-CSRF-Token header)."


class LoginFailed(KeyuanError):
    code, status, default_message = "login_failed", 401, "Wrong username or password."


class LoginThrottled(Throttled):
    code = "login_throttled"
    default_message = "Too many failed logins from here. Try again later."


class WeakPassword(KeyuanError):
    code, status = "weak_password", 422
    default_message = f"Passwords need at least {MIN_PASSWORD_LENGTH} characters."


class InvalidAccount(KeyuanError):
    code, status, default_message = "invalid_account", 422, "The account is invalid."


class UsernameTaken(KeyuanError):
    code, status, default_message = "username_taken", 409, "That username is taken."


class UnknownAccount(KeyuanError):
    code, status, default_message = "unknown_account", 404, "No account has that username."


class LastAdmin(KeyuanError):
    code, status = "last_admin", 409
    default_message = ("This is the only enabled admin account: enable or add another admin "
                       "first, or nobody could manage accounts any more.")
