"""Account use cases: users, logins (throttled), sessions; argon2id password hashes."""
