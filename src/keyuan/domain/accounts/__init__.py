"""Accounts as plain data: users, roles, sessions, and the one authorisation policy table."""
