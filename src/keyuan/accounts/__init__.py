"""Accounts: staff and channel users, argon2 passwords, server-side sessions, CSRF, and the one
authorisation policy every route is checked against (`accounts.policy`, `accounts.guard`)."""
